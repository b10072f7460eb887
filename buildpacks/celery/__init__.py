"""Celery without a Procfile: a ``worker`` type (and ``beat``) found in the code.

When celery is a dependency and a Celery app is found statically - a module-level
``Celery(...)`` object, as in a Django project's ``proj/celery.py`` or a ``tasks.py`` -
the app gets ``worker: celery -A <module> worker`` at scale 0, so deploying never starts
work nobody asked for, and the push says how to start it. ``beat`` is added when a beat
schedule is configured (``beat_schedule``, ``CELERY_BEAT_SCHEDULE``,
``add_periodic_task``). A Procfile that runs celery itself keeps its own lines.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Mapping

from buildpacks.python import call_name, declared, module_name, modules, pick
from paas.builder.plan import ProcessSetup
from paas.builder.source import SourceTree
from paas.domain.celery import is_celery_worker

KIND = "processes"

_PREFERRED = ("celery.py", "tasks.py", "celery_app.py", "worker.py", "app.py")
#: Attributes celery finds by itself after ``-A module``.
_DEFAULT_ATTRS = ("app", "celery")
_SCHEDULE_NAMES = ("beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE")


def _celery_objects(tree: ast.Module) -> list[str]:
    return [t.id for node in tree.body if isinstance(node, ast.Assign)
            and call_name(node.value) == "Celery"
            for t in node.targets if isinstance(t, ast.Name)]


def app_argument(path: str, name: str) -> str:
    """What ``celery -A`` needs: ``proj`` for a Django project's ``proj/celery.py``
    (celery looks for ``proj.celery`` itself, as the Django guide runs it), the module
    when the object is ``app`` or ``celery``, else ``module:name``."""
    module = module_name(path)
    if path.endswith("/celery.py") and name in _DEFAULT_ATTRS:
        return module.rsplit(".", 1)[0]
    return module if name in _DEFAULT_ATTRS else f"{module}:{name}"


def _has_schedule(src: SourceTree) -> bool:
    for _, tree in modules(src, max_depth=2):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "beat_schedule" \
                    and isinstance(node.ctx, ast.Store):
                return True
            if isinstance(node, ast.Name) and node.id in _SCHEDULE_NAMES \
                    and isinstance(node.ctx, ast.Store):
                return True
            if isinstance(node, ast.Call) and (
                call_name(node) == "add_periodic_task"
                or any(kw.arg == "beat_schedule" for kw in node.keywords)
            ):
                return True
    return False


def _runs_celery(command: str, sub: str) -> bool:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    names = [w.rsplit("/", 1)[-1] for w in words]
    return "celery" in names and sub in names[names.index("celery") + 1:]


def setup(src: SourceTree, processes: Mapping[str, str]) -> ProcessSetup | None:
    if "celery" not in declared(src):
        return None
    if any(is_celery_worker(cmd) for cmd in processes.values()):
        return None
    candidates: list[tuple[tuple[object, ...], str, str]] = []
    for path, tree in modules(src, max_depth=2):
        for name in _celery_objects(tree):
            rank = (path.rsplit("/", 1)[-1] not in _PREFERRED, path.count("/"),
                    name not in _DEFAULT_ATTRS)
            candidates.append((rank, path, name))
    found = pick(candidates)
    if not found:
        return None
    if len(found) > 1:
        listed = ", ".join(f"{name} in {path}" for path, name in found)
        return ProcessSetup(notes=(
            f"Celery apps found ({listed}): add the worker to the Procfile, e.g. "
            f"'worker: celery -A {app_argument(*found[0])} worker --loglevel=INFO'",))
    path, name = found[0]
    target = app_argument(path, name)
    added = {}
    if "worker" not in processes:
        added["worker"] = f"celery -A {target} worker --loglevel=INFO"
    beat = _has_schedule(src) and "beat" not in processes and not any(
        _runs_celery(cmd, "beat") for cmd in processes.values())
    if beat:
        added["beat"] = f"celery -A {target} beat --loglevel=INFO"
    if not added:
        return None
    scale = " ".join(f"{t}=1" for t in added)
    return ProcessSetup(processes=added, notes=(
        f"Celery app found: {name} in {path}; process type(s) {', '.join(added)} added at "
        f"scale 0: start with `paas scale {scale}`",))
