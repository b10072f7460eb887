"""The walking skeleton's journey: create, push, serve through nginx, redeploy, recover."""

from __future__ import annotations

import re
import threading
import time

import docker

from e2e.harness import Platform, eventually, http_get

#: What pip or uv print when they install packages.
INSTALLED = re.compile(r"Successfully installed|Installed \d+ packages? in")


def _push(p: Platform, repo, branch: str = "main"):
    return p.git("push", "paas", branch, cwd=repo)


def test_push_deploys_flask_app_behind_nginx(platform: Platform) -> None:
    repo = platform.new_repo("flask-hello", "hello")
    created = platform.paas("apps:create", "hello", cwd=repo)
    assert created.code == 0, created.text
    assert "git remote paas" in created.out.lower()

    pushed = _push(platform, repo)
    assert pushed.code == 0, pushed.text
    assert "remote: -----> Flask app detected: app in app.py" in pushed.err
    assert "remote: -----> Released v1" in pushed.err
    assert f"http://hello.localhost:{platform.router_port}/" in pushed.err

    status, body = platform.get("hello")
    assert (status, body) == (200, "Hello from paas! release=v1\n")

    listed = platform.paas("apps")
    assert listed.code == 0
    assert "hello" in listed.out and "v1" in listed.out
    assert f"http://hello.localhost:{platform.router_port}/" in listed.out

    # app inferred from the git remote
    info = platform.paas("apps:info", cwd=repo)
    assert info.code == 0 and "=== hello" in info.out


def test_redeploy_switches_only_to_a_healthy_release_without_dropping_requests(
    platform: Platform,
) -> None:
    repo = platform.new_repo("flask-hello", "rolling")
    assert platform.paas("apps:create", "rolling", cwd=repo).code == 0
    assert _push(platform, repo).code == 0

    failures: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                status, body = platform.get("rolling")
                seen.add(body.strip())
                if status != 200:
                    failures.append(f"{status} {body[:80]}")
            except OSError as e:
                failures.append(repr(e))

    t = threading.Thread(target=hammer)
    t.start()
    try:
        app_py = repo / "app.py"
        app_py.write_text(app_py.read_text().replace("Hello from", "Hi from"))
        platform.commit_all(repo, "v2")
        pushed = _push(platform, repo)
    finally:
        stop.set()
        t.join()
    assert pushed.code == 0, pushed.text
    assert platform.get("rolling") == (200, "Hi from paas! release=v2\n")
    assert failures == []
    assert "Hello from paas! release=v1" in seen

    # the push answered once v2 served; v1's replica stops after it, in the background
    assert "v2 serves; 1 replica(s) of earlier releases stop in the background" in pushed.err
    client = docker.from_env()

    def releases_running() -> list[str]:
        running = client.containers.list(filters={"label": [
            f"paas.instance={platform.instance}", "paas.app=rolling", "paas.role=app"]})
        return [c.labels["paas.release"] for c in running]

    # then exactly one web replica remains, of the new release
    eventually(lambda: releases_running() == ["2"], timeout=60)


def test_failed_build_and_crashing_release_leave_the_running_release_serving(
    platform: Platform,
) -> None:
    repo = platform.new_repo("flask-hello", "steady")
    assert platform.paas("apps:create", "steady", cwd=repo).code == 0
    assert _push(platform, repo).code == 0

    # a dependency that cannot be resolved: the build fails, the push is rejected
    (repo / "requirements.txt").write_text("flask>=3,<4\nno-such-package-paas-e2e==0.0.1\n")
    platform.commit_all(repo, "broken deps")
    pushed = _push(platform, repo)
    assert pushed.code != 0
    assert "Push rejected: build failed" in pushed.err
    assert "no-such-package-paas-e2e" in pushed.err
    assert platform.get("steady") == (200, "Hello from paas! release=v1\n")

    # an app that crashes at import: the new web process never answers
    (repo / "requirements.txt").write_text("flask>=3,<4\n")
    (repo / "app.py").write_text(
        (repo / "app.py").read_text() + "\nraise RuntimeError('boom at import')\n"
    )
    platform.commit_all(repo, "crash")
    pushed = _push(platform, repo)
    assert pushed.code != 0
    assert "web process exited with code " in pushed.err
    assert "(v1 keeps serving): last log lines: " in pushed.err
    assert "boom at import" in pushed.err
    assert platform.get("steady") == (200, "Hello from paas! release=v1\n")
    listed = platform.paas("apps")
    assert any(line.split()[:2] == ["steady", "v1"] for line in listed.out.splitlines())


