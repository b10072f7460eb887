"""Flask: an ``app``/``application`` object or a ``create_app()`` factory, served by gunicorn.

Found by reading the source (never importing it): module-level ``Flask(...)`` objects,
objects made by calling a factory (``app = create_app()``), and ``create_app``/``make_app``
functions, in root modules or one package deep (``mypkg/__init__.py``). Conventional entry
modules (app.py, wsgi.py, ...) win; a tie between equally likely candidates is reported.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from buildpacks.flask.instance import instance_folder, sqlite_in_instance
from buildpacks.python import (
    call_name,
    declared,
    literal_kwargs,
    module_name,
    modules,
    own_server,
    pick,
)
from buildpacks.python.servers import gunicorn
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount, data_dir_problem

KIND = "framework"
PRIORITY = 40

_APP_NAMES = ("app", "application")
_FACTORIES = ("create_app", "make_app")
_PREFERRED = ("app.py", "wsgi.py", "main.py", "application.py", "__init__.py")


def _flask_targets(tree: ast.Module) -> list[str]:
    """gunicorn targets in a module, best first: app objects, other objects, factories."""
    objects: list[str] = []
    factories: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and (
            call_name(node.value) == "Flask" or call_name(node.value) in _FACTORIES
        ):
            objects += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.FunctionDef) and node.name in _FACTORIES:
            factories.append(f"{node.name}()")
    named = [o for o in objects if o in _APP_NAMES]
    return named + [o for o in objects if o not in _APP_NAMES] + factories


def _static(src: SourceTree, path: str, tree: ast.Module) -> tuple[StaticMount, ...]:
    """Flask's static folder (``static`` next to the app's module unless told otherwise)."""
    folder: object = "static"
    url: object = "/static"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == "Flask":
            kwargs = literal_kwargs(node)
            folder = kwargs.get("static_folder", folder)
            url = kwargs.get("static_url_path", f"/{folder}" if isinstance(folder, str)
                             else url)
            break
    if not isinstance(folder, str) or not isinstance(url, str) or folder.startswith("/"):
        return ()
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    directory = f"{base}{folder.strip('/')}"
    if ".." in directory.split("/") or not src.has_dir(directory):
        return ()
    return (StaticMount(url.rstrip("/") + "/", f"/app/{directory}"),)


def detect(src: SourceTree) -> list[WebServer] | None:
    if "flask" not in declared(src):
        return None
    candidates: list[tuple[tuple[object, ...], str, str]] = []
    trees: dict[str, ast.Module] = {}
    for path, tree in modules(src):
        server = own_server(tree)
        if server is not None and server.native:
            return None
        targets = _flask_targets(tree)
        if targets:
            trees[path] = tree
            base = path.rsplit("/", 1)[-1]
            rank = (base not in _PREFERRED, path.count("/"), targets[0].endswith("()"))
            candidates.append((rank, path, targets[0]))
    found = pick(candidates)
    servers = [
        gunicorn("Flask", f"{module_name(path)}:{target}", f"{target} in {path}",
                 static=_static(src, path, trees[path]))
        for path, target in found
    ]
    return [_with_instance_volume(src, s) for s in servers] or None


def _with_instance_volume(src: SourceTree, server: WebServer) -> WebServer:
    """An app whose SQLite database lives in its instance folder gets that folder as a
    data folder: the release phase's ``init-db`` and every replica share it."""
    parsed = list(modules(src))
    where = sqlite_in_instance(parsed, "flask-sqlalchemy" in declared(src))
    if where is None:
        return server
    folder = instance_folder(parsed)
    if data_dir_problem(folder):
        return replace(server, writable_root=True, notes=(*server.notes, (
            f"Data: {folder} holds a SQLite database ({where}) outside /app: each "
            "container writes its own copy, lost at the next release (root filesystem "
            "writable for it); use the PostgreSQL add-on")))
    note = (f"Data: {folder} holds a SQLite database ({where}): a volume of the app that "
            "the release phase, every replica and `paas run` share, kept across releases "
            "(one host; use the PostgreSQL add-on to outgrow it)")
    return replace(server, data_dirs=(folder,), notes=(*server.notes, note))
