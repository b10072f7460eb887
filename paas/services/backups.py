"""Backups of an app's add-on: capture, list, restore, download, and a daily schedule.

A capture runs the kind's dump command inside the running add-on (the app keeps
serving: PostgreSQL's dump reads one consistent snapshot) and streams it to a file under
the platform home; a restore streams a file back into the kind's restore command, which
either completes or leaves the data as it was. Captures and restores of one app never
overlap. Nothing here names a kind: what a backup is comes from the kind's record.

A runtime that makes and keeps backups beside the app itself (``RuntimeBackups``:
Kubernetes runs a Job per capture into a volume claim, a CronJob per schedule) is
handed in by the composition root; then the platform keeps only the records (id, time,
state) and never holds the bytes, so a download says where the file is instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from paas.domain.addons import Addon, kind_of
from paas.domain.backups import (
    COMPLETED,
    FAILED,
    RUNNING,
    Backup,
    Schedule,
    is_due,
    next_id,
    parse_at,
    to_prune,
    validate_id,
    validate_keep,
)
from paas.errors import Conflict, InvalidInput, NotFound, PaasError
from paas.logsink import LogSink
from paas.services.addons import AddonProvider, find_addon
from paas.store.port import Store


class BackupStore(Protocol):
    """Where backups and schedules are kept (files under the platform home)."""

    def open_new(self, app: str, backup_id: str) -> BinaryIO: ...
    def complete(self, backup: Backup) -> Backup: ...
    def record(self, backup: Backup) -> Backup: ...
    def discard(self, app: str, backup_id: str) -> None: ...
    def ids(self, app: str) -> list[str]: ...
    def backups(self, app: str) -> list[Backup]: ...
    def get(self, app: str, backup_id: str) -> Backup: ...
    def open(self, backup: Backup) -> BinaryIO: ...
    def delete(self, backup: Backup) -> None: ...
    def delete_app(self, app: str) -> None: ...
    def set_schedule(self, schedule: Schedule) -> None: ...
    def schedule(self, app: str) -> Schedule | None: ...
    def unset_schedule(self, app: str) -> None: ...
    def schedules(self) -> list[Schedule]: ...


class RuntimeBackups(Protocol):
    """Backups a runtime makes and keeps beside the app (Kubernetes: Jobs and a CronJob
    writing to a volume claim). Failures are BackupFailed with the reason in one line."""

    def capture(self, addon: Addon, backup_id: str) -> int | None:
        """Capture ``backup_id`` and wait for it; its size in bytes if known."""
        ...

    def restore(self, addon: Addon, backup_id: str) -> None:
        """Restore ``backup_id`` and wait; on failure the data is as it was."""
        ...

    def scheduled(self, app: str) -> list[Backup]:
        """The backups the runtime's schedules made, with their states."""
        ...

    def set_schedule(self, addon: Addon, schedule: Schedule) -> None: ...
    def unset_schedule(self, app: str, kind: str) -> None: ...

    def locate(self, backup: Backup) -> str:
        """Where a person finds the backup's file (it does not pass the platform)."""
        ...


