"""Loading buildpacks from the ``buildpacks`` package and composing a build plan.

A buildpack is a folder (a subpackage of ``buildpacks``) whose module declares:

- ``KIND = "language"`` and ``dependencies(src) -> Dependencies | None``: how the app's
  dependencies install (the python buildpack); or
- ``KIND = "framework"``, ``PRIORITY`` (lower runs first) and
  ``detect(src) -> WebServer | Sequence[WebServer] | None``: the web process and its
  production server (several when the app has several candidate entry points); or
- ``KIND = "server"`` and ``serve(src, web) -> WebServer | None``: a production server
  the app opted into (uWSGI with a ``uwsgi.ini``), replacing the framework's default; or
- ``KIND = "processes"`` and ``setup(src, processes) -> ProcessSetup | None``: process
  types found in the code (a celery worker), and files and environment the app's
  processes need (gunicorn's platform config for a Procfile's gunicorn), given the
  process types decided so far.

A language pack may also define ``check(src)``, raising BuildFailed before any build.
Adding a framework or a server is adding a folder; nothing under ``paas/`` changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import ModuleType
from typing import cast

from paas.builder.dockerfile import APP_DIR
from paas.builder.healthcheck import declared_check
from paas.builder.plan import (
    ALL_DEBIAN_STACKS,
    BuildPlan,
    Dependencies,
    ProcessSetup,
    Stack,
    WebServer,
)
from paas.builder.source import SourceTree
from paas.domain.procfile import parse_procfile
from paas.domain.release import MAX_DATA_DIRS, WebProtocol, data_dir_problem
from paas.errors import BuildFailed, InvalidInput


@dataclass(frozen=True)
class Buildpacks:
    languages: tuple[ModuleType, ...]
    frameworks: tuple[ModuleType, ...]
    servers: tuple[ModuleType, ...] = ()
    processes: tuple[ModuleType, ...] = ()


def load(package: str = "buildpacks") -> Buildpacks:
    root = importlib.import_module(package)
    languages: list[ModuleType] = []
    frameworks: list[ModuleType] = []
    servers: list[ModuleType] = []
    processes: list[ModuleType] = []
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        kind = getattr(mod, "KIND", None)
        if kind == "language":
            languages.append(mod)
        elif kind == "framework":
            frameworks.append(mod)
        elif kind == "server":
            servers.append(mod)
        elif kind == "processes":
            processes.append(mod)
    frameworks.sort(key=lambda m: (getattr(m, "PRIORITY", 50), m.__name__))
    return Buildpacks(tuple(languages), tuple(frameworks), tuple(servers), tuple(processes))


def _detect(fw: ModuleType, src: SourceTree) -> list[WebServer]:
    detect = cast(Callable[[SourceTree], WebServer | Sequence[WebServer] | None], fw.detect)
    found = detect(src)
    if found is None:
        return []
    return [found] if isinstance(found, WebServer) else list(found)


def _serve(packs: Buildpacks, src: SourceTree, web: WebServer) -> WebServer:
    for server in packs.servers:
        serve = cast(Callable[[SourceTree, WebServer], WebServer | None], server.serve)
        chosen = serve(src, web)
        if chosen is not None:
            return chosen
    return web


def _named_by(command: str, found: list[WebServer]) -> WebServer | None:
    """The detected candidate a Procfile web line runs, for its build setup (static
    files, collectstatic, server config): the only one, or the one whose target the
    line names (the line an ambiguous push suggested)."""
    if len(found) == 1:
        return found[0]
    named = [w for w in found if w.command == command or (w.wsgi and w.wsgi in command)]
    return named[0] if len(named) == 1 else None


def _undecided(found: list[WebServer]) -> BuildFailed:
    if not found:
        return BuildFailed(
            "could not tell how to start the web process (found nothing: no Flask app or "
            "create_app(), Django manage.py, Tornado Application or ASGI app); "
            "add a Procfile with a line like 'web: gunicorn myapp.wsgi'"
        )
    what = "; ".join(f"{w.framework}: {w.reason}" for w in found)
    lines = " or ".join(f"'web: {w.command}'" for w in found)
    return BuildFailed(
        f"could not tell how to start the web process (found {what}); "
        f"add a Procfile with the line for the one to serve: {lines}"
    )


def _procfile(src: SourceTree) -> dict[str, str]:
    text = src.read("Procfile")
    if text is None:
        return {}
    try:
        return parse_procfile(text)
    except InvalidInput as e:
        raise BuildFailed(e.message) from e


def _setups(packs: Buildpacks, src: SourceTree, processes: Mapping[str, str]
            ) -> tuple[dict[str, str], ProcessSetup]:
    """Run the process packs in turn; each sees the types the ones before it added."""
    current = dict(processes)
    files: dict[str, str] = {}
    env: dict[str, str] = {}
    notes: list[str] = []
    for pack in packs.processes:
        setup = cast(Callable[[SourceTree, Mapping[str, str]], ProcessSetup | None],
                     pack.setup)(src, current)
        if setup is None:
            continue
        current.update({k: v for k, v in setup.processes.items() if k not in current})
        files.update(setup.files)
        env.update(setup.env)
        notes += setup.notes
    return current, ProcessSetup(files=files, env=env, notes=tuple(notes))


def _check_data_dirs(dirs: Sequence[str], src: SourceTree) -> None:
    """A buildpack derives data folders from the app's source: bound and check them.

    The image makes them before the source is copied over them (see
    paas.builder.dockerfile), so a file or link of the source at one of them, or at a
    folder above it, would replace the folder: refused here, with the path."""
    if len(dirs) > MAX_DATA_DIRS:
        raise BuildFailed(f"at most {MAX_DATA_DIRS} data folders, found {len(dirs)}")
    for d in dirs:
        problem = data_dir_problem(d)
        if problem:
            raise BuildFailed(problem)
        parts = d.removeprefix(APP_DIR + "/").split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if src.has(path):
                raise BuildFailed(
                    f"{d} is a data folder of the app, but the source has a file or a "
                    f"link at {path}: make it a folder, or remove it from the repository")


def make_plan(src: SourceTree, packs: Buildpacks,
              stacks: Sequence[Stack] = ALL_DEBIAN_STACKS) -> BuildPlan:
    """Compose the plan: dependencies and stack from the language pack, web from Procfile
    or detection, other process types and their setup from the process packs.

    ``stacks`` are the Python stacks the platform offers, marked built or not.
    """
    deps: Dependencies | None = None
    for lang in packs.languages:
        check = getattr(lang, "check", None)
        if check is not None:
            cast(Callable[[SourceTree], None], check)(src)
        deps = cast(Callable[[SourceTree, Sequence[Stack]], Dependencies | None],
                    lang.dependencies)(src, stacks)
        if deps is not None:
            break
    if deps is None:
        raise BuildFailed(
            "no buildpack detected: this is not a Python app "
            "(add requirements.txt, pyproject.toml, Pipfile or setup.py)"
        )

    processes = _procfile(src)
    health, health_source = declared_check(src)
    found: list[WebServer] = []
    for fw in packs.frameworks:
        found += _detect(fw, src)

    release_command = processes.pop("release", None)
    notes: tuple[str, ...]
    if "web" in processes:
        # The framework's build setup (static files, collectstatic) still applies, but the
        # Procfile's command is an HTTP server on $PORT whatever the detected server was.
        chosen = _named_by(processes["web"], found)
        # Its warnings and tips still hold; what it says about its server does not.
        web = replace(chosen, protocol=WebProtocol.HTTP, notes=tuple(
            n for n in chosen.notes if not n.startswith("Server:"))) if chosen else None
        notes = ("Process web: taken from the Procfile (it always wins over detection)",)
    elif len(found) == 1:
        web = _serve(packs, src, found[0])
        processes = {"web": web.command, **processes}
        notes = ()
    elif not found:
        web, notes = None, ()
    else:
        raise _undecided(found)

    processes, setup = _setups(packs, src, processes)
    if web is None:
        if not processes:
            raise _undecided(found)
        if "web" not in processes:
            notes = ("No web process: only the Procfile's types run, none is routed",)
        return BuildPlan(
            dependencies=deps,
            processes=processes,
            release_command=release_command,
            files=setup.files,
            env=setup.env,
            summary="Python app",
            notes=notes + setup.notes,
            health=health,
            health_source=health_source,
        )
    _check_data_dirs(web.data_dirs, src)
    return BuildPlan(
        dependencies=deps,
        processes=processes,
        release_command=release_command,
        packages=web.packages,
        files={**web.files, **setup.files},
        build_steps=web.build_steps,
        env={**web.env, **setup.env},
        web_protocol=web.protocol,
        static=web.static,
        summary=f"{web.framework} app detected: {web.reason}",
        notes=notes + web.notes + setup.notes,
        writable_root=web.writable_root,
        data_dirs=web.data_dirs,
        health=health,
        health_source=health_source,
    )
