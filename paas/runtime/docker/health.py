"""Waiting for a new web replica to answer before it gets traffic.

"Answers" means any HTTP response below 500 on ``/`` (a 404 is an app that runs; a 502
or a refused connection is not), as Heroku's boot check and Dokku's default checks do.
uWSGI replicas speak the uwsgi protocol, so for them an accepted TCP connection counts.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

POLL = 0.05


def answers_http(host: str, port: int, timeout: float = 2.0) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"Host": "localhost", "User-Agent": "paas-health"})
        return conn.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def accepts_tcp(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(
    check: Callable[[], bool],
    still_running: Callable[[], bool],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Poll ``check``; None when it passed, else why not ("exited" or "timed out")."""
    deadline = clock() + timeout
    while True:
        if check():
            return None
        if not still_running():
            return "exited"
        if clock() >= deadline:
            return "timed out"
        sleep(POLL)
