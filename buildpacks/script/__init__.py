"""Scripts that start their own server: run them as scripts, bound to ``$PORT``.

A module that starts a Tornado ``HTTPServer`` (often around ``WSGIContainer(flask_app)``,
as the classic nginx/Tornado/Flask guides teach), aiohttp's ``web.run_app``, or a Flask
``app.run()`` at import cannot be handed to gunicorn: importing it starts that server
inside gunicorn's first worker, on the port it hard-codes, and the other workers die
with "Address already in use". So it runs natively, ``python <launcher> script.py``;
the launcher (launcher.py) gives its server ``$PORT`` on all interfaces whatever port it
asks for. One process per replica; the plan says when gunicorn would serve it better.
Tornado ``Application`` scripts are the Tornado buildpack's.
"""

from __future__ import annotations

import shlex
from importlib import resources

from buildpacks.python import declared, modules, own_server, pick
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree

KIND = "framework"
PRIORITY = 33

LAUNCHER = "/opt/paas/serve_script.py"
TORNADO_LAUNCHER = "/opt/paas/tornado_serve.py"
_PACKAGES = {"Tornado": "tornado", "aiohttp": "aiohttp", "Flask": "flask"}
_PREFERRED = ("server.py", "app.py", "main.py", "run.py", "wsgi.py")


def _launchers() -> dict[str, str]:
    here = resources.files(__name__)
    tornado = resources.files("buildpacks.tornado")
    return {LAUNCHER: here.joinpath("launcher.py").read_text(),
            TORNADO_LAUNCHER: tornado.joinpath("launcher.py").read_text()}


def detect(src: SourceTree) -> list[WebServer] | None:
    deps = declared(src)
    candidates: list[tuple[tuple[object, ...], str, str]] = []
    for path, tree in modules(src):
        found = own_server(tree)
        if found is None or not found.native or found.tornado_application:
            continue
        if _PACKAGES[found.framework] not in deps:
            continue
        rank = (not found.at_import and not found.wsgi,
                path.rsplit("/", 1)[-1] not in _PREFERRED, path.count("/"))
        candidates.append((rank, path, found.kind))
    servers = []
    for path, kind in pick(candidates):
        text = src.read(path) or ""
        args = ""
        if "define(\"port\"" in text or "define('port'" in text:
            args = " --port=$PORT"
        started = "at import" if own_server_at_import(src, path) else "under __main__"
        notes = [f"Server: {kind}, started {started}: run natively, one process per "
                 "replica, on $PORT whatever port the script asks for; scale with replicas"]
        if "WSGI" in kind or kind.startswith("Flask"):
            notes.append("gunicorn would serve this WSGI app better (a pool of workers, "
                         "not one event loop): a Procfile line 'web: gunicorn "
                         "<module>:<app>' switches to it")
        servers.append(WebServer(
            framework=kind.split()[0],
            command="python " + shlex.join([LAUNCHER, path]) + args,
            reason=f"{kind} started in {path}",
            files=_launchers(),
            notes=tuple(notes),
        ))
    return servers or None


def own_server_at_import(src: SourceTree, path: str) -> bool:
    tree = dict(modules(src)).get(path)
    found = own_server(tree) if tree is not None else None
    return bool(found and found.at_import)
