"""Celery without a Procfile: a ``worker`` type (and ``beat``) found in the code.

When celery is a dependency and a Celery app is found statically - a module-level
``Celery(...)`` object, as in a Django project's ``proj/celery.py`` or a ``tasks.py`` -
the app gets ``worker: celery -A <module> worker`` at scale 0, so deploying never starts
work nobody asked for, and the push says how to start it. ``beat`` is added when a beat
schedule is configured (``beat_schedule``, ``CELERY_BEAT_SCHEDULE``,
``add_periodic_task``). A Procfile that runs celery itself keeps its own lines.

A broker URL in the code whose transport needs a package celery does not install by
itself (``redis://`` needs ``celery[redis]``, ``sqs://`` ``celery[sqs]``) is flagged in
the push: the worker would otherwise crash at start with an ImportError.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Mapping

from buildpacks.python import (
    call_name,
    declared,
    declared_extras,
    module_name,
    modules,
    pick,
)
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


#: Broker URL scheme -> (the celery extra that brings its transport, packages that count
#: as having it).
_TRANSPORTS = {
    "redis": ("redis", ("redis",)),
    "rediss": ("redis", ("redis",)),
    "sqs": ("sqs", ("boto3", "pycurl")),
}
#: Config var names that hold a broker URL of a known scheme (the Redis add-on's).
_URL_VARS = {"REDIS_URL": "redis", "REDISCLOUD_URL": "redis", "REDIS_TLS_URL": "rediss"}


def broker_schemes(src: SourceTree) -> set[str]:
    """Broker schemes the code names: URL literals (``redis://localhost``) and the
    config var names a broker URL is read from (``os.environ["REDIS_URL"]``)."""
    found: set[str] = set()
    for _, tree in modules(src, max_depth=2):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            scheme, sep, _ = node.value.partition("://")
            if sep and scheme.lower() in _TRANSPORTS:
                found.add(scheme.lower())
            elif node.value in _URL_VARS:
                found.add(_URL_VARS[node.value])
    return found


def missing_extras(schemes: set[str], names: frozenset[str], extras: frozenset[str]
                   ) -> list[str]:
    """Warnings for each broker scheme whose transport package the app does not get."""
    out = []
    for extra in sorted({_TRANSPORTS[s][0] for s in schemes}):
        packages = next(p for e, p in _TRANSPORTS.values() if e == extra)
        if extra in extras or any(p in names for p in packages):
            continue
        url = next(s for s in sorted(schemes) if _TRANSPORTS[s][0] == extra)
        out.append(f"Warning: the code names a {url}:// broker but the app does not depend "
                   f"on celery[{extra}]: the worker will fail to connect; require "
                   f"'celery[{extra}]' instead of 'celery'")
    return out


def _runs_celery(command: str, sub: str) -> bool:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    names = [w.rsplit("/", 1)[-1] for w in words]
    return "celery" in names and sub in names[names.index("celery") + 1:]


def setup(src: SourceTree, processes: Mapping[str, str]) -> ProcessSetup | None:
    names = declared(src)
    if "celery" not in names:
        return None
    warnings = tuple(missing_extras(broker_schemes(src), names,
                                    declared_extras(src, "celery")))
    found = _workers(src, processes)
    if found is None:
        return ProcessSetup(notes=warnings) if warnings else None
    return ProcessSetup(processes=found.processes, notes=found.notes + warnings)


def _workers(src: SourceTree, processes: Mapping[str, str]) -> ProcessSetup | None:
    """The worker (and beat) types to add, or the note that says how."""
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
