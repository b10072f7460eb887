"""A Docker engine restart: the Django app's PostgreSQL rows survive it, and the app
serves again afterwards with no manual step.

The shared engine must never restart (other platforms run on it), so this journey has
an engine of its own (e2e/private_engine.py): a dockerd in its own network namespace,
with the stack images copied in. A platform server drives it from that namespace; the
CLI, git and HTTP reach it from the host. dockerd stops with SIGTERM (its containers
stop with it) and starts again with the same arguments, as ``systemctl restart docker``
does; the platform server keeps running throughout.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from e2e.harness import Platform, Result, eventually
from e2e.private_engine import PrivateEngine
from paas.settings import StackImages

APP = "notes"


@pytest.fixture(scope="module")
def engine(stack_images: None) -> Iterator[PrivateEngine]:
    stack = StackImages()
    e = PrivateEngine(sandbox_image=stack.python)
    try:
        e.load([stack.python, stack.router, stack.redis, stack.postgres])
        yield e
    finally:
        e.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, engine: PrivateEngine
             ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("engine-restart"), address=engine.address,
                 launcher=engine.launcher,
                 server_env={"DOCKER_HOST": engine.url, "PAAS_PYTHONS": "3.11"})
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.stop()  # its containers, networks and volumes go with the engine's data-root


def ok(r: Result) -> Result:
    assert r.code == 0, r.text
    return r


def post(platform: Platform, text: str) -> int:
    conn = http.client.HTTPConnection(platform.address, platform.router_port, timeout=10)
    try:
        conn.request("POST", "/notes", body=urlencode({"text": text}), headers={
            "Host": f"{APP}.localhost", "Content-Type": "application/x-www-form-urlencoded"})
        return conn.getresponse().status
    finally:
        conn.close()


def rows(platform: Platform) -> list[str] | None:
    """The notes, or None while the app does not answer."""
    try:
        status, body = platform.get(APP, "/notes")
    except OSError:
        return None
    return body.splitlines() if status == 200 else None


def test_rows_survive_an_engine_restart_and_the_app_serves_again(
        platform: Platform, engine: PrivateEngine) -> None:
    repo = platform.new_repo("django-notes", APP)
    ok(platform.paas("apps:create", APP, cwd=repo))
    ok(platform.paas("addons:create", "postgres", "-a", APP))
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    for text in ("before", "the restart"):
        assert post(platform, text) == 200
    assert rows(platform) == ["before", "the restart"]

    client = engine.client()
    try:
        running = {c.name for c in client.containers.list()}
    finally:
        client.close()
    engine.restart()
    client = engine.client()
    try:
        # the engine's own restart policies bring every container back
        back = eventually(lambda: running <= {c.name for c in client.containers.list()} or None,
                          timeout=120)
        assert back
    finally:
        client.close()
    assert eventually(lambda: rows(platform), timeout=180) == ["before", "the restart"]
    assert post(platform, "after") == 200
    assert rows(platform) == ["before", "the restart", "after"]
    assert ok(platform.paas("ps", "-a", APP)).out.count("up") >= 1
