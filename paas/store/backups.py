"""Backup files under the platform home: ``backups/<app>/<id>.dump`` with ``<id>.json``.

The folders are 0700 and the files 0600 (a dump holds every row of the app), created
with ``O_EXCL | O_NOFOLLOW`` so nothing already at a path, a link included, is written
through. A capture goes to ``<id>.partial`` and is renamed when complete, so a listed
backup is always whole; its metadata is written last. App names and ids are validated
before they become path segments (``paas.domain.names``, ``paas.domain.backups``).
The schedule of each app is one small JSON file beside its backups.

Where the runtime keeps a backup's bytes itself (Kubernetes: a volume claim beside the
app), only its record is here: ``<id>.json`` with its state, rewritten as the capture
goes from running to completed or failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import datetime, time
from pathlib import Path
from typing import BinaryIO

from paas.domain.backups import COMPLETED, STATES, Backup, Schedule, number, validate_id
from paas.domain.names import validate_app_name
from paas.errors import InvalidInput, NotFound

_SUFFIX = ".dump"
_SCHEDULE = "schedule.json"
#: ``kept`` of a record whose bytes the runtime keeps (no dump file here).
_RUNTIME = "runtime"


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class BackupFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, app: str, create: bool = False) -> Path:
        folder = self.root / validate_app_name(app)
        if create:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
            self.root.chmod(0o700)
            folder.chmod(0o700)
        return folder

    def _dump(self, app: str, backup_id: str) -> Path:
        return self._folder(app) / f"{validate_id(backup_id)}{_SUFFIX}"

    # captures -------------------------------------------------------------------------
    def open_new(self, app: str, backup_id: str) -> BinaryIO:
        """A new, empty ``<id>.partial`` to write a capture into (mode 0600)."""
        partial = self._folder(app, create=True) / f"{validate_id(backup_id)}.partial"
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()  # left by a server killed mid-capture
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        return os.fdopen(fd, "wb")

    def complete(self, backup: Backup) -> Backup:
        """The capture is whole: rename it into place and record its metadata."""
        folder = self._folder(backup.app)
        partial = folder / f"{backup.id}.partial"
        size = partial.stat().st_size
        final = Backup(**{**backup.__dict__, "size": size})
        partial.rename(self._dump(backup.app, backup.id))
        meta = {"id": final.id, "kind": final.kind, "created_at": final.created_at.isoformat(),
                "size": size, "duration": final.duration}
        _write_new(folder / f"{backup.id}.json", json.dumps(meta).encode())
        return final

    def record(self, backup: Backup) -> Backup:
        """Write (or rewrite) the record of a backup whose bytes the runtime keeps."""
        folder = self._folder(backup.app, create=True)
        meta = {"id": validate_id(backup.id), "kind": backup.kind,
                "created_at": backup.created_at.isoformat(), "size": backup.size,
                "duration": backup.duration, "state": backup.state, "kept": _RUNTIME}
        tmp = folder / f"{backup.id}.json.new"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _write_new(tmp, json.dumps(meta).encode())
        tmp.rename(folder / f"{backup.id}.json")
        return backup

    def discard(self, app: str, backup_id: str) -> None:
        """Remove an unfinished capture."""
        with contextlib.suppress(FileNotFoundError):
            (self._folder(app) / f"{validate_id(backup_id)}.partial").unlink()

    # reading --------------------------------------------------------------------------
    def ids(self, app: str) -> list[str]:
        """Every id in use, finished or not (so a new capture never reuses one)."""
        folder = self._folder(app)
        if not folder.is_dir():
            return []
        found = set()
        for p in folder.iterdir():
            stem, _, suffix = p.name.partition(".")
            if suffix in ("dump", "json", "partial", "json.new"):
                with contextlib.suppress(InvalidInput):  # schedule.json and strangers
                    found.add(validate_id(stem))
        return sorted(found, key=number)

    def backups(self, app: str) -> list[Backup]:
        """Finished backups, oldest first."""
        folder = self._folder(app)
        out = []
        for backup_id in self.ids(app):
            meta = folder / f"{backup_id}.json"
            if not meta.is_file():
                continue
            try:
                data = json.loads(meta.read_text())
                kept_here = data.get("kept") != _RUNTIME
                if kept_here and not self._dump(app, backup_id).is_file():
                    continue
                backup_state = str(data.get("state", COMPLETED))
                if backup_state not in STATES:
                    continue
                size = data["size"]
                out.append(Backup(id=backup_id, app=app, kind=str(data["kind"]),
                                  created_at=datetime.fromisoformat(data["created_at"]),
                                  size=None if size is None else int(size),
                                  duration=float(data["duration"]), state=backup_state))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a damaged record: the dump stays on disk for the operator
        return out

    def get(self, app: str, backup_id: str) -> Backup:
        validate_id(backup_id)
        for b in self.backups(app):
            if b.id == backup_id:
                return b
        raise NotFound(f"{app} has no backup {backup_id}: `paas pg:backups` lists them")

    def open(self, backup: Backup) -> BinaryIO:
        fd = os.open(self._dump(backup.app, backup.id), os.O_RDONLY | os.O_NOFOLLOW)
        return os.fdopen(fd, "rb")

    def delete(self, backup: Backup) -> None:
        folder = self._folder(backup.app)
        for name in (f"{backup.id}.json", f"{backup.id}{_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()

    def delete_app(self, app: str) -> None:
        """Every backup and the schedule of ``app`` (it is being destroyed)."""
        shutil.rmtree(self._folder(app), ignore_errors=True)

    # schedules ------------------------------------------------------------------------
    def set_schedule(self, schedule: Schedule) -> None:
        folder = self._folder(schedule.app, create=True)
        data = json.dumps({"kind": schedule.kind, "at": schedule.at_text,
                           "keep": schedule.keep, "set_at": schedule.set_at.isoformat()})
        tmp = folder / f"{_SCHEDULE}.new"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _write_new(tmp, data.encode())
        tmp.rename(folder / _SCHEDULE)

    def schedule(self, app: str) -> Schedule | None:
        path = self._folder(app) / _SCHEDULE
        try:
            data = json.loads(path.read_text())
            return Schedule(app=app, kind=str(data["kind"]),
                            at=time.fromisoformat(data["at"]), keep=int(data["keep"]),
                            set_at=datetime.fromisoformat(data["set_at"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None

    def unset_schedule(self, app: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self._folder(app) / _SCHEDULE).unlink()

    def schedules(self) -> list[Schedule]:
        if not self.root.is_dir():
            return []
        out = []
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and not folder.is_symlink():
                with contextlib.suppress(InvalidInput):
                    found = self.schedule(folder.name)
                    if found is not None:
                        out.append(found)
        return out