def _quiet(_line: str) -> None:
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class BackupService:
    def __init__(self, store: Store, provider: AddonProvider, files: BackupStore,
                 clock: Callable[[], datetime] = _now,
                 kept_by_runtime: RuntimeBackups | None = None) -> None:
        self.store = store
        self.provider = provider
        self.files = files
        self.clock = clock
        #: Set where the runtime keeps backups itself: ``files`` then hold records only.
        self.runtime = kept_by_runtime
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def _exclusive(self, app: str) -> Iterator[None]:
        """One capture or restore per app at a time; a second one is refused, not queued."""
        with self._guard:
            lock = self._locks.setdefault(app, threading.Lock())
        if not lock.acquire(blocking=False):
            raise Conflict(f"a backup or restore of {app} is already running: try again "
                           "when it ends")
        try:
            yield
        finally:
            lock.release()

    def _addon(self, app: str, kind: str) -> Addon:
        addon = find_addon(self.store, app, kind)
        if kind_of(addon).backup is None:
            raise InvalidInput(f"the {kind} add-on has no backups")
        return addon

    # captures -------------------------------------------------------------------------
    def capture(self, app: str, kind: str, scheduled: bool = False) -> Backup:
        addon = self._addon(app, kind)
        with self._exclusive(app):
            backup_id = next_id(self.files.ids(app), scheduled)
            started_at, started = self.clock(), time.monotonic()
            if self.runtime is not None:
                return self._capture_in_runtime(self.runtime, addon, backup_id, started_at)
            try:
                with self.files.open_new(app, backup_id) as sink:
                    self.provider.backup(addon, sink)
            except BaseException:
                self.files.discard(app, backup_id)
                raise
            return self.files.complete(Backup(
                id=backup_id, app=app, kind=kind, created_at=started_at, size=0,
                duration=round(time.monotonic() - started, 3)))

    def _capture_in_runtime(self, runtime: RuntimeBackups, addon: Addon, backup_id: str,
                            started_at: datetime) -> Backup:
        """Recorded as running first (so its id is taken), then as what became of it."""
        started = time.monotonic()
        running = self.files.record(Backup(id=backup_id, app=addon.app, kind=addon.kind,
                                           created_at=started_at, size=None, duration=0.0,
                                           state=RUNNING))
        try:
            size = runtime.capture(addon, backup_id)
        except BaseException:
            self.files.record(replace(running, state=FAILED,
                                      duration=round(time.monotonic() - started, 3)))
            raise
        return self.files.record(replace(running, state=COMPLETED, size=size,
                                         duration=round(time.monotonic() - started, 3)))

    def backups(self, app: str) -> list[Backup]:
        """Every backup of the app, oldest first, with its state."""
        self.store.get_app(app)
        if self.runtime is None:
            return self.files.backups(app)
        return sorted([*self.files.backups(app), *self.runtime.scheduled(app)],
                      key=lambda b: (b.created_at, b.id))

    def latest(self, app: str, kind: str | None = None) -> Backup | None:
        """The newest completed backup (of ``kind``)."""
        found = [b for b in self.backups(app)
                 if (kind is None or b.kind == kind) and b.completed]
        return found[-1] if found else None

    def get(self, app: str, backup_id: str) -> Backup:
        self.store.get_app(app)
        if self.runtime is None:
            return self.files.get(app, validate_id(backup_id))
        validate_id(backup_id)
        for b in self.backups(app):
            if b.id == backup_id:
                return b
        raise NotFound(f"{app} has no backup {backup_id}: `paas pg:backups` lists them")

    def open(self, app: str, backup_id: str) -> tuple[Backup, BinaryIO]:
        """A backup and its bytes, for a download."""
        backup = self.get(app, backup_id)
        if self.runtime is not None:
            raise InvalidInput(f"this runtime keeps backups on the cluster, not on the "
                               f"platform: {backup.id} is {self.runtime.locate(backup)}")
        return backup, self.files.open(backup)

    # restores -------------------------------------------------------------------------
    def restore(self, app: str, kind: str, backup_id: str | None = None) -> Backup:
        """Restore ``backup_id`` (the latest backup of the kind by default) into the
        app's add-on of that kind."""
        addon = self._addon(app, kind)
        if backup_id is None:
            backup = self.latest(app, kind)
            if backup is None:
                raise NotFound(f"{app} has no {kind} backup yet: "
                               "`paas pg:backups:capture` makes one")
        else:
            backup = self.get(app, backup_id)
        if backup.kind != kind:
            raise InvalidInput(f"{backup.id} is a {backup.kind} backup, not {kind}")
        if not backup.completed:
            raise InvalidInput(f"{backup.id} is {backup.state}: only a completed backup "
                               "can be restored")
        if self.runtime is not None:
            with self._exclusive(app):
                self.runtime.restore(addon, backup.id)
            return backup
        with self._exclusive(app), self.files.open(backup) as source:
            self.provider.restore(addon, source)
        return backup

    # schedules ------------------------------------------------------------------------
    def set_schedule(self, app: str, kind: str, at: str, keep: object) -> Schedule:
        """Daily captures at ``at``; where the runtime keeps backups it runs them (and
        keeps the last ``keep``), else the platform's scheduler loop does."""
        addon = self._addon(app, kind)
        schedule = Schedule(app=app, kind=kind, at=parse_at(at), keep=validate_keep(keep),
                            set_at=self.clock())
        if self.runtime is not None:
            self.runtime.set_schedule(addon, schedule)
        self.files.set_schedule(schedule)
        return schedule

    def schedule(self, app: str) -> Schedule | None:
        self.store.get_app(app)
        return self.files.schedule(app)

    def unset_schedule(self, app: str, kind: str | None = None) -> None:
        """No more scheduled captures (idempotent); the backups made so far stay."""
        self.store.get_app(app)
        current = self.files.schedule(app)
        kind = kind or (current.kind if current is not None else None)
        if self.runtime is not None and kind is not None:
            self.runtime.unset_schedule(app, kind)
        self.files.unset_schedule(app)

    def run_due(self, say: LogSink = _quiet) -> list[Backup]:
        """Capture every scheduled backup that is owed now, and prune past ``keep``
        (where the runtime keeps backups, its own schedule does both)."""
        if self.runtime is not None:
            return []
        made = []
        now = self.clock()
        for schedule in self.files.schedules():
            done = [b for b in self.files.backups(schedule.app)
                    if b.scheduled and b.kind == schedule.kind]
            since = max((b.created_at for b in done), default=None)
            if not is_due(schedule, since, now):
                continue
            try:
                backup = self.capture(schedule.app, schedule.kind, scheduled=True)
            except PaasError as e:
                say(f"scheduled {schedule.kind} backup of {schedule.app} failed: {e.message}")
                continue
            made.append(backup)
            say(f"scheduled {schedule.kind} backup {backup.id} of {schedule.app}: "
                f"{backup.size} bytes in {backup.duration:.1f}s")
            for old in to_prune([*done, backup], schedule.keep):
                self.files.delete(old)
        return made

    def forget(self, app: str) -> None:
        """Delete every backup and the schedule of an app that is being destroyed."""
        self.files.delete_app(app)


class BackupScheduler:
    """The loop that runs scheduled captures (Docker runtime), checking every ``every``
    seconds, so a capture starts within that of its time."""

    def __init__(self, backups: BackupService, say: LogSink, every: float = 30.0) -> None:
        self.backups = backups
        self.say = say
        self.every = every

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.every):
            try:
                self.backups.run_due(self.say)
            except Exception as e:  # a full disk must not end the loop
                self.say(f"scheduled backups: {e}")
