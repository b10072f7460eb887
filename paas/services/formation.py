"""Scaling, resizing and restarting an app's process types, under the app's deploy lock.

Every new formation and size is checked against the platform's bounds (replicas per
type, per app and in all) and, where the runtime runs on one host, admitted against that
host's memory, before the runtime is asked for anything: a refused scale starts nothing.

The formation is stored only after the runtime converged to it, so a scale that fails
(a new web replica that never answers) changes nothing, and a stored formation is one
that ran. Redeploys and the reconcile after a restart use the stored formation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from paas.domain.app import App
from paas.domain.celery import queues_by_type
from paas.domain.formation import NOT_SCALABLE, apply_scale, desired, parse_scale_args
from paas.domain.limits import (
    AppLimits,
    ReplicaBounds,
    admit_memory,
    check_formation,
    check_host,
    check_network,
    memory_of,
)
from paas.domain.release import Build, Release
from paas.domain.scaling import check_manual_scale
from paas.domain.sizes import ADDON, Size, parse_resize_args, size_of
from paas.errors import InvalidInput, NotFound
from paas.logsink import LogSink
from paas.runtime.port import ProcessInfo, Runtime
from paas.services.deploy import AppLocks
from paas.store.port import Store


@dataclass(frozen=True)
class PsView:
    formation: dict[str, int]
    processes: list[ProcessInfo]
    #: Celery worker types and the queues they consume.
    queues: dict[str, tuple[str, ...]]
    release: str | None
    #: Size name of each process type of the formation.
    sizes: dict[str, str]


def _quiet(_line: str) -> None:
    pass


class HostMemory(Protocol):
    """The memory of the one host every replica runs on (the Docker engine's)."""

    def memory_total(self) -> int: ...


def _sized(sizes: Mapping[str, str], types: Iterable[str]) -> dict[str, Size]:
    return {p: size_of(sizes, p) for p in types}


class FormationService:
    """``host`` is None where replicas spread over many machines (Kubernetes, whose
    scheduler admits each pod against a node's allocatable memory): no host admission."""

    def __init__(self, store: Store, runtime: Runtime, locks: AppLocks,
                 bounds: ReplicaBounds | None = None, host: HostMemory | None = None) -> None:
        self.store = store
        self.runtime = runtime
        self.locks = locks
        self.bounds = bounds or ReplicaBounds()
        self.host = host

    def _deployed(self, app_name: str) -> tuple[Release, Build]:
        release = self.store.current_release(app_name)
        if release is None or release.build is None:
            raise InvalidInput(f"{app_name} has no release yet: `git push paas main` first")
        return release, release.build

    def ps(self, app_name: str) -> PsView:
        app = self.store.get_app(app_name)
        release = self.store.current_release(app_name)
        processes = release.build.processes if release and release.build else {}
        return PsView(
            formation=desired(app.formation, processes),
            processes=self.runtime.processes(app_name),
            queues=queues_by_type(processes),
            release=release.label if release else None,
            sizes={p: size_of(app.sizes, p).name for p in desired(app.formation, processes)},
        )

    def _elsewhere(self, app_name: str) -> tuple[int, int]:
        """(replicas, bytes of memory limits) of every other app, and of every add-on,
        as stored: what runs, or will once the engine restarted them."""
        replicas = memory = 0
        for other in self.store.list_apps():
            if other.name == app_name:
                continue
            release = self.store.current_release(other.name)
            if release is None or release.build is None:
                continue
            formation = desired(other.formation, release.build.processes)
            replicas += sum(formation.values())
            memory += memory_of(formation, _sized(other.sizes, formation))
        memory += len(self.store.list_addons()) * ADDON.memory
        return replicas, memory

    def _admit(self, app: App, old: Mapping[str, int], new: Mapping[str, int],
               sizes: Mapping[str, str]) -> None:
        """Refuse ``new`` (at ``sizes``) before anything starts: above the app's bounds,
        the platform's replica total, or the host's memory. Only growth is refused, so
        an app above a bound lowered since can always scale down."""
        check_formation(app.name, new, self.bounds, app.limits, old)
        check_network(app.name, new, self.bounds, old)
        more_replicas = sum(new.values()) > sum(old.values())
        new_sizes = _sized(sizes, new) if self.host is not None else {}
        more_memory = self.host is not None \
            and memory_of(new, new_sizes) > memory_of(old, _sized(app.sizes, old))
        if not (more_replicas or more_memory):
            return  # nothing the other apps' figures could refuse: do not read them
        others, others_memory = self._elsewhere(app.name)
        check_host(app.name, new, others, self.bounds, old)
        if more_memory and self.host is not None:
            admit_memory(app.name, new, new_sizes, others_memory, self.host.memory_total())

    def scale(self, app_name: str, args: Iterable[str], log: LogSink = _quiet) -> dict[str, int]:
        """``paas scale``: refuses bad input and autoscaled types before touching anything."""
        changes = parse_scale_args(args)
        check_manual_scale(self.store.list_policies(app_name), changes)
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            release, build = self._deployed(app_name)
            new = apply_scale(app.formation, build.processes, changes)
            self._admit(app, desired(app.formation, build.processes), new, app.sizes)
            return self._converge(app, release, new, log)

    def set_replicas(self, app_name: str, process_type: str, replicas: int,
                     log: LogSink = _quiet) -> dict[str, int]:
        """The autoscaler's way in: same lock and convergence, no ownership check."""
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            release, build = self._deployed(app_name)
            old = desired(app.formation, build.processes)
            if process_type not in old:
                raise NotFound(f"{app_name} has no process type {process_type!r}")
            new = {**old, process_type: replicas}
            self._admit(app, old, new, app.sizes)
            return self._converge(app, release, new, log)

    def resize(self, app_name: str, args: Iterable[str], log: LogSink = _quiet
               ) -> dict[str, str]:
        """``paas ps:resize web=standard-2x``: a rolling restart of each resized type
        that runs, at its new size; the sizes are stored once the runtime converged.
        Returns the size of every process type."""
        changes = parse_resize_args(args)
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            release, build = self._deployed(app_name)
            current = desired(app.formation, build.processes)
            for ptype in changes:
                if ptype not in current:
                    listed = ", ".join(sorted(current)) or "none"
                    raise InvalidInput(
                        f"unknown process type {ptype!r} (this app has: {listed})")
            sizes = {**app.sizes, **changes}
            self._admit(app, current, current, sizes)
            types = [p for p in changes
                     if current[p] > 0 and size_of(app.sizes, p) != size_of(sizes, p)]
            if types:
                self.runtime.restart(replace(app, sizes=sizes), release, current, types, log)
            self.store.set_sizes(app_name, sizes)
            return {p: size_of(sizes, p).name for p in current}

    def limits(self, app_name: str) -> AppLimits:
        return self.store.get_app(app_name).limits

    def set_limits(self, app_name: str, limits: AppLimits) -> AppLimits:
        """An admin's grant for one app (the API checks the caller); it applies to the
        next scale, and a root filesystem change to the next rollout of each type."""
        with self.locks.hold(app_name):
            return self.store.set_limits(app_name, limits).limits

    def _converge(self, app: App, release: Release, new: dict[str, int],
                  log: LogSink) -> dict[str, int]:
        assert release.build is not None
        if new != desired(app.formation, release.build.processes):
            self.runtime.deploy(replace(app, formation=new), release, new, log)
        self.store.set_formation(app.name, new)
        return new

    def restart(self, app_name: str, process_type: str | None = None,
                log: LogSink = _quiet) -> list[str]:
        """Rolling restart of one type or of every running type; returns the types."""
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            release, build = self._deployed(app_name)
            current = desired(app.formation, build.processes)
            if process_type is not None:
                if process_type in NOT_SCALABLE or process_type not in current:
                    listed = ", ".join(sorted(current)) or "none"
                    raise InvalidInput(
                        f"unknown process type {process_type!r} (this app has: {listed})")
                types = [process_type]
            else:
                types = [p for p, n in current.items() if n > 0]
            self.runtime.restart(app, release, current, types, log)
            return types
