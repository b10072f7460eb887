"""Backups of an add-on's data: ids, schedules and which backups a schedule keeps.

Pure values and rules; the files live in ``paas.store.backups`` and the capture runs in
the add-on's container. Ids name files under the platform home, so an id is checked
against one strict pattern before it reaches a path: nothing a user types can point
outside the app's backup folder.

Ids follow Heroku's: ``b001`` for a capture someone asked for, ``a001`` for a scheduled
one; the number is shared, so ids sort by age whatever made them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from paas.errors import InvalidInput

MANUAL = "b"
SCHEDULED = "a"
_ID = re.compile(r"[ab][0-9]{3,9}")
_AT = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
#: Upper bound of the backups a schedule keeps (each one is a full copy on disk).
MAX_KEEP = 100
DEFAULT_KEEP = 7

#: States of a backup: whole and restorable, still being written, or failed (kept in
#: the list where the runtime keeps backups itself, so its id is never reused).
COMPLETED = "completed"
RUNNING = "running"
FAILED = "failed"
STATES = (COMPLETED, RUNNING, FAILED)


@dataclass(frozen=True)
class Backup:
    id: str
    app: str
    kind: str
    created_at: datetime
    #: Bytes on disk; None where the runtime keeps the file and did not say.
    size: int | None
    #: Seconds the capture took.
    duration: float
    state: str = COMPLETED

    @property
    def completed(self) -> bool:
        return self.state == COMPLETED

    @property
    def scheduled(self) -> bool:
        return self.id.startswith(SCHEDULED)


@dataclass(frozen=True)
class Schedule:
    """A daily capture at ``at`` (UTC), keeping the newest ``keep`` scheduled backups."""

    app: str
    kind: str
    at: time
    keep: int
    #: When it was set: a moment already past then is not owed.
    set_at: datetime

    @property
    def at_text(self) -> str:
        return self.at.strftime("%H:%M")


def validate_id(backup_id: str) -> str:
    if not _ID.fullmatch(backup_id):
        raise InvalidInput(f"{backup_id!r} is not a backup id (like b001)")
    return backup_id


def number(backup_id: str) -> int:
    return int(validate_id(backup_id)[1:])


def next_id(existing: Iterable[str], scheduled: bool) -> str:
    """The next id after every one in ``existing``."""
    n = max((number(i) for i in existing), default=0) + 1
    return f"{SCHEDULED if scheduled else MANUAL}{n:03d}"


def parse_at(text: str) -> time:
    m = _AT.fullmatch(text.strip())
    if not m:
        raise InvalidInput(f"{text!r} is not a time of day as HH:MM (00:00-23:59, UTC)")
    return time(int(m.group(1)), int(m.group(2)))


def validate_keep(keep: object) -> int:
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise InvalidInput(f"keep must be a whole number between 1 and {MAX_KEEP}")
    return keep


def last_due(schedule: Schedule, now: datetime) -> datetime:
    """The latest moment at or before ``now`` (UTC) when the schedule was due."""
    today = now.replace(hour=schedule.at.hour, minute=schedule.at.minute, second=0,
                        microsecond=0)
    return today if today <= now else today - timedelta(days=1)


def is_due(schedule: Schedule, since: datetime | None, now: datetime) -> bool:
    """Whether a scheduled capture is owed: the last due moment passed after the latest
    scheduled backup (``since``) and after the schedule was set, so setting a schedule
    does not capture at once for a moment that was already past. A server that was
    down at the due moment catches up once when it is back."""
    due = last_due(schedule, now)
    return due >= schedule.set_at and (since is None or since < due)


def to_prune(backups: Iterable[Backup], keep: int) -> list[Backup]:
    """Scheduled backups beyond the newest ``keep``; captures people asked for stay."""
    scheduled = sorted((b for b in backups if b.scheduled), key=lambda b: number(b.id),
                       reverse=True)
    return scheduled[keep:]