def test_master_branch_deploys_and_other_branches_are_refused(platform: Platform) -> None:
    repo = platform.new_repo("flask-hello", "legacy")
    assert platform.git("branch", "-m", "main", "master", cwd=repo).code == 0
    assert platform.paas("apps:create", "legacy", cwd=repo).code == 0
    assert _push(platform, repo, "master").code == 0
    assert platform.get("legacy")[0] == 200

    assert platform.git("checkout", "-qb", "feature", cwd=repo).code == 0
    refused = _push(platform, repo, "feature")
    assert refused.code != 0
    assert "git push paas HEAD:main" in refused.err


def test_bad_input_gets_one_line_errors_and_changes_nothing(platform: Platform) -> None:
    for bad in ("Bad_Name", "trailing-", "a" * 31):
        r = platform.paas("apps:create", bad, "--no-remote")
        assert r.code == 1
        assert r.err.startswith("error: invalid app name") and r.err.count("\n") == 1

    assert platform.paas("apps:create", "dupe", "--no-remote").code == 0
    dup = platform.paas("apps:create", "dupe", "--no-remote")
    assert (dup.code, dup.err) == (1, "error: app 'dupe' already exists\n")

    repo = platform.new_repo("flask-hello", "unknown-app")
    r = platform.git("push", f"{platform.url}/git/not-created.git", "main", cwd=repo)
    assert r.code != 0 and "not found" in r.err

    # a wrong token: git reports an authentication failure
    wrong = platform.url.replace("http://", "http://paas:wrong-token@")
    r = platform.git("push", f"{wrong}/git/dupe.git", "main", cwd=repo)
    assert r.code != 0 and "Authentication failed" in r.err

    # no Python app in the repo
    empty = platform.new_repo("not-python", "not-python")
    assert platform.paas("apps:create", "notpy", cwd=empty).code == 0
    r = platform.git("push", "paas", "main", cwd=empty)
    assert r.code != 0 and "no buildpack detected" in r.err
    assert platform.paas("apps:info", "-a", "notpy").out.count("none yet") == 1

    # a server that is not running
    r = platform.paas("apps", PAAS_URL="http://127.0.0.1:9")
    assert r.code == 1 and "cannot reach the paas server" in r.err


def test_server_restart_keeps_apps_serving_and_state(platform: Platform) -> None:
    repo = platform.new_repo("flask-hello", "durable")
    assert platform.paas("apps:create", "durable", cwd=repo).code == 0
    assert _push(platform, repo).code == 0

    platform.stop()
    # the router and the app keep serving while the platform is down
    assert http_get(platform.router_port, "durable.localhost") == (
        200, "Hello from paas! release=v1\n")
    platform.start()
    listed = platform.paas("apps")
    assert any(line.split()[:2] == ["durable", "v1"] for line in listed.out.splitlines())
    deadline = time.monotonic() + 10
    while platform.get("durable")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert platform.get("durable") == (200, "Hello from paas! release=v1\n")


def test_code_only_push_reuses_the_dependency_layer(platform: Platform) -> None:
    """Only the dependency manifests reach the deps stage: a push that changes code alone
    installs nothing."""
    repo = platform.new_repo("flask-hello", "cached")
    # a manifest of its own (this platform's instance in it), so the first push cannot
    # reuse a layer of another journey or of an earlier run on the same engine
    (repo / "requirements.txt").write_text(
        f"flask>=3,<4\n# cache probe: {platform.instance}\n")
    platform.commit_all(repo, "own manifest")
    assert platform.paas("apps:create", "cached", cwd=repo).code == 0
    first = _push(platform, repo)
    assert first.code == 0, first.text
    assert INSTALLED.search(first.err), first.err

    app_py = repo / "app.py"
    app_py.write_text(app_py.read_text().replace("Hello from", "Cached from"))
    platform.commit_all(repo, "code only")
    second = _push(platform, repo)
    assert second.code == 0, second.text
    assert not INSTALLED.search(second.err), second.err
    assert platform.get("cached") == (200, "Cached from paas! release=v2\n")
