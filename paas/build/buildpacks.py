"""Loading buildpacks from the ``buildpacks`` package and composing a build plan.

A buildpack is a folder (a subpackage of ``buildpacks``) whose module declares:

- ``KIND = "language"`` and ``dependencies(src) -> Dependencies | None``: how the app's
  dependencies install (the python buildpack); or
- ``KIND = "framework"``, ``PRIORITY`` (lower runs first) and
  ``detect(src) -> WebServer | None``: the web process and its production server.

Adding a framework is adding a folder; nothing under ``paas/`` changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import cast

from paas.build.plan import BuildPlan, Dependencies, WebServer
from paas.build.source import SourceTree
from paas.domain.procfile import parse_procfile
from paas.errors import BuildFailed, InvalidInput


@dataclass(frozen=True)
class Buildpacks:
    languages: tuple[ModuleType, ...]
    frameworks: tuple[ModuleType, ...]


def load(package: str = "buildpacks") -> Buildpacks:
    root = importlib.import_module(package)
    languages: list[ModuleType] = []
    frameworks: list[ModuleType] = []
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        kind = getattr(mod, "KIND", None)
        if kind == "language":
            languages.append(mod)
        elif kind == "framework":
            frameworks.append(mod)
    frameworks.sort(key=lambda m: (getattr(m, "PRIORITY", 50), m.__name__))
    return Buildpacks(tuple(languages), tuple(frameworks))


def _procfile(src: SourceTree) -> dict[str, str]:
    text = src.read("Procfile")
    if text is None:
        return {}
    try:
        return parse_procfile(text)
    except InvalidInput as e:
        raise BuildFailed(e.message) from e


def make_plan(src: SourceTree, packs: Buildpacks) -> BuildPlan:
    """Compose the plan: dependencies from the language pack, web from Procfile or detection."""
    deps: Dependencies | None = None
    for lang in packs.languages:
        deps = cast(Callable[[SourceTree], Dependencies | None], lang.dependencies)(src)
        if deps is not None:
            break
    if deps is None:
        raise BuildFailed(
            "no buildpack detected: this is not a Python app "
            "(add requirements.txt, pyproject.toml, Pipfile or setup.py)"
        )

    processes = _procfile(src)
    found: list[WebServer] = []
    for fw in packs.frameworks:
        web = cast(Callable[[SourceTree], WebServer | None], fw.detect)(src)
        if web is not None:
            found.append(web)

    release_command = processes.pop("release", None)
    notes: tuple[str, ...]
    if "web" in processes:
        web = found[0] if len(found) == 1 else None
        notes = ("Process web: taken from the Procfile (it always wins over detection)",)
    elif len(found) == 1:
        web = found[0]
        processes = {"web": web.command, **processes}
        notes = ()
    elif not found and processes:
        web, notes = None, ("No web process: only the Procfile's types run, none is routed",)
    else:
        what = "; ".join(f"{w.framework}: {w.reason}" for w in found) or "nothing"
        raise BuildFailed(
            f"could not tell how to start the web process (found {what}); "
            "add a Procfile with a line like 'web: gunicorn myapp.wsgi'"
        )

    if web is None:
        return BuildPlan(
            dependencies=deps,
            processes=processes,
            release_command=release_command,
            summary="Python app",
            notes=notes,
        )
    return BuildPlan(
        dependencies=deps,
        processes=processes,
        release_command=release_command,
        packages=web.packages,
        files=web.files,
        build_steps=web.build_steps,
        env=web.env,
        web_protocol=web.protocol,
        static=web.static,
        summary=f"{web.framework} app detected: {web.reason}",
        notes=notes + web.notes,
    )
