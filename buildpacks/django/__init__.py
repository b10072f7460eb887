"""Django: manage.py plus its settings module, served by gunicorn (uvicorn workers for ASGI).

The settings module comes from manage.py's ``DJANGO_SETTINGS_MODULE``; the settings are
read, not imported: ``WSGI_APPLICATION`` / ``ASGI_APPLICATION``, ``STATIC_ROOT`` and
``STATIC_URL``, following ``from .base import *`` chains. ``STATIC_ROOT`` is evaluated for
the usual forms (``BASE_DIR / "staticfiles"``, ``os.path.join(BASE_DIR, ...)``) so the
router can serve what ``collectstatic`` gathers at build time. The router serves a
published copy (publish_static.py): unhashed names too, never ``staticfiles.json``.

``DEBUG = True`` and a startproject ``SECRET_KEY`` are warned about at push (from
Django's ``check --deploy`` list), without failing it; an app on SQLite is told that its
database does not survive a release.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import replace
from importlib import resources

from buildpacks.python import declared
from buildpacks.python.servers import gunicorn
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

KIND = "framework"
PRIORITY = 30

APP_DIR = "/app"
_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")
_WANTED = ("WSGI_APPLICATION", "ASGI_APPLICATION", "STATIC_ROOT", "STATIC_URL", "DEBUG",
           "SECRET_KEY")
#: Where the router's copy of STATIC_ROOT goes in the image.
PUBLISHED_STATIC = "/app/.paas/static"
PUBLISHER = "/opt/paas/django_static.py"
_SQLITE = re.compile(r"django\.db\.backends\.sqlite3")
_DATABASE_URL = re.compile(r"DATABASE_URL|dj_database_url|dj-database-url|\bPG(HOST|DATABASE)\b")


class _Unknown(Exception):
    """An expression we cannot evaluate without running the settings."""


def _module_path(src: SourceTree, module: str) -> str | None:
    base = module.replace(".", "/")
    for path in (f"{base}.py", f"{base}/__init__.py"):
        if src.has(path):
            return path
    return None


class _Evaluator:
    """Evaluates the path expressions settings files use, with ``__file__`` in /app."""

    def __init__(self, path: str) -> None:
        self.names: dict[str, object] = {"__file__": posixpath.join(APP_DIR, path)}

    def eval(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            raise _Unknown(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return posixpath.join(str(self.eval(node.left)), str(self.eval(node.right)))
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            return posixpath.dirname(str(self.eval(node.value)))
        if isinstance(node, ast.Call):
            return self._call(node)
        raise _Unknown(ast.dump(node))

    def _call(self, node: ast.Call) -> object:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = node.args
        if name in ("resolve", "absolute", "expanduser") and isinstance(func, ast.Attribute):
            return self.eval(func.value)
        if name == "joinpath" and isinstance(func, ast.Attribute):
            return posixpath.join(str(self.eval(func.value)), *(str(self.eval(a))
                                                                 for a in args))
        if name in ("Path", "PurePath", "str", "abspath", "realpath", "normpath", "fspath") \
                and len(args) == 1:
            return posixpath.normpath(str(self.eval(args[0])))
        if name == "dirname" and len(args) == 1:
            return posixpath.dirname(str(self.eval(args[0])))
        if name == "join" and args:
            return posixpath.join(*(str(self.eval(a)) for a in args))
        if name in ("get", "getenv") and (len(args) == 2 or node.keywords):
            # os.environ.get("STATIC_ROOT", default): the build has no app config.
            default = args[1] if len(args) == 2 else next(
                (kw.value for kw in node.keywords if kw.arg == "default"), None)
            if default is not None:
                return self.eval(default)
        if name in ("get", "getenv") and len(args) == 1 and not node.keywords:
            return None
        raise _Unknown(name)


def _settings(src: SourceTree, module: str, seen: set[str] | None = None,
              names: dict[str, object] | None = None) -> dict[str, object]:
    """The wanted settings' values (``_Unknown`` instances when not evaluable).

    ``names`` collects every evaluated module-level name, so a star import brings
    ``BASE_DIR`` along like Python would.
    """
    seen = seen if seen is not None else set()
    path = _module_path(src, module)
    if path is None or path in seen:
        return {}
    seen.add(path)
    try:
        tree = src.parse(path)
    except (SyntaxError, ValueError):
        return {}
    ev = _Evaluator(path)
    names_out = names if names is not None else {}
    out: dict[str, object] = {}
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            base = package
            for _ in range(max(0, node.level - 1)):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.level and node.module
                      else base if node.level else node.module or "")
            imported: dict[str, object] = {}
            out.update(_settings(src, target, seen, imported))
            ev.names.update({k: v for k, v in imported.items() if k != "__file__"})
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if not isinstance(t, ast.Name):
                    continue
                try:
                    value: object = ev.eval(node.value)
                    ev.names[t.id] = value
                except _Unknown as e:
                    value = e
                if t.id in _WANTED:
                    out[t.id] = value
    names_out.update(ev.names)
    return out


def _static_url(value: object) -> str | None:
    url = value if isinstance(value, str) else "/static/"
    if "://" in url or url.startswith("//"):
        return None  # a CDN, not us
    return "/" + url.strip("/") + "/"


def _insecure_key(value: object) -> bool:
    """Django's W009: a startproject key, or one too short or too plain to be secret."""
    return isinstance(value, str) and (
        value.startswith("django-insecure-") or len(value) < 50 or len(set(value)) < 5)


