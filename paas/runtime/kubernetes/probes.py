"""The web container's probes, from the app's health check.

The Docker runtime probes a new replica itself and holds traffic until it answers the
check (``paas.domain.health``); on Kubernetes the kubelet does, through the probes here.
The readiness and startup probes ask ``GET <path>`` on the app's port with the check's
timeout as the startup window, sending ``Host: localhost`` as the Docker probe does (a
pod IP is not a host name Django's ALLOWED_HOSTS would list).

The kubelet's httpGet passes on any status from 200 to 399 and on nothing else, so:

- the default check (any status below 500 on ``/``: a 404 is an app that runs) cannot be
  said as an httpGet and stays a TCP probe of the app's port, as before;
- an expected status from 200 to 399 becomes an httpGet (the kubelet also passes the
  other statuses of that range);
- a path without a status becomes an httpGet, stricter than on Docker, and the deploy
  says so in one line;
- an expected status outside 200-399 (a 401 from a login wall) falls back to a TCP
  probe, and the deploy says so in one line;
- uWSGI's own protocol is not HTTP: TCP, as on Docker.

The liveness probe stays a TCP probe: restarting a replica whose health path fails
because a database is down would not bring the database back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from paas.domain.health import HealthCheck
from paas.domain.release import Build, WebProtocol
from paas.runtime.kubernetes.labels import Manifest

STARTUP_PERIOD = 2
#: Startup probe failures allowed when the check names no timeout (2 minutes).
DEFAULT_STARTUP_FAILURES = 60
READY_PERIOD = 5
READY_FAILURES = 3
LIVE_PERIOD = 10
LIVE_FAILURES = 3
#: Seconds one HTTP probe may take, as the Docker runtime's probe.
REQUEST_TIMEOUT = 2
#: The statuses the kubelet's httpGet passes on.
KUBELET_PASSES = range(200, 400)


@dataclass(frozen=True)
class Probes:
    startup: Manifest
    readiness: Manifest
    liveness: Manifest
    #: One line for the deploy output when the check is not kept as configured.
    note: str | None = None


def tcp(port: int | str, period: int, failures: int) -> Manifest:
    return {"tcpSocket": {"port": port}, "periodSeconds": period, "failureThreshold": failures}


def _http(path: str, port: int, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP",
                    "httpHeaders": [{"name": "Host", "value": "localhost"}]},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": REQUEST_TIMEOUT,
    }


def _handler(build: Build, check: HealthCheck) -> tuple[bool, str | None]:
    """Whether to probe by HTTP, and the line saying how the check was changed."""
    said = check.describe()
    if build.web_protocol is WebProtocol.UWSGI:
        return False, (None if check.status is None and check.path == "/" else
                       f"Health check: uWSGI speaks its own protocol, so {said} is checked "
                       "as an open port on Kubernetes")
    if check.status is None:
        if check.path == "/":
            return False, None
        return True, (f"Health check: the kubelet passes only statuses 200-399, so "
                      f"GET {check.path} must answer one of those on Kubernetes")
    if check.status in KUBELET_PASSES:
        return True, None
    return False, (f"Health check: the kubelet passes only statuses 200-399, so {said} "
                   f"is checked as an open port on Kubernetes")


def web_probes(build: Build, check: HealthCheck) -> Probes:
    """The app container's probes for ``check`` (the build's, with the config's
    overrides); the startup window is the check's timeout when it names one."""
    http, note = _handler(build, check)
    failures = (DEFAULT_STARTUP_FAILURES if check.timeout is None
                else max(1, math.ceil(check.timeout / STARTUP_PERIOD)))

    def probe(period: int, failures: int) -> Manifest:
        if http:
            return _http(check.path, build.port, period, failures)
        return tcp(build.port, period, failures)

    return Probes(
        startup=probe(STARTUP_PERIOD, failures),
        readiness=probe(READY_PERIOD, READY_FAILURES),
        liveness=tcp(build.port, LIVE_PERIOD, LIVE_FAILURES),
        note=note,
    )
