"""Which celery queues a process type consumes, read from its Procfile command.

The platform needs the queue names to autoscale a worker on its backlog and to refuse a
queue policy for a queue nobody consumes. ``celery worker`` without ``-Q`` consumes the
default queue ``celery``; ``-Q a,b`` / ``--queues=a,b`` (repeatable) replace it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

DEFAULT_QUEUE = "celery"


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # unbalanced quotes: not a command we can reason about
        return command.split()


def is_celery_worker(command: str) -> bool:
    words = _words(command)
    names = [w.rsplit("/", 1)[-1] for w in words]
    if "celery" not in names:
        return False
    return "worker" in names[names.index("celery") + 1:]


def celery_queues(command: str) -> tuple[str, ...]:
    """Queues a ``celery ... worker`` command consumes, in order; ``()`` if not a worker."""
    if not is_celery_worker(command):
        return ()
    words = _words(command)
    found: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        value: str | None = None
        if w in ("-Q", "--queues") and i + 1 < len(words):
            value = words[i + 1]
            i += 1
        elif w.startswith("--queues="):
            value = w.split("=", 1)[1]
        elif w.startswith("-Q") and len(w) > 2:
            value = w[2:]
        if value is not None:
            found += [q for q in (part.strip() for part in value.split(",")) if q]
        i += 1
    unique = tuple(dict.fromkeys(found))
    return unique or (DEFAULT_QUEUE,)


def queues_by_type(processes: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Celery worker types of a build and their queues (other types are left out)."""
    return {p: q for p, cmd in processes.items() if (q := celery_queues(cmd))}
