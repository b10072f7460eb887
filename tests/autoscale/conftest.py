"""A real, private redis-server per test session (Debian's binary), never a shared one."""

from __future__ import annotations

import os
import selectors
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

REDIS_SERVER = shutil.which("redis-server") or (
    "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
)
READY = b"Ready to accept connections"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    # scripts/test installs redis-server: a missing one is a broken set-up, not a skip.
    assert REDIS_SERVER is not None, "redis-server not found (scripts/test installs it)"
    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Wait on the server's own "ready" log line, not on a sleep; the deadline only
    # bounds a broken start.
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 20
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while READY not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None or not sel.select(left):
                proc.kill()
                proc.wait()
                pytest.fail(f"redis-server did not start: {seen.decode(errors='replace')}")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                continue
            seen += chunk
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
