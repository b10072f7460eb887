"""Waiting for a new web replica to answer before it gets traffic.

By default "answers" means any HTTP response below 500 on ``/`` (a 404 is an app that
runs; a 502 or a refused connection is not), as Heroku's boot check and Dokku's default
checks do; an app's ``HealthCheck`` names another path and status. uWSGI replicas speak
the uwsgi protocol, so for them an accepted TCP connection counts. A probe returns what
it got (status, or the error) rather than a bool, so a failure can say which it was.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

from paas.domain.health import Answer

#: Seconds between two probes of a new replica: a refused connection costs next to
#: nothing, and its first answer is what the rollout waits for.
POLL = 0.02
#: Seconds between two looks (an engine call each) at whether it still runs.
ALIVE_EVERY = 0.2


def _error(e: Exception) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, TimeoutError):  # socket.timeout is an alias of it
        return "timed out"
    return str(e) or type(e).__name__


def answers_http(host: str, port: int, path: str = "/", timeout: float = 2.0) -> Answer:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "localhost", "User-Agent": "paas-health"})
        return Answer(status=conn.getresponse().status)
    except (OSError, http.client.HTTPException) as e:
        return Answer(error=_error(e))
    finally:
        conn.close()


def accepts_tcp(host: str, port: int, timeout: float = 2.0) -> Answer:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return Answer(accepted=True)
    except OSError as e:
        return Answer(error=_error(e))


def wait_until(
    check: Callable[[], bool],
    still_running: Callable[[], bool],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    alive_every: float = ALIVE_EVERY,
) -> str | None:
    """Poll ``check``; None when it passed, else why not ("exited" or "timed out").
    ``still_running`` is asked at the first failed check, then every ``alive_every``
    seconds and at the deadline, so a timeout is never told for an exit."""
    deadline = clock() + timeout
    look = clock()
    while True:
        if check():
            return None
        now = clock()
        if now >= look or now >= deadline:
            if not still_running():
                return "exited"
            look = now + alive_every
        if now >= deadline:
            return "timed out"
        sleep(POLL)
