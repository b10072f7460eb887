"""ASGI apps (FastAPI, Starlette, Quart): gunicorn managing uvicorn workers.

gunicorn gives the same worker sizing (cgroup CPU and memory), restarts of dead workers
and graceful SIGTERM as for WSGI apps; each uvicorn worker runs the app's event loop.
FastAPI/Starlette ``app.mount("/static", StaticFiles(directory="static"))`` and Quart's
static folder are served by nginx instead.
"""

from __future__ import annotations

import ast

from buildpacks.python import call_name, declared, literal_kwargs, module_name, modules, pick
from buildpacks.python.servers import gunicorn
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

KIND = "framework"
PRIORITY = 45

#: Application class -> the package that provides it.
_CLASSES = {"FastAPI": "fastapi", "Starlette": "starlette", "Quart": "quart"}
_APP_NAMES = ("app", "application", "api")
_FACTORIES = ("create_app", "make_app")
_PREFERRED = ("main.py", "app.py", "asgi.py", "api.py", "server.py", "__init__.py")


def _targets(tree: ast.Module, classes: set[str]) -> list[tuple[str, str]]:
    """(target, class) pairs: named app objects first, then others, then factories."""
    objects: list[tuple[str, str]] = []
    factories: list[tuple[str, str]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and call_name(node.value) in classes:
            cls = call_name(node.value)
            objects += [(t.id, cls) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.FunctionDef) and node.name in _FACTORIES:
            made = {call_name(n) for n in ast.walk(node)} & classes
            if made:
                factories.append((f"{node.name}()", sorted(made)[0]))
    named = [o for o in objects if o[0] in _APP_NAMES]
    return named + [o for o in objects if o[0] not in _APP_NAMES] + factories


def _static(src: SourceTree, path: str, tree: ast.Module) -> tuple[StaticMount, ...]:
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    mounts: list[StaticMount] = []
    for node in ast.walk(tree):
        # app.mount("/static", StaticFiles(directory="static"), name="static")
        if (isinstance(node, ast.Call) and call_name(node) == "mount" and len(node.args) >= 2
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and call_name(node.args[1]) == "StaticFiles"):
            call = node.args[1]
            assert isinstance(call, ast.Call)
            directory = literal_kwargs(call).get("directory")
            if isinstance(directory, str) and not directory.startswith("/") \
                    and ".." not in directory.split("/"):
                rel = f"{base}{directory.strip('/')}" if not directory.startswith(".") \
                    else directory.strip("./")
                if src.has_dir(rel):
                    mounts.append(StaticMount(node.args[0].value.rstrip("/") + "/",
                                              f"/app/{rel}"))
        elif isinstance(node, ast.Call) and call_name(node) == "Quart" and src.has_dir(
            f"{base}static"
        ):
            mounts.append(StaticMount("/static/", f"/app/{base}static"))
    return tuple(mounts)


def detect(src: SourceTree) -> list[WebServer] | None:
    deps = declared(src)
    classes = {cls for cls, package in _CLASSES.items() if package in deps}
    if not classes:
        return None
    candidates: list[tuple[tuple[object, ...], str, str]] = []
    trees: dict[str, ast.Module] = {}
    kinds: dict[str, str] = {}
    for path, tree in modules(src):
        targets = _targets(tree, classes)
        if targets:
            target, cls = targets[0]
            trees[path], kinds[path] = tree, cls
            rank = (path.rsplit("/", 1)[-1] not in _PREFERRED, path.count("/"),
                    target.endswith("()"))
            candidates.append((rank, path, target))
    return [
        gunicorn(kinds[path], f"{module_name(path)}:{target}", f"{target} in {path}",
                 asgi=True, static=_static(src, path, trees[path]))
        for path, target in pick(candidates)
    ] or None
