"""Log lines as ``paas logs`` shows them: ``TIME SOURCE: MESSAGE``, one per line.

The source is ``build``, ``release`` or ``TYPE.REPLICA`` (``web.1a2b3c``). Times are
RFC 3339 in UTC with a fixed-width fraction, so lines from every source sort by plain
string comparison and merge without parsing dates.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from paas.domain.names import validate_process_type
from paas.errors import InvalidInput

BUILD = "build"
RELEASE = "release"
#: Sources that are platform phases, not replicas.
PHASES = (BUILD, RELEASE)

MAX_LINES = 10_000
REDACTED = "*****"
#: Shorter config values are not redacted: "1" or "on" would blank out unrelated text.
MIN_SECRET = 4


@dataclass(frozen=True, order=True)
class LogLine:
    time: str
    source: str
    message: str

    def render(self) -> str:
        return f"{self.time} {self.source}: {self.message}"

    @property
    def process_type(self) -> str:
        """``web`` for ``web.1a2b3c``; the phase name for build and release lines."""
        return self.source.split(".", 1)[0]


def stamp(when: datetime) -> str:
    """The fixed-width form of ``when``: ``2026-11-21T10:00:00.123456000Z``."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}000Z"


def normalize_time(raw: str) -> str:
    """Docker's and Kubernetes' RFC 3339 times padded to nine fraction digits.

    Anything that is not such a time comes back unchanged (it still sorts, just not
    exactly); a log line is never dropped for its timestamp.
    """
    if not raw.endswith("Z") or len(raw) < 20 or raw[10] != "T":
        return raw
    head, _, frac = raw[:-1].partition(".")
    if len(head) != 19:
        return raw
    return f"{head}.{(frac + '000000000')[:9]}Z"


def display(text: str) -> str:
    """A line for people: the time to the second, as ``2026-11-21T10:00:00Z``."""
    line = parse(text)
    if line is None or len(line.time) < 20 or line.time[19] not in ".Z":
        return text
    return f"{line.time[:19]}Z {line.source}: {line.message}"


def parse(text: str) -> LogLine | None:
    """The inverse of ``LogLine.render``; None for a line not in that form."""
    when, sep, rest = text.partition(" ")
    source, sep2, message = rest.partition(": ")
    if not sep or not sep2 or not source or " " in source:
        return None
    return LogLine(when, source, message)


def replica_line(raw: str, source: str) -> LogLine:
    """A line of ``docker logs --timestamps`` (``TIME message``) attributed to ``source``."""
    when, _, message = raw.partition(" ")
    return LogLine(normalize_time(when), source, message.rstrip("\r"))


def replica_source(process_type: str, container_name: str) -> str:
    """``web.1a2b3c`` from a replica named ``...-web-v3-1a2b3c``: type and random suffix."""
    return f"{process_type}.{container_name.rsplit('-', 1)[-1]}"


def wanted(source: str, process_type: str | None) -> bool:
    """Whether a line of ``source`` passes ``--process``: a type, ``build`` or ``release``."""
    return process_type is None or source.split(".", 1)[0] == process_type


def merge_last(sources: Iterable[Iterable[LogLine]], lines: int) -> list[LogLine]:
    """The newest ``lines`` of several time-ordered sources, oldest first."""
    merged = list(heapq.merge(*(sorted(s) for s in sources)))
    return merged[-lines:] if lines > 0 else []


def newer_than(line: LogLine, seen: Mapping[str, str]) -> bool:
    """False for a line already shown: at or before the last time shown for its source.

    ``--tail`` prints history first and then follows from a moment before it was read,
    so the boundary is covered twice; this drops the repeats without losing a line.
    """
    last = seen.get(line.source)
    return last is None or line.time > last


def redact(message: str, config: Mapping[str, str]) -> str:
    """``message`` with every config value of ``MIN_SECRET`` or more characters masked."""
    for value in sorted(config.values(), key=len, reverse=True):
        if len(value) >= MIN_SECRET and value in message:
            message = message.replace(value, REDACTED)
    return message


def validate_request(lines: int, process_type: str | None) -> None:
    """Checks of ``paas logs -n N --process TYPE`` before anything is read."""
    if not 1 <= lines <= MAX_LINES:
        raise InvalidInput(f"-n must be between 1 and {MAX_LINES}, not {lines}")
    if process_type is not None:
        validate_process_type(process_type)
