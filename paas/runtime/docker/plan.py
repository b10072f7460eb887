"""What a convergence does, in which order: a pure function from values to steps.

The Docker runtime converges an app to (release, formation) for deploys, scaling,
restarts and recovery. The decisions (which replicas to keep, how many to start, what
to stop, when traffic switches) live here, apart from the engine calls, so the
zero-downtime rules are pinned by unit tests on values:

- new web replicas answer their health check before the route switches to them;
- the route switches, and the router's workers of the old config finish their
  requests, before any old web replica stops, so no request is sent to a replica that
  is going away;
- other process types (celery workers, beat) stop before their replacements start: a
  task is never run by two releases at once, and beat is a singleton;
- a scale-down routes exactly the web replicas it keeps, then stops the others;
- replicas of earlier releases that remain after the route switched stop ``later``: no
  router worker sends to them any more, so the rollout may answer (the push returns)
  while they finish; the next convergence of the app waits for them first;
- every start comes before every stop of a web replica, so a failed start or health
  check leaves the running release serving (the executor then removes what the plan
  started and skips the remaining steps);
- replicas start in batches of at most ``max_parallel``: the executor never holds more
  work than one batch, whatever count was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

WEB = "web"


@dataclass(frozen=True)
class Replica:
    """A replica as the engine reports it: what the plan needs to decide its fate."""

    id: str
    process_type: str
    release: int
    running: bool


@dataclass(frozen=True)
class Start:
    """Start ``count`` replicas of ``process_type`` at once (one bounded batch)."""

    process_type: str
    count: int


@dataclass(frozen=True)
class AwaitHealthy:
    """Wait until the web replicas of the preceding Start answer; fail the plan if not."""

    process_type: str


@dataclass(frozen=True)
class Stop:
    """Stop and remove these replicas (SIGTERM, then SIGKILL after the stop timeout)."""

    ids: tuple[str, ...]
    why: str
    #: After the rollout answered, in the background: only replicas the router no
    #: longer sends to (earlier releases, after the route switched).
    later: bool = False


@dataclass(frozen=True)
class Route:
    """Send the app's traffic to ``keep`` plus every web replica this plan started; a
    later Stop waits for the router's workers of the previous config to finish first."""

    keep: tuple[str, ...]


@dataclass(frozen=True)
class Unroute:
    """The app has no web process (any more): the router stops sending to it."""


Step = Start | AwaitHealthy | Stop | Route | Unroute


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    #: Every replica the plan keeps or starts belongs to this release.
    release: int

    @property
    def routes(self) -> bool:
        """Whether the app serves web traffic after this plan."""
        return any(isinstance(s, Route) for s in self.steps)

    def stopped(self) -> tuple[str, ...]:
        return tuple(i for s in self.steps if isinstance(s, Stop) for i in s.ids)


def batches(process_type: str, count: int, max_parallel: int) -> list[Start]:
    """``count`` starts cut into batches of at most ``max_parallel``."""
    if max_parallel < 1:
        raise ValueError("max_parallel must be at least 1")
    full, rest = divmod(count, max_parallel)
    sizes = [max_parallel] * full + ([rest] if rest else [])
    return [Start(process_type, n) for n in sizes]


def _order(types: Iterable[str]) -> list[str]:
    """Web first: if it fails, nothing else of the running release was touched."""
    return sorted(types, key=lambda p: (p != WEB, p))


def converge(
    current: Sequence[Replica],
    release: int,
    want: Mapping[str, int],
    *,
    fresh: frozenset[str] = frozenset(),
    max_parallel: int = 8,
) -> Plan:
    """The steps that bring ``current`` to ``want`` replicas per type of ``release``.

    Running replicas of ``release`` are kept (up to the count wanted) unless their type is
    in ``fresh`` (a restart: all-new replicas). Everything else is stopped: old releases,
    exited replicas, surplus of a scale-down and types no longer wanted.
    """
    steps: list[Step] = []
    kept: dict[str, list[str]] = {}
    for ptype in _order(want):
        count = want[ptype]
        same = [
            r.id for r in current
            if r.process_type == ptype and r.release == release and r.running
            and ptype not in fresh
        ][:count]
        kept[ptype] = same
        if ptype != WEB:
            # stop-before-start: old and new workers never overlap
            old = tuple(r.id for r in current if r.process_type == ptype and r.id not in same)
            if old:
                steps.append(Stop(old, f"replaced {ptype} replica(s)"))
        for batch in batches(ptype, count - len(same), max_parallel):
            steps.append(batch)
            if ptype == WEB:
                steps.append(AwaitHealthy(ptype))
    keep = {i for ids in kept.values() for i in ids}
    steps.append(Route(tuple(kept[WEB])) if WEB in want else Unroute())
    already = {i for s in steps if isinstance(s, Stop) for i in s.ids}
    surplus = [r for r in current if r.id not in keep and r.id not in already]
    # A scale-down or restart stops its surplus before it answers (``paas ps`` right
    # after shows the new count); a new release's predecessors stop after it answered.
    now = tuple(r.id for r in surplus if r.release == release)
    if now:
        steps.append(Stop(now, "replica(s) no longer needed"))
    earlier = tuple(r.id for r in surplus if r.release != release)
    if earlier:
        steps.append(Stop(earlier, "replica(s) of earlier releases", later=True))
    return Plan(tuple(steps), release)
