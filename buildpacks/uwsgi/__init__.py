"""uWSGI, for WSGI apps that ship a ``uwsgi.ini`` (or set ``[tool.paas] server = "uwsgi"``).

A server buildpack: it takes the web process a framework detected (Flask, Django) and
serves the same WSGI callable with uWSGI; nginx then talks the binary uwsgi protocol
(``uwsgi_pass``) instead of HTTP. uWSGI comes from the ``pyuwsgi`` wheel, so no compiler
is needed in the image.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from importlib import resources

from buildpacks.python import manifests
from buildpacks.python.servers import GUNICORN_CONF, platform_file
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import WebProtocol
from paas.errors import BuildFailed

KIND = "server"

LAUNCHER = "/opt/paas/uwsgi_serve.py"


def _selected(src: SourceTree) -> str | None:
    if src.has("uwsgi.ini"):
        return "uwsgi.ini found"
    try:
        pyproject = manifests.toml(src, "pyproject.toml") or {}
    except BuildFailed:
        return None
    server = pyproject.get("tool", {}).get("paas", {}).get("server")
    return "[tool.paas] server = \"uwsgi\"" if server == "uwsgi" else None


def serve(src: SourceTree, web: WebServer) -> WebServer | None:
    why = _selected(src)
    if why is None or web.wsgi is None:
        return None
    return replace(
        web,
        command=shlex.join(["python", LAUNCHER, web.wsgi]),
        packages=("pyuwsgi",),
        files={
            GUNICORN_CONF: platform_file("gunicorn_conf.py"),
            LAUNCHER: resources.files(__name__).joinpath("launcher.py").read_text(),
        },
        protocol=WebProtocol.UWSGI,
        notes=(f"Server: uWSGI ({why}), master + processes sized like gunicorn's x 4 "
               "threads; nginx speaks the uwsgi protocol to it",
               *web.notes[1:]),
    )
