"""The pre-receive hook's HTTP client against a real werkzeug server, as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from paas.server.hook import STATUS_PREFIX, post_lines


@contextmanager
def serving(answer: Callable[[Request], Response]) -> Iterator[str]:
    """A threaded werkzeug server (the platform's) on a free loopback port."""
    @Request.application
    def app(request: Request) -> Response:
        return answer(request)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/internal/hooks/pre-receive"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _streamed(parts: list[bytes]) -> Callable[[Request], Response]:
    def answer(request: Request) -> Response:
        if request.headers.get("X-Paas-Hook-Secret") != "s3cret":
            return Response("bad hook secret\n", status=401)
        body = json.loads(request.get_data())
        return Response(iter([f"app={body['app']}\n".encode(), *parts]),
                        mimetype="text/plain", direct_passthrough=True)
    return answer


def test_lines_arrive_whole_however_the_server_splits_its_writes() -> None:
    parts = [b"-----> Deploying\n", b"half a ", b"line\n\n", "caf\u00e9\n".encode(),
             f"{STATUS_PREFIX}ok\n".encode()]
    with serving(_streamed(parts)) as url:
        lines = list(post_lines(url, {"X-Paas-Hook-Secret": "s3cret"},
                                json.dumps({"app": "shop"}).encode()))
    assert lines == ["app=shop", "-----> Deploying", "half a line", "", "caf\u00e9",
                     f"{STATUS_PREFIX}ok"]


def test_a_refusal_or_no_server_is_an_oserror() -> None:
    with serving(_streamed([])) as url, \
            pytest.raises(OSError, match="the server answered 401 UNAUTHORIZED"):
        list(post_lines(url, {"X-Paas-Hook-Secret": "wrong"}, b"{}"))
    with pytest.raises(OSError):
        list(post_lines(url, {}, b"{}"))  # the server is gone
    with pytest.raises(OSError, match="not an http URL"):
        list(post_lines("https://127.0.0.1:1/x", {}, b"{}"))


@pytest.mark.parametrize(("verdict", "code"), [("ok", 0), ("fail", 1)])
def test_the_hook_prints_the_log_and_exits_with_the_verdict(verdict: str, code: int) -> None:
    with serving(_streamed([b"building\n", f"{STATUS_PREFIX}{verdict}\n".encode()])) as url:
        env = {**os.environ, "PAAS_APP": "shop", "PAAS_HOOK_URL": url,
               "PAAS_HOOK_SECRET": "s3cret", "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run([sys.executable, "-m", "paas.server.hook"], env=env,
                              input=f"{'0' * 40} {'1' * 40} refs/heads/main\n",
                              capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (code, "app=shop\nbuilding\n")


def test_the_hook_says_when_the_server_cannot_be_reached() -> None:
    with serving(_streamed([])) as url:
        pass
    env = {**os.environ, "PAAS_APP": "shop", "PAAS_HOOK_URL": url,
           "PAAS_HOOK_SECRET": "s3cret", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "paas.server.hook"], env=env, input="",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout.startswith("-----> paas: the platform server could not be reached (")
