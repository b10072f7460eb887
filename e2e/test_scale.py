"""Process types, scaling, the Redis add-on, celery workers and queue autoscaling.

A platform of this module's own, with a 1 s autoscaling poll and an 8 s scale-down
window, so the backlog journey finishes in about a minute instead of five.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from e2e.harness import Platform, eventually

APP = "celery-shop"



@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None
             ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("scale"),
                 server_args=("--autoscale-interval", "1", "--autoscale-window", "8"))
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


@pytest.fixture(scope="module")
def repo(platform: Platform) -> Path:
    repo = platform.new_repo("flask-celery", APP)
    assert platform.paas("apps:create", APP, cwd=repo).code == 0
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    return repo


def ps(platform: Platform) -> dict[str, Any]:
    """The app's processes as the API reports them (the CLI table is checked apart)."""
    r = platform.paas("ps", "-a", APP)
    assert r.code == 0, r.text
    rows = [w for line in r.out.splitlines()[1:]
            if len(w := line.split()) > 1 and w[1].startswith("paas-")]
    header = r.out.splitlines()[0]
    formation = dict(kv.split("=") for kv in header.split(": ", 1)[1].split())
    return {"formation": {k: int(v) for k, v in formation.items()}, "rows": rows,
            "out": r.out}


def hostnames(platform: Platform, requests: int) -> set[str]:
    seen = set()
    for _ in range(requests):
        status, body = platform.get(APP)
        assert status == 200, body
        seen.add(body.strip())
    return seen


