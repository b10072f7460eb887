"""Tornado: a script that builds a ``tornado.web.Application`` and starts the IOLoop.

Tornado is its own HTTP server on an event loop, so it runs natively, never inside a
WSGI server: ``python app.py`` through a small launcher (launcher.py) that gives the first
server ``$PORT``, turns on ``xheaders`` behind the proxy and shuts down gracefully on
SIGTERM. One process per replica (see launcher.py for why); scale with replicas, or set
``WEB_CONCURRENCY`` for an app that keeps no state in its process.
"""

from __future__ import annotations

import ast
import shlex
from importlib import resources

from buildpacks.python import (
    call_name,
    declared,
    imports,
    literal_kwargs,
    modules,
    pick,
    tornado_application_names,
)
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

KIND = "framework"
PRIORITY = 35

LAUNCHER = "/opt/paas/tornado_serve.py"
_STARTS = ("start", "run", "run_sync")


def _is_script(tree: ast.Module) -> bool:
    """Starts a loop: an ``if __name__ == "__main__"`` block or a top-level start call."""
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return True
        if isinstance(node, ast.Expr) and call_name(node.value) in _STARTS:
            return True
    return False


def _folder(node: ast.expr) -> str | None:
    """The folder a ``static_path`` value names, relative to the script: the last string
    of ``os.path.join(os.path.dirname(__file__), "static")``, ``BASE / "static"`` or a
    plain relative string; None for anything else (an absolute or computed path)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = node.value.strip("/") if not node.value.startswith("/") else None
        return value or None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _folder(node.right)
    if isinstance(node, ast.Call) and call_name(node) in ("join", "Path") and node.args:
        return _folder(node.args[-1])
    return None


def _static_settings(tree: ast.Module, apps: set[str]) -> list[tuple[ast.expr, object]]:
    """(static_path expression, static_url_prefix) pairs: keywords of an Application
    call, and the ``settings = dict(static_path=...)`` or ``{"static_path": ...}`` an
    Application subclass builds in ``__init__`` (Tornado's own demos do this)."""
    found: list[tuple[ast.expr, object]] = []
    scopes: list[ast.AST] = [n for n in tree.body if isinstance(n, ast.ClassDef)
                             and n.name in apps]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) in apps:
            scopes.append(node)
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and call_name(node) in (*apps, "dict", "__init__"):
                kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
                if "static_path" in kwargs:
                    prefix = literal_kwargs(node).get("static_url_prefix", "/static/")
                    found.append((kwargs["static_path"], prefix))
            elif isinstance(node, ast.Dict):
                keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
                if "static_path" in keys:
                    values = dict(zip(keys, node.values, strict=True))
                    prefix_node = values.get("static_url_prefix")
                    prefix = (prefix_node.value if isinstance(prefix_node, ast.Constant)
                              else "/static/")
                    found.append((values["static_path"], prefix))
    return found


def _static(src: SourceTree, path: str, tree: ast.Module) -> tuple[StaticMount, ...]:
    """``static_path`` of the Application: Tornado serves it at /static/, nginx does here."""
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for value, prefix in _static_settings(tree, tornado_application_names(tree)):
        folder = _folder(value) or "static"
        directory = f"{base}{folder}"
        if isinstance(prefix, str) and ".." not in folder.split("/") \
                and src.has_dir(directory):
            return (StaticMount("/" + prefix.strip("/") + "/", f"/app/{directory}"),)
    return ()


def detect(src: SourceTree) -> list[WebServer] | None:
    if "tornado" not in declared(src):
        return None
    candidates: list[tuple[tuple[object, ...], str, str]] = []
    trees: dict[str, ast.Module] = {}
    for path, tree in modules(src):
        if not imports(tree, "tornado") or not _is_script(tree):
            continue
        apps = tornado_application_names(tree)
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
            notes=("Server: Tornado's own (no WSGI server), one process per replica "
                   "(WEB_CONCURRENCY=N forks N sharing the port, for apps without state "
                   "in the process), xheaders on, port from $PORT; scale with replicas",),
        ))
    return servers or None
