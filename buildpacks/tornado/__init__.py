"""Tornado: a script that builds a ``tornado.web.Application`` and starts the IOLoop.

Tornado is its own HTTP server on an event loop, so it runs natively, never inside a
WSGI server: ``python app.py`` through a small launcher (launcher.py) that gives the first
server ``$PORT``, turns on ``xheaders`` behind the proxy and shuts down gracefully on
SIGTERM. One process per replica (see launcher.py for why); scale with replicas.
"""

from __future__ import annotations

import ast
import shlex
from importlib import resources

from buildpacks.python import call_name, declared, literal_kwargs, modules, pick
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

KIND = "framework"
PRIORITY = 35

LAUNCHER = "/opt/paas/tornado_serve.py"
_STARTS = ("start", "run", "run_sync")


def _application_names(tree: ast.Module) -> set[str]:
    """Names that build a tornado Application here: the class and local subclasses."""
    names = {"Application"}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            (isinstance(b, ast.Attribute) and b.attr == "Application")
            or (isinstance(b, ast.Name) and b.id in names)
            for b in node.bases
        ):
            names.add(node.name)
    return names


def _imports_tornado(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.startswith("tornado") for a in
                                                node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tornado"):
            return True
    return False


def _is_script(tree: ast.Module) -> bool:
    """Starts a loop: an ``if __name__ == "__main__"`` block or a top-level start call."""
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return True
        if isinstance(node, ast.Expr) and call_name(node.value) in _STARTS:
            return True
    return False


def _static(src: SourceTree, path: str, tree: ast.Module) -> tuple[StaticMount, ...]:
    """``static_path=`` given to the Application: Tornado serves it at /static/."""
    apps = _application_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or call_name(node) not in apps:
            continue
        if any(kw.arg == "static_path" for kw in node.keywords):
            prefix = literal_kwargs(node).get("static_url_prefix", "/static/")
            base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            if isinstance(prefix, str) and src.has_dir(f"{base}static"):
                return (StaticMount("/" + prefix.strip("/") + "/", f"/app/{base}static"),)
    return ()


def detect(src: SourceTree) -> list[WebServer] | None:
    if "tornado" not in declared(src):
        return None
    candidates: list[tuple[tuple[object, ...], str, str]] = []
    trees: dict[str, ast.Module] = {}
    for path, tree in modules(src):
        if not _imports_tornado(tree) or not _is_script(tree):
            continue
        apps = _application_names(tree)
        if any(call_name(n) in apps for n in ast.walk(tree)):
            trees[path] = tree
            candidates.append(((path.count("/"), path.endswith("__init__.py")), path, path))
    servers = []
    for path, _ in pick(candidates):
        text = src.read(path) or ""
        args = [path]
        if "define(\"port\"" in text or "define('port'" in text:
            args.append("--port=$PORT")
        servers.append(WebServer(
            framework="Tornado",
            command="python " + shlex.join([LAUNCHER, *args[:1]]) + "".join(
                f" {a}" for a in args[1:]),
            reason=f"tornado.web.Application started in {path}",
            files={LAUNCHER: resources.files(__name__).joinpath("launcher.py").read_text()},
            static=_static(src, path, trees[path]),
            notes=("Server: Tornado's own (no WSGI server), one process per replica, "
                   "xheaders on, port from $PORT; scale with replicas",),
        ))
    return servers or None
