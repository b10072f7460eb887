"""Formation: how many replicas of each process type run, and the rules for changing it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paas.domain.limits import parse_count
from paas.errors import InvalidInput

#: Process types that must never run more than one replica (celery's scheduler would
#: enqueue every periodic task once per replica).
SINGLETONS = frozenset({"beat"})
#: Process types that are not long-running processes.
NOT_SCALABLE = frozenset({"release"})
_SCALE_ARG = re.compile(r"^([a-z0-9][a-z0-9-]*)(=|\+|-)(.*)$")


def default_replicas(process_type: str) -> int:
    return 1 if process_type == "web" else 0


def desired(formation: Mapping[str, int], processes: Iterable[str]) -> dict[str, int]:
    """Replicas per process type of a build, filling in defaults; ``release`` never runs."""
    return {
        p: formation.get(p, default_replicas(p)) for p in processes if p not in NOT_SCALABLE
    }


@dataclass(frozen=True)
class ScaleChange:
    process_type: str
    #: "=" sets, "+" / "-" adjust relative to the current count.
    op: str
    amount: int


def parse_scale_args(args: Iterable[str]) -> list[ScaleChange]:
    """Parse ``web=3``, ``worker+1``, ``web-1`` as Heroku's ``ps:scale`` does; a count
    above the platform's ceiling is refused before it becomes an int."""
    changes: list[ScaleChange] = []
    for arg in args:
        m = _SCALE_ARG.fullmatch(arg)
        if not m:
            raise InvalidInput(
                f"invalid scale argument {arg[:40]!r}: use TYPE=N, TYPE+N or TYPE-N")
        name, op, value = m.groups()
        changes.append(ScaleChange(name, op, parse_count(value, name)))
    if not changes:
        raise InvalidInput("nothing to scale: give TYPE=N, e.g. web=2")
    return changes


#: Procfile lines for the types users most often scale before declaring them.
_SUGGESTED = {
    "worker": "celery -A <module with the Celery app> worker --loglevel=INFO",
    "beat": "celery -A <module with the Celery app> beat --loglevel=INFO",
}


def procfile_suggestion(process_type: str) -> str:
    """How to declare a type the app lacks: the Procfile line to add, then push."""
    command = _SUGGESTED.get(process_type, "<command>")
    return f"add a line '{process_type}: {command}' to the Procfile and push"


def apply_scale(
    current: Mapping[str, int], processes: Iterable[str], changes: Iterable[ScaleChange]
) -> dict[str, int]:
    """New formation after ``changes``; refuses unknown types, negatives and scaled singletons."""
    known = [p for p in processes if p not in NOT_SCALABLE]
    result = desired(current, known)
    for ch in changes:
        if ch.process_type not in result:
            listed = ", ".join(sorted(result)) or "none"
            raise InvalidInput(
                f"unknown process type {ch.process_type!r} (this app has: {listed}); "
                + procfile_suggestion(ch.process_type)
            )
        base = result[ch.process_type]
        new = ch.amount if ch.op == "=" else base + ch.amount if ch.op == "+" else base - ch.amount
        if new < 0:
            raise InvalidInput(f"{ch.process_type} cannot be scaled below 0 (it runs {base})")
        if ch.process_type in SINGLETONS and new > 1:
            raise InvalidInput(f"{ch.process_type} is a singleton: scale it to 0 or 1")
        result[ch.process_type] = new
    return result
