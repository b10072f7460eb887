"""The build plan: everything the builder will do, decided before it does anything.

It is printed in the push output, so the user sees what was detected and why, and it is
the only input of the Dockerfile renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from paas.domain.health import DEFAULT as DEFAULT_CHECK
from paas.domain.health import HealthCheck
from paas.domain.release import StaticMount, WebProtocol
from paas.settings import DEBIAN_STACKS, StackImages

#: Where files a buildpack generates for the dependency install (a requirements file
#: derived from pyproject.toml or a lock file) sit in the ``deps`` build stage.
GENERATED_DIR = "/tmp/build/deps"  # noqa: S108 - a path inside the build container


@dataclass(frozen=True)
class Stack:
    """A Python stack a build may start from, as the builder found it on its engine."""

    python: str
    image: str
    #: How the push output names it: ``Python 3.13 on Debian trixie``.
    label: str
    #: False when the platform offers this Python but its image is not built here yet.
    built: bool = True

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.python.split(".") if p.isdigit())


def stacks_from_settings(images: StackImages, present: Callable[[str], bool]
                         ) -> tuple[Stack, ...]:
    """The configured stacks, each marked by whether ``present`` finds its image."""
    return tuple(Stack(s.python, s.image, s.label, present(s.image)) for s in images.pythons)


#: Every Debian stack, as if built: what plans assume when no engine was asked (tests,
#: ``paas`` tools that only print a plan).
ALL_DEBIAN_STACKS = tuple(Stack(s.python, s.image, s.label) for s in DEBIAN_STACKS)


@dataclass(frozen=True)
class Dependencies:
    """How the python buildpack installs the app's dependencies into the venv."""

    manager: str
    #: Source-relative files the install needs; ``None`` means the whole source tree
    #: (local path requirements), which costs the dependency-layer cache on every push.
    files: tuple[str, ...] | None
    #: Argument lists for ``pip install`` (run from the source root).
    pip_args: tuple[tuple[str, ...], ...]
    python_version: str | None = None
    #: The stack the image starts from, chosen for the Python the app asks for.
    stack: Stack | None = None
    notes: tuple[str, ...] = ()
    #: Files derived from the manifests (name -> text), placed in ``GENERATED_DIR`` in
    #: the deps stage. Only these and ``files`` reach that stage, so a push that changes
    #: code but not dependencies reuses the cached install.
    generated: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebServer:
    """What a framework buildpack contributes: the web process and its server setup."""

    framework: str
    command: str
    reason: str
    #: Server packages added to the install when the app does not declare them.
    packages: tuple[str, ...] = ()
    #: Files placed in the image (path in image -> text), e.g. server config.
    files: Mapping[str, str] = field(default_factory=dict)
    protocol: WebProtocol = WebProtocol.HTTP
    static: tuple[StaticMount, ...] = ()
    #: ``module:callable`` of a WSGI app, so a server buildpack (uWSGI) can serve it.
    wsgi: str | None = None
    build_steps: tuple[tuple[str, ...], ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: The app writes files under /app at run time (a SQLite database): its containers
    #: keep a writable root filesystem instead of the default read-only one.
    writable_root: bool = False
    #: Folders under /app the app writes at run time that the release phase and every
    #: replica must share (Flask's instance folder with its SQLite database).
    data_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessSetup:
    """What a process buildpack adds around the web process.

    Process types the app did not declare (a celery worker found in the code), and the
    files and environment every process gets (gunicorn's platform config, so a
    Procfile's bare ``gunicorn app:app`` is tuned like a detected one).
    """

    #: Types added only when the app has no type of that name (its Procfile wins).
    processes: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildPlan:
    dependencies: Dependencies
    processes: Mapping[str, str]
    release_command: str | None
    packages: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)
    build_steps: tuple[tuple[str, ...], ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    web_protocol: WebProtocol = WebProtocol.HTTP
    static: tuple[StaticMount, ...] = ()
    port: int = 5000
    summary: str = ""
    notes: tuple[str, ...] = ()
    writable_root: bool = False
    data_dirs: tuple[str, ...] = ()
    health: HealthCheck = DEFAULT_CHECK
    #: Where the check was declared (None: the platform's default check).
    health_source: str | None = None

    @property
    def stack(self) -> Stack | None:
        """The stack the image starts from (None only for hand-made plans)."""
        return self.dependencies.stack

    def describe(self) -> list[str]:
        """Lines for the push output: what was detected and what will run."""
        lines = [self.summary] if self.summary else []
        lines += [f"Dependencies: {self.dependencies.manager}"]
        lines += list(self.dependencies.notes) + list(self.notes)
        lines += [f"Process {name}: {cmd}" for name, cmd in self.processes.items()]
        if self.release_command:
            lines.append(f"Release phase: {self.release_command}")
        if self.health_source is not None:
            lines.append(f"Health check: {self.health.describe()} (from {self.health_source})")
        return lines
