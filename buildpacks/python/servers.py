"""Production servers framework buildpacks share: gunicorn with the platform's config."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from importlib import resources

from paas.builder.plan import WebServer
from paas.domain.release import StaticMount

GUNICORN_CONF = "/opt/paas/gunicorn.conf.py"
#: The ASGI worker for gunicorn (uvicorn's own ``uvicorn.workers`` moved to this package).
UVICORN_WORKER = "uvicorn_worker.UvicornWorker"


def platform_file(name: str) -> str:
    return resources.files("buildpacks.python").joinpath(name).read_text()


def gunicorn(
    framework: str,
    target: str,
    reason: str,
    *,
    asgi: bool = False,
    static: tuple[StaticMount, ...] = (),
    build_steps: tuple[tuple[str, ...], ...] = (),
    notes: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
) -> WebServer:
    """gunicorn behind nginx: gthread workers for WSGI, uvicorn workers for ASGI.

    Both size the worker count from the container's cgroup limits at start.
    """
    worker = ["--worker-class", UVICORN_WORKER] if asgi else []
    command = shlex.join(["gunicorn", "--config", GUNICORN_CONF, *worker, target])
    server = (
        "Server: gunicorn with uvicorn workers (ASGI), 2 x CPUs + 1 capped by memory / 256 MiB"
        if asgi else
        "Server: gunicorn, gthread workers (2 x CPUs + 1, capped by memory / 256 MiB) "
        "x 32 threads, behind nginx, which buffers slow clients"
    )
    return WebServer(
        framework=framework,
        command=command,
        reason=reason,
        packages=("gunicorn", "uvicorn-worker") if asgi else ("gunicorn",),
        files={GUNICORN_CONF: platform_file("gunicorn_conf.py")},
        static=static,
        wsgi=None if asgi else target,
        build_steps=build_steps,
        env=dict(env or {}),
        notes=(server, *notes),
    )
