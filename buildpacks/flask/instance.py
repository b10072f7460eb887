"""A SQLite database in Flask's instance folder, found by reading the source.

Flask's tutorial (flaskr) keeps its database at
``os.path.join(app.instance_path, "flaskr.sqlite")`` and creates its tables with an
``init-db`` command, which a ``release:`` line runs once per release in a container of
its own. The web replicas must see the file that command wrote, and the next release
must find it again, so the instance folder becomes a per-app volume (a data folder of
the build) instead of a path in one container's file system.

The platform installs an app's dependencies, not the app itself, so Flask finds the app
uninstalled and its instance folder is ``instance`` next to the top-level package or
module: /app/instance, unless the ``Flask(...)`` call names an absolute
``instance_path``.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable

from buildpacks.python import call_name, literal_kwargs

APP_DIR = "/app"
DEFAULT_INSTANCE = f"{APP_DIR}/instance"
#: Flask-SQLAlchemy 3 puts a relative ``sqlite:///name.db`` in the instance folder.
_RELATIVE_SQLITE_URL = re.compile(r"^sqlite:///(?!/)\S")


def _mentions_sqlite(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "sqlite" in node.value.lower():
            return True
    return False


def _reads_instance_path(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "instance_path"
               for n in ast.walk(tree))


def _relative_sqlite_url(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str)
               and _RELATIVE_SQLITE_URL.match(n.value) for n in ast.walk(tree))


def instance_folder(trees: Iterable[tuple[str, ast.Module]]) -> str:
    """The app's instance folder in the image: a literal absolute ``instance_path`` of
    its ``Flask(...)`` call, else Flask's default for an uninstalled app."""
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and call_name(node) == "Flask":
                path = literal_kwargs(node).get("instance_path")
                if isinstance(path, str) and path.startswith("/"):
                    return posixpath.normpath(path)
    return DEFAULT_INSTANCE


def sqlite_in_instance(trees: Iterable[tuple[str, ast.Module]],
                       flask_sqlalchemy: bool) -> str | None:
    """The module that puts a SQLite database in the instance folder, or None.

    Either a module reads ``app.instance_path`` and mentions SQLite (``import sqlite3``,
    a ``"flaskr.sqlite"`` name, a ``sqlite:///`` URL), or the app uses Flask-SQLAlchemy
    with a relative SQLite URL, which that extension resolves in the instance folder.
    """
    for path, tree in trees:
        if _mentions_sqlite(tree) and (
            _reads_instance_path(tree) or (flask_sqlalchemy and _relative_sqlite_url(tree))
        ):
            return path
    return None
