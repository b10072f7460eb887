"""Scaling and restarting an app's process types, under the app's deploy lock.

The formation is stored only after the runtime converged to it, so a scale that fails
(a new web replica that never answers) changes nothing, and a stored formation is one
that ran. Redeploys and the reconcile after a restart use the stored formation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from paas.domain.app import App
from paas.domain.celery import queues_by_type
from paas.domain.formation import NOT_SCALABLE, apply_scale, desired, parse_scale_args
from paas.domain.release import Build, Release
from paas.domain.scaling import check_manual_scale
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


def _quiet(_line: str) -> None:
    pass


class FormationService:
    def __init__(self, store: Store, runtime: Runtime, locks: AppLocks) -> None:
        self.store = store
        self.runtime = runtime
        self.locks = locks

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
        )

    def scale(self, app_name: str, args: Iterable[str], log: LogSink = _quiet) -> dict[str, int]:
        """``paas scale``: refuses bad input and autoscaled types before touching anything."""
        changes = parse_scale_args(args)
        check_manual_scale(self.store.list_policies(app_name), changes)
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            release, build = self._deployed(app_name)
            new = apply_scale(app.formation, build.processes, changes)
            return self._converge(app, release, new, log)

    def set_replicas(self, app_name: str, process_type: str, replicas: int,
                     log: LogSink = _quiet) -> dict[str, int]:
        """The autoscaler's way in: same lock and convergence, no ownership check."""
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            release, build = self._deployed(app_name)
            new = desired(app.formation, build.processes)
            if process_type not in new:
                raise NotFound(f"{app_name} has no process type {process_type!r}")
            new[process_type] = replicas
            return self._converge(app, release, new, log)

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
