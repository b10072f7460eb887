"""Health checks that explain themselves, crash-looping workers reported, and Heroku's
environment: real pushes to a real platform.

- an app whose ``/`` answers 500 deploys with a ``/health`` check from app.json, and
  sees ``DYNO`` and the X-Forwarded-* headers Heroku's router sends;
- a worker that crash-loops after a release is named in the push and in ``paas ps``;
- an app that listens on a hard-coded port is rejected with the port it listens on, and
  its first deploy does not pretend an earlier release serves; ``paas run`` still runs
  on its build; before any build, ``paas run`` says why not.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

from e2e.harness import Platform


def _push(p: Platform, repo: Path) -> str:
    pushed = p.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    return pushed.text


def _get(p: Platform, app: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", p.router_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": f"{app}.localhost:{p.router_port}",
                                           **headers})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def test_a_configured_check_deploys_an_app_whose_root_fails(platform: Platform) -> None:
    repo = platform.new_repo("flask-health", "hc")
    assert platform.paas("apps:create", "hc", cwd=repo).code == 0
    out = _push(platform, repo)
    assert 'Health check: GET /health answering 200 within 30s (from app.json' in out
    assert platform.get("hc", "/")[0] == 500
    assert platform.get("hc", "/health") == (200, "ok\n")

    # Heroku's environment and router headers
    status, body = _get(platform, "hc", "/env", {"X-Forwarded-For": "203.0.113.9"})
    assert status == 200, body
    seen = json.loads(body)
    assert seen["DYNO"] == "web.1"
    assert seen["X-Forwarded-For"].startswith("203.0.113.9, ")  # the client appended
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["X-Forwarded-Port"] == str(platform.router_port)
    assert seen["X-Request-Start"].startswith("t=")

    # a worker that dies at start, running when the next release rolls out
    (repo / "Procfile").write_text(
        "worker: python -c \"import sys; print('worker cannot reach the broker'); "
        "sys.exit(3)\"\n")
    platform.commit_all(repo, "a worker")
    _push(platform, repo)
    scaled = platform.paas("scale", "worker=1", "--app", "hc")
    assert scaled.code == 0, scaled.text
    (repo / "README").write_text("another release\n")
    platform.commit_all(repo, "another release")
    out = _push(platform, repo)
    assert "worker.1 is crash-looping: exited with code 3: worker cannot reach the broker" \
        in out, out
    # the engine keeps the code only while the replica is down between two restarts,
    # which is most of a crash loop's time once its back-off grew
    deadline = time.monotonic() + 60
    while True:
        ps = platform.paas("ps", "--app", "hc")
        assert ps.code == 0, ps.text
        if "exited with code 3: worker cannot reach the broker" in ps.out:
            break
        assert time.monotonic() < deadline, ps.out
        time.sleep(1)


def test_a_hard_coded_port_is_named_and_run_works_on_the_build(platform: Platform) -> None:
    repo = platform.new_repo("hardcoded-port", "hcport")
    assert platform.paas("apps:create", "hcport", cwd=repo).code == 0
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code != 0
    assert "nothing is listening on PORT=5000; the app listens on 8000" in pushed.text, \
        pushed.text
    assert "serving on port 8000" in pushed.text  # its log, quoted
    assert "keeps serving" not in pushed.text  # a first deploy: nothing served before

    # no release yet, but a build: a one-off runs on it
    ran = platform.paas("run", "--app", "hcport", "--", "python", "-c",
                        "import os; print('ran', os.environ['DYNO'][:4])")
    assert ran.code == 0, ran.text
    assert "ran run." in ran.out


def test_run_before_any_build_says_why_not(platform: Platform) -> None:
    assert platform.paas("apps:create", "nobuild").code == 0
    ran = platform.paas("run", "--app", "nobuild", "--", "true")
    assert ran.code != 0
    assert "nobuild has no build to run yet: push it first" in ran.err
