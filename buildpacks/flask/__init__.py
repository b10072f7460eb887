"""Flask: a WSGI app object or a ``create_app()`` factory, served by gunicorn."""

from __future__ import annotations

import ast
from importlib import resources

from paas.build.plan import WebServer
from paas.build.source import SourceTree
from paas.domain.release import StaticMount

KIND = "framework"
PRIORITY = 40

_APP_NAMES = ("app", "application")
_GUNICORN_CONF = "/opt/paas/gunicorn.conf.py"


def _declares(src: SourceTree, package: str) -> bool:
    text = "\n".join(src.read(p) or "" for p in ("requirements.txt", "pyproject.toml"))
    return package in text.lower()


def _module_name(path: str) -> str:
    mod = path[: -len(".py")].replace("/", ".")
    return mod[: -len(".__init__")] if mod.endswith(".__init__") else mod


def _flask_targets(tree: ast.Module) -> list[str]:
    """Gunicorn targets in a module: ``app`` objects first, then ``create_app()``."""
    objects: list[str] = []
    factories: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called == "Flask":
                objects += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.FunctionDef) and node.name in ("create_app", "make_app"):
            factories.append(f"{node.name}()")
    return [o for o in objects if o in _APP_NAMES] + objects + factories


def detect(src: SourceTree) -> WebServer | None:
    if not _declares(src, "flask"):
        return None
    candidates: list[tuple[str, str]] = []
    for path in src.paths(".py"):
        if path.count("/") > 1 or path.startswith(("tests/", "test_")):
            continue
        try:
            tree = ast.parse(src.read(path) or "", filename=path)
        except SyntaxError:
            continue
        targets = _flask_targets(tree)
        if targets:
            candidates.append((path, targets[0]))
    if not candidates:
        return None
    # Prefer conventional entry modules, then the shallowest path.
    preferred = ("app.py", "wsgi.py", "main.py", "application.py")
    candidates.sort(key=lambda c: (c[0] not in preferred, c[0].count("/"), c[0]))
    path, target = candidates[0]
    module = _module_name(path)
    static_dir = (path.rsplit("/", 1)[0] + "/static") if "/" in path else "static"
    static = (
        (StaticMount("/static/", f"/app/{static_dir}"),) if src.has_dir(static_dir) else ()
    )
    conf = resources.files("buildpacks.python").joinpath("gunicorn_conf.py").read_text()
    return WebServer(
        framework="Flask",
        command=f"gunicorn --config {_GUNICORN_CONF} '{module}:{target}'",
        reason=f"{target} in {path}",
        packages=("gunicorn",),
        files={_GUNICORN_CONF: conf},
        static=static,
        notes=(
            "Server: gunicorn, gthread workers (2 x CPUs + 1, capped by memory / 256 MiB) "
            "behind nginx, which buffers slow clients",
        ),
    )