class Load:
    """Requests in a loop through nginx, counting every non-200 and connection error."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body = self.platform.get(APP)
            except OSError as e:
                self.failures.append(repr(e))
                continue
            if status == 200:
                self.ok += 1
            else:
                self.failures.append(f"{status} {body[:80]}")

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_scale_web_and_bad_input(platform: Platform, repo: Path) -> None:
    first = ps(platform)
    # non-web types start at zero; the worker's queues are known from -Q
    assert first["formation"] == {"beat": 0, "web": 1, "worker": 0}
    assert "worker consumes celery queues: celery" in first["out"]

    r = platform.paas("scale", "web=3", cwd=repo)
    assert r.code == 0, r.text
    assert "web=3" in r.out
    seen = hostnames(platform, 12)
    assert len(seen) == 3 and all(h.startswith("web-") for h in seen)
    rows = ps(platform)["rows"]
    assert sorted(r[0] for r in rows) == ["web"] * 3
    assert all(r[2] == "running" and r[3] == "v1" and r[4] == "up" for r in rows)

    with Load(platform) as load:
        assert platform.paas("scale", "web-2", cwd=repo).code == 0
    assert load.failures == [] and load.ok > 0
    assert len(hostnames(platform, 6)) == 1

    bad = {
        ("scale", "nope=1"): "error: unknown process type 'nope' (this app has: beat, web, worker)",
        ("scale", "web=-1"): "error: invalid count '-1' for web: use a non-negative whole number",
        ("scale", "web=1.5"): "error: invalid count '1.5' for web",
        ("scale", "beat=2"): "error: beat is a singleton: scale it to 0 or 1",
        ("autoscale:set", "worker", "--min", "1", "--max", "3", "--queue", "celery",
         "--per-replica", "5"): "error: a queue policy needs a Redis broker",
        ("autoscale:set", "web", "--min", "4", "--max", "2", "--cpu", "50"):
            "error: autoscale: --min 4 is greater than --max 2",
        ("addons:create", "mysql"): "error: unknown add-on 'mysql'",
    }
    for args, message in bad.items():
        r = platform.paas(*args, cwd=repo)
        assert r.code == 1, (args, r.text)
        assert r.err.startswith(message) and r.err.count("\n") == 1, (args, r.err)
    assert ps(platform)["formation"] == {"beat": 0, "web": 1, "worker": 0}


def test_celery_worker_completes_tasks_through_the_redis_addon(
    platform: Platform, repo: Path
) -> None:
    created = platform.paas("addons:create", "redis", cwd=repo)
    assert created.code == 0, created.text
    assert "REDIS_URL, CELERY_BROKER_URL in v2" in created.out
    assert platform.paas("addons", cwd=repo).out.startswith("redis ")
    assert platform.paas("scale", "worker=1", cwd=repo).code == 0

    status, body = platform_post(platform, "/enqueue?n=3")
    assert status == 200, body
    ids = json.loads(body)

    def done() -> list[dict[str, Any]] | None:
        states = [json.loads(platform.get(APP, f"/task/{i}")[1]) for i in ids]
        return states if all(s["state"] == "SUCCESS" for s in states) else None

    workers = {r[1].rsplit("-", 1)[-1] for r in ps(platform)["rows"] if r[0] == "worker"}
    results = {s["result"] for s in eventually(done, timeout=60)}
    assert results == {f"worker-{w}" for w in workers}

    # The Redis password (inside REDIS_URL) is not on the add-on's command line.
    url = platform.paas("config:get", "REDIS_URL", cwd=repo).out.strip()
    password = url.split("://:", 1)[1].split("@", 1)[0]
    redis = docker.from_env().containers.list(filters={"label": [
        f"paas.instance={platform.instance}", "paas.role=addon"]})
    assert redis
    for c in redis:
        assert password not in " ".join(c.attrs["Args"]) + " ".join(c.attrs["Config"]["Cmd"])


def platform_post(platform: Platform, path: str) -> tuple[int, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", platform.router_port, timeout=30)
    try:
        conn.request("POST", path, headers={"Host": f"{APP}.localhost"})
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def test_queue_backlog_scales_workers_up_and_an_empty_queue_back_to_min(
    platform: Platform, repo: Path
) -> None:
    r = platform.paas("autoscale:set", "worker", "--min", "1", "--max", "3", "--queue",
                      "celery", "--per-replica", "5", cwd=repo)
    assert r.code == 0, r.text
    manual = platform.paas("scale", "worker=2", cwd=repo)
    assert manual.code == 1
    assert manual.err.startswith("error: worker is autoscaled (min 1, max 3, queue celery")

    status, _ = platform_post(platform, "/enqueue?n=60&seconds=0.5")
    assert status == 200
    eventually(lambda: ps(platform)["formation"]["worker"] == 3)
    assert sum(r[0] == "worker" for r in ps(platform)["rows"]) == 3
    shown = platform.paas("autoscale", cwd=repo).out
    assert "worker     min 1, max 3, queue celery 5 per replica" in shown
    assert "-> 3 (capped by max 3)" in shown

    # drained: back to min once the stabilization window has passed
    eventually(lambda: ps(platform)["formation"]["worker"] == 1, timeout=240)
    shown = platform.paas("autoscale", cwd=repo).out
    assert "-> 1: queue celery: 0 tasks" in shown
    assert platform.paas("autoscale:unset", "worker", cwd=repo).code == 0
    assert platform.paas("scale", "worker=1", cwd=repo).code == 0


def test_restart_redeploy_and_server_restart_keep_the_formation(
    platform: Platform, repo: Path
) -> None:
    assert platform.paas("scale", "web=2", cwd=repo).code == 0
    before = {r[1] for r in ps(platform)["rows"] if r[0] == "web"}
    with Load(platform) as load:
        r = platform.paas("ps:restart", "web", cwd=repo)
    assert r.code == 0, r.text
    assert load.failures == [] and load.ok > 0
    after = {r[1] for r in ps(platform)["rows"] if r[0] == "web"}
    assert len(after) == 2 and not before & after

    platform.stop()
    platform.start()
    assert ps(platform)["formation"] == {"beat": 0, "web": 2, "worker": 1}
    eventually(lambda: len(hostnames(platform, 8)) == 2)

    (repo / "app.py").write_text((repo / "app.py").read_text() + "\n# v-next\n")
    platform.commit_all(repo, "redeploy")
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    rows = ps(platform)["rows"]
    assert sorted((r[0], r[3]) for r in rows) == [("web", "v3"), ("web", "v3"), ("worker", "v3")]

    # the add-on came back with the server: tasks still run
    _, body = platform_post(platform, "/enqueue?n=1")
    task = json.loads(body)[0]
    eventually(lambda: json.loads(platform.get(APP, f"/task/{task}")[1])["state"] == "SUCCESS",
               timeout=60)

    r = platform.paas("addons:destroy", "redis", cwd=repo)
    assert r.code == 1 and "--confirm celery-shop" in r.err
    assert platform.paas("addons:destroy", "redis", "--confirm", APP, cwd=repo).code == 0
    assert "No add-ons" in platform.paas("addons", cwd=repo).out
