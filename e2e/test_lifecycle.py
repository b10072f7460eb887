"""App lifecycle journeys: config, releases, rollback, domains, users and access, destroy."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docker

from e2e.harness import Platform, Result, http_get

SECRET = "s3cr3t-value-e2e"
MULTI = "line one\nkey=value 'quoted' \"double\" ☃"


def _push(p: Platform, repo: Path) -> Result:
    return p.git("push", "paas", "main", cwd=repo)


def _env(p: Platform, app: str, key: str) -> tuple[int, str]:
    return p.get(app, f"/env/{key}")


def _release_lines(p: Platform, app: str) -> list[tuple[str, str]]:
    """(version, what changed) per line of `paas releases`, newest first."""
    r = p.paas("releases", "-a", app)
    assert r.code == 0, r.text
    rows = [re.match(r"^(v\d+)\s+(.*?)\s{2,}", line) for line in r.out.splitlines()[1:]]
    return [(m.group(1), m.group(2)) for m in rows if m]


def _running(p: Platform, app: str) -> list[str]:
    client = docker.from_env()
    return sorted(c.labels["paas.release"] for c in client.containers.list(all=True, filters={
        "label": [f"paas.instance={p.instance}", f"paas.app={app}"]}))


def test_config_releases_and_rollback(platform: Platform) -> None:
    repo = platform.new_repo("flask-config", "cfg")
    assert platform.paas("apps:create", "cfg", cwd=repo).code == 0
    assert _push(platform, repo).code == 0                                      # v1

    r = platform.paas("config:set", f"GREETING={SECRET}", f"MULTI={MULTI}", cwd=repo)
    assert r.code == 0, r.text                                                  # v2
    assert "Set GREETING, MULTI: cfg is now at v2" in r.out
    assert _env(platform, "cfg", "GREETING") == (200, SECRET)
    assert _env(platform, "cfg", "MULTI") == (200, MULTI)
    assert platform.get("cfg") == (200, "Hello from paas! release=v2\n")
    assert _running(platform, "cfg") == ["2"]

    got = platform.paas("config:get", "MULTI", cwd=repo)
    assert (got.code, got.out) == (0, MULTI + "\n")
    shown = platform.paas("config", cwd=repo)
    assert f"GREETING: {SECRET}" in shown.out
    assert 'MULTI:    "line one\\nkey=value' in shown.out

    # new code keeps the config
    app_py = repo / "app.py"
    app_py.write_text(app_py.read_text().replace("Hello from", "Hi from"))
    platform.commit_all(repo, "hi")
    assert _push(platform, repo).code == 0                                      # v3
    assert _env(platform, "cfg", "GREETING") == (200, SECRET)

    r = platform.paas("config:unset", "GREETING", cwd=repo)                     # v4
    assert r.code == 0 and "Unset GREETING: cfg is now at v4" in r.out, r.text
    assert _env(platform, "cfg", "GREETING")[0] == 404

    r = platform.paas("rollback", "v2", cwd=repo)                               # v5
    assert r.code == 0 and "Rollback to v2: cfg is now at v5" in r.out, r.text
    assert platform.get("cfg") == (200, "Hello from paas! release=v5\n")     # v1's code
    assert _env(platform, "cfg", "GREETING") == (200, SECRET)                # v2's config

    r = platform.paas("rollback", cwd=repo)                                     # v6 = v4
    assert r.code == 0 and "Rollback to v4" in r.out, r.text
    assert platform.get("cfg") == (200, "Hi from paas! release=v6\n")
    assert _env(platform, "cfg", "GREETING")[0] == 404

    lines = _release_lines(platform, "cfg")
    assert [line[0] for line in lines] == ["v6", "v5", "v4", "v3", "v2", "v1"]
    assert [line[1] for line in lines][:3] == ["Rollback to v4", "Rollback to v2",
                                               "Unset GREETING"]
    assert lines[3][1].startswith("Deploy ") and lines[4][1] == "Set GREETING, MULTI"
    releases = platform.paas("releases", cwd=repo).out
    assert "admin" in releases and "succeeded" in releases

    # bad input: one-line errors, nothing changes
    for args, message in [
        (("config:set", "1BAD=x"), "error: invalid config key '1BAD'"),
        (("config:set", "NOEQUALS"), "error: expected KEY=VALUE"),
        (("config:unset", "NOPE"), "error: config var NOPE is not set"),
        (("rollback", "v99"), "error: release v99 not found"),
        (("rollback", "banana"), "error: invalid release version"),
        (("config:get", "NOPE"), "error: config var NOPE is not set"),
    ]:
        r = platform.paas(*args, cwd=repo)
        assert r.code == 1 and r.err.startswith(message) and r.err.count("\n") == 1, r.text
    assert len(_release_lines(platform, "cfg")) == 6
    assert _running(platform, "cfg") == ["6"]

    # config values never reach the server's log, the build log or `docker ps`
    assert SECRET not in platform.log_path.read_text()
    ps = subprocess.run(["docker", "ps", "--no-trunc"], capture_output=True, text=True,
                        check=True)
    assert SECRET not in ps.stdout


def test_domains_are_routed_and_unique(platform: Platform) -> None:
    repo = platform.new_repo("flask-hello", "dom")
    assert platform.paas("apps:create", "dom", cwd=repo).code == 0
    assert _push(platform, repo).code == 0
    host = "www.e2e-lifecycle.test"
    assert http_get(platform.router_port, host)[0] == 404

    r = platform.paas("domains:add", host.upper(), cwd=repo)
    assert r.code == 0, r.text
    assert http_get(platform.router_port, host) == (200, "Hello from paas! release=v1\n")
    assert _running(platform, "dom") == ["1"]            # no restart for a route change
    assert host in platform.paas("domains", cwd=repo).out

    assert platform.paas("apps:create", "dom2", "--no-remote").code == 0
    for args, message in [
        (("domains:add", host, "-a", "dom2"), f"error: domain {host} is already taken"),
        (("domains:add", "not_a_host", "-a", "dom2"), "error: invalid hostname"),
        (("domains:remove", "other.example.com", "-a", "dom"), "error: dom has no domain"),
    ]:
        r = platform.paas(*args)
        assert r.code == 1 and r.err.startswith(message) and r.err.count("\n") == 1, r.text

    assert platform.paas("domains:remove", host, cwd=repo).code == 0
    assert http_get(platform.router_port, host)[0] == 404
    assert platform.get("dom") == (200, "Hello from paas! release=v1\n")


def test_users_see_and_push_only_apps_they_may_access(platform: Platform) -> None:
    admin_repo = platform.new_repo("flask-hello", "owned")
    assert platform.paas("apps:create", "owned", cwd=admin_repo).code == 0
    assert _push(platform, admin_repo).code == 0

    assert platform.paas("users:add", "bob").code == 0
    created = platform.paas("tokens:create", "--user", "bob", "--label", "e2e")
    assert created.code == 0, created.text
    token = created.out.strip()
    assert token.startswith("paas_")
    listed = platform.paas("tokens")
    assert "bob" in listed.out and "e2e" in listed.out and token not in listed.out

    bob_home = platform.base / "bob"
    bob_home.mkdir()
    as_bob = {"HOME": str(bob_home), "XDG_CONFIG_HOME": str(bob_home / ".config")}

    def bob(*args: str, cwd: Path | None = None) -> Result:
        return platform.paas(*args, cwd=cwd or bob_home, **as_bob)

    def bob_git(*args: str, cwd: Path) -> Result:
        p = subprocess.run(["git", *args], cwd=cwd, env=platform.env(**as_bob),
                           capture_output=True, text=True, timeout=900, check=False)
        return Result(p.returncode, p.stdout, p.stderr)

    git_url = f"{platform.url}/git/owned.git"
    assert bob("login", platform.url, "--token", token).code == 0
    assert bob("whoami").out.strip() == "bob"

    assert "owned" not in bob("apps").out
    for args in (("apps:info", "-a", "owned"), ("config", "-a", "owned"),
                 ("config:set", "X=1", "-a", "owned"), ("releases", "-a", "owned"),
                 ("access:add", "bob", "-a", "owned"),
                 ("apps:destroy", "owned", "--confirm", "owned")):
        r = bob(*args)
        # What a missing app answers: a stranger cannot tell that "owned" exists.
        assert (r.code, r.err) == (1, "error: app owned not found\n"), args
    own_repo = platform.new_repo("flask-hello", "bobs-own")
    pushed = bob_git("push", git_url, "main", cwd=own_repo)
    assert pushed.code != 0 and "app owned not found" in pushed.err
    cloned = bob_git("clone", "-q", git_url, str(bob_home / "clone"), cwd=bob_home)
    assert cloned.code != 0 and "app owned not found" in cloned.err
    assert bob("users").err.startswith("error: only an admin")

    assert platform.paas("access:add", "bob", "-a", "owned").code == 0
    assert "bob" in platform.paas("access", "-a", "owned").out
    assert "owned" in bob("apps").out
    clone = bob_home / "clone"
    assert bob_git("clone", "-q", "-b", "main", git_url, str(clone), cwd=bob_home).code == 0
    app_py = clone / "app.py"
    app_py.write_text(app_py.read_text().replace("Hello from", "Bob's"))
    platform.commit_all(clone, "bob's change")
    pushed = bob_git("push", "origin", "main", cwd=clone)
    assert pushed.code == 0, pushed.text
    assert platform.get("owned") == (200, "Bob's paas! release=v2\n")
    assert bob("config:set", "WHO=bob", "-a", "owned").code == 0
    assert _release_lines(platform, "owned")[0][1] == "Set WHO"
    assert "bob" in platform.paas("releases", "-a", "owned").out.splitlines()[1]
    # A collaborator works on the app but cannot end the owner's control of it.
    r = bob("apps:destroy", "owned", "--confirm", "owned")
    assert (r.code, r.err) == (
        1, "error: only the owner of owned (admin) or an admin can destroy it\n")
    r = bob("apps:transfer", "owned", "bob", "--confirm", "owned")
    assert (r.code, r.err) == (
        1, "error: only the owner of owned (admin) or an admin can transfer it\n")
    assert platform.get("owned")[0] == 200

    assert platform.paas("access:remove", "bob", "-a", "owned").code == 0
    assert bob("config", "-a", "owned").code == 1

    token_id = next(line.split()[0] for line in platform.paas("tokens").out.splitlines()
                    if " bob " in line)
    assert platform.paas("tokens:revoke", token_id).code == 0
    r = bob("whoami")
    assert r.code == 1 and r.err.startswith("error: authentication failed")
    r = platform.paas("tokens:revoke", "0123456789ab")
    assert (r.code, r.err) == (1, "error: token '0123456789ab' not found\n")
    r = platform.paas("access:add", "ghost", "-a", "owned")
    assert (r.code, r.err) == (1, "error: user 'ghost' not found\n")


def test_destroy_removes_containers_and_state(platform: Platform) -> None:
    repo = platform.new_repo("flask-hello", "doomed")
    assert platform.paas("apps:create", "doomed", cwd=repo).code == 0
    assert _push(platform, repo).code == 0
    assert _running(platform, "doomed") == ["1"]

    for args in (("apps:destroy", "doomed"), ("apps:destroy", "doomed", "--confirm", "doom")):
        r = platform.paas(*args)
        assert r.code == 1 and "--confirm doomed" in r.err and r.err.count("\n") == 1
    assert platform.get("doomed")[0] == 200

    r = platform.paas("apps:destroy", "doomed", "--confirm", "doomed")
    assert r.code == 0, r.text
    assert _running(platform, "doomed") == []
    assert platform.get("doomed")[0] == 404
    assert "doomed" not in platform.paas("apps").out
    client = docker.from_env()
    assert client.images.list(filters={"label": [f"paas.instance={platform.instance}",
                                                 "paas.app=doomed"]}) == []
    assert not (platform.home / "repos" / "doomed.git").exists()
    r = platform.paas("apps:destroy", "doomed", "--confirm", "doomed")
    assert (r.code, r.err) == (1, "error: app doomed not found\n")