def deploy_warnings(settings: dict[str, object], where: str) -> list[str]:
    """What ``check --deploy`` would flag that the source alone shows; never fatal."""
    warnings = []
    if settings.get("DEBUG") is True:
        warnings.append(f"Warning: DEBUG = True in {where}: error pages show settings and "
                        "code to anyone; read it from the environment and leave it off")
    if _insecure_key(settings.get("SECRET_KEY")):
        warnings.append(f"Warning: SECRET_KEY in {where} is the startproject default or "
                        "weak: set a long random one with `paas config:set SECRET_KEY=...` "
                        "and read it from os.environ")
    return warnings


def _settings_text(src: SourceTree, settings_module: str) -> str:
    package = settings_module.rpartition(".")[0]
    texts = [src.read(p) or "" for p in src.paths(".py")
             if p.startswith(package.replace(".", "/") + "/") or p == "settings.py"]
    return "\n".join(texts)


def _sqlite(src: SourceTree, settings_module: str) -> bool:
    """Settings that name SQLite and no DATABASE_URL: the database lives in the
    container's file system."""
    joined = _settings_text(src, settings_module)
    return bool(_SQLITE.search(joined)) and not _DATABASE_URL.search(joined)


def _may_use_sqlite(src: SourceTree, settings_module: str) -> bool:
    """Settings that name SQLite at all, e.g. as the fallback while DATABASE_URL is unset
    (Heroku's template): its file is written under /app, so the root must be writable."""
    return bool(_SQLITE.search(_settings_text(src, settings_module)))


def detect(src: SourceTree) -> WebServer | None:
    if "django" not in declared(src) or not src.has("manage.py"):
        return None
    m = _SETTINGS.search(src.read("manage.py") or "")
    if m is None:
        return None
    settings_module = m.group(1)
    settings = _settings(src, settings_module)
    package = settings_module.rpartition(".")[0] or settings_module
    notes: list[str] = []
    asgi = settings.get("ASGI_APPLICATION")
    wsgi = settings.get("WSGI_APPLICATION")
    if isinstance(asgi, str) and "." in asgi:
        dotted, source = asgi, "ASGI_APPLICATION"
    elif isinstance(wsgi, str) and "." in wsgi:
        dotted, source = wsgi, "WSGI_APPLICATION"
    elif _module_path(src, f"{package}.wsgi"):
        dotted, source = f"{package}.wsgi.application", f"{package}/wsgi.py"
    else:
        return None
    module, _, attr = dotted.rpartition(".")

    steps: tuple[tuple[str, ...], ...] = ()
    static: tuple[StaticMount, ...] = ()
    root = settings.get("STATIC_ROOT")
    files: dict[str, str] = {}
    if "STATIC_ROOT" in settings and root is not None:
        steps = (("python", "manage.py", "collectstatic", "--noinput"),)
        url = _static_url(settings.get("STATIC_URL"))
        if isinstance(root, str) and url and root.startswith(APP_DIR + "/"):
            root = posixpath.normpath(root)
            steps += (("python", PUBLISHER, root, PUBLISHED_STATIC),)
            files[PUBLISHER] = resources.files(__name__).joinpath(
                "publish_static.py").read_text()
            static = (StaticMount(url, PUBLISHED_STATIC),)
            notes.append(f"Static files: collectstatic at build, {url} served by nginx "
                         f"from {root} (unhashed names too; staticfiles.json never)")
        else:
            notes.append("Static files: collectstatic at build; STATIC_ROOT is not a "
                         "path inside the app, so nginx does not serve it")
    else:
        notes.append("Static files: STATIC_ROOT is not set, so no collectstatic; set "
                     "STATIC_ROOT = BASE_DIR / 'staticfiles' to have nginx serve them")
    notes += deploy_warnings(settings, _module_path(src, settings_module) or settings_module)
    writes_sqlite = _may_use_sqlite(src, settings_module)
    if writes_sqlite:
        notes.append("Root filesystem: writable, for a SQLite database under /app "
                     "(containers are read-only otherwise)")
    if _sqlite(src, settings_module):
        notes.append("Tip: the database is SQLite, a file in the container: every release "
                     "and every replica starts from its own empty copy. Use the PostgreSQL "
                     "add-on (`paas addons:create postgres`, read DATABASE_URL), then "
                     "migrate with a 'release: python manage.py migrate --noinput' line")
    elif not re.search(r"^\s*release\s*:", src.read("Procfile") or "", re.M):
        notes.append("Tip: add 'release: python manage.py migrate --noinput' to the "
                     "Procfile to migrate once per release, before it takes traffic")
    server = gunicorn(
        "Django",
        f"{module}:{attr}",
        f"{source} = {dotted} (settings {settings_module})",
        asgi=dotted == asgi,
        static=static,
        build_steps=steps,
        notes=tuple(notes),
    )
    return replace(server, files={**server.files, **files}, writable_root=writes_sqlite)
