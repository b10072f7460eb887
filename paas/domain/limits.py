"""Upper bounds on what a tenant may ask the platform to run, checked before any work.

A scale to any count used to be accepted and executed: hundreds of containers started
before the engine fell over. Every count a user sends is now bounded here, purely, and
the use cases check a formation against these bounds (and the host's memory) before a
single container starts:

- replicas per process type and per app: server settings, which an admin may raise for
  one app (``AppLimits``), never above ``CEILING``;
- replicas of every app together on the host (the Docker runtime's one machine);
- process types per app (a Procfile with hundreds of types is hundreds of deployments);
- the memory of every replica that would run (sizes' limits summed, add-ons included)
  against the host's memory, minus a reserve for the engine, the router and the
  platform itself.

Refusals are one line: what was asked, and what fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from paas.domain.addons import KINDS
from paas.domain.sizes import MIB, Size
from paas.errors import Conflict, InvalidInput

#: No setting and no admin override goes above this; parsing refuses anything longer.
CEILING = 1000
_CEILING_DIGITS = len(str(CEILING))
#: Memory kept for the OS, the engine, the router and the platform server.
MIN_RESERVE = 512 * MIB


@dataclass(frozen=True)
class ReplicaBounds:
    """The platform's bounds (server settings)."""

    per_type: int = 10
    per_app: int = 20
    #: Replicas of every app together (on Docker: on this host).
    host: int = 100
    process_types: int = 20
    #: One-off runs (``paas run``) of one app at the same time: each is a container at
    #: the web size, which no formation counts.
    oneoffs: int = 5
    #: Apps a user who is not an admin may own: each keeps a repository, images and
    #: a network on the host.
    apps_per_user: int = 50
    #: Addresses for containers on one app's network, where the runtime gives each app
    #: one (Docker: a /26); None where it does not (Kubernetes).
    network: int | None = None

    def __post_init__(self) -> None:
        for name in ("per_type", "per_app", "host", "process_types", "oneoffs",
                     "apps_per_user"):
            value = getattr(self, name)
            if not 1 <= value <= CEILING * 10:
                raise InvalidInput(f"replica bound {name} must be 1 to {CEILING * 10}")


@dataclass(frozen=True)
class AppLimits:
    """What an admin granted one app beyond the platform's bounds."""

    #: Replicas per process type, per app; None keeps the platform's bound.
    max_per_type: int | None = None
    max_per_app: int | None = None
    #: The replicas' root filesystem is writable (it is read-only by default: a
    #: writable layer is host disk without a bound, so only an admin grants it).
    writable_root: bool = False

    def __post_init__(self) -> None:
        for value in (self.max_per_type, self.max_per_app):
            if value is not None and not 1 <= value <= CEILING:
                raise InvalidInput(f"a replica limit must be 1 to {CEILING}")


def parse_count(text: str, what: str) -> int:
    """A non-negative count from user text, never converting an unbounded digit string
    (Python's ``int`` of 5,000 digits raises, and of 22 digits starts 10^22 replicas)."""
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"invalid count {text[:24]!r} for {what}: "
                           "use a non-negative whole number")
    digits = text.lstrip("0") or "0"
    if len(digits) > _CEILING_DIGITS or int(digits) > CEILING:
        shown = digits if len(digits) <= 24 else f"{digits[:12]}...({len(digits)} digits)"
        raise InvalidInput(f"{what}={shown} refused: at most {CEILING} replicas of a "
                           "process type can ever run")
    return int(digits)


def per_type(bounds: ReplicaBounds, limits: AppLimits) -> int:
    return limits.max_per_type or bounds.per_type


def per_app(bounds: ReplicaBounds, limits: AppLimits) -> int:
    return limits.max_per_app or bounds.per_app


def check_process_types(count: int, bounds: ReplicaBounds) -> None:
    if count > bounds.process_types:
        raise InvalidInput(f"{count} process types refused: an app may have at most "
                           f"{bounds.process_types}")


def check_formation(app: str, formation: Mapping[str, int], bounds: ReplicaBounds,
                    limits: AppLimits, old: Mapping[str, int] | None = None) -> None:
    """Refuse a formation above the app's bounds; one line naming what fits. Counts that
    do not grow past ``old`` pass, so a bound lowered later never blocks a scale-down."""
    old = old or {}
    check_process_types(len(formation), bounds)
    most = per_type(bounds, limits)
    for ptype, count in sorted(formation.items()):
        if count > most and count > old.get(ptype, 0):
            raise InvalidInput(
                f"{ptype}={count} refused: {app} may run at most {most} replicas of a "
                "process type (an admin can raise it: paas apps:limits --max-replicas N)")
    total, cap = sum(formation.values()), per_app(bounds, limits)
    if total > cap and total > sum(old.values()):
        raise InvalidInput(
            f"{_render(formation)} ({total} replicas) refused: {app} may run at most "
            f"{cap} replicas in all (an admin can raise it: paas apps:limits --max-total N)")


def rollout_peak(formation: Mapping[str, int], bounds: ReplicaBounds) -> int:
    """Containers on the app's network at the height of a rollout: new web replicas
    answer before the old ones stop, so web counts twice; beside them the other types
    (they stop before their replacements start), every add-on kind, the release phase
    and the most one-off runs."""
    web = formation.get("web", 0)
    return 2 * web + sum(formation.values()) - web + len(KINDS) + 1 + bounds.oneoffs


def check_network(app: str, formation: Mapping[str, int], bounds: ReplicaBounds,
                  old: Mapping[str, int] | None = None) -> None:
    """Refuse a formation whose rollout would run out of addresses on the app's network
    (an admin's grant may allow more replicas than it holds), when it grows."""
    if bounds.network is None:
        return
    peak = rollout_peak(formation, bounds)
    if peak > bounds.network and peak > rollout_peak(old or {}, bounds):
        raise InvalidInput(
            f"{_render(formation)} refused: a rollout of {app} would run {peak} containers "
            f"on its network, which has {bounds.network} addresses (web counts twice while "
            "new replicas start beside the old ones)")


def check_host(app: str, formation: Mapping[str, int], others: int,
               bounds: ReplicaBounds, old: Mapping[str, int] | None = None) -> None:
    """Refuse when this app's replicas plus every other app's exceed the platform's
    total and this app grows."""
    total = sum(formation.values())
    if total + others > bounds.host and total > sum((old or {}).values()):
        raise InvalidInput(
            f"{_render(formation)} refused: the platform runs at most {bounds.host} "
            f"replicas in all and other apps run {others}, so {app} fits "
            f"{max(bounds.host - others, 0)}")


def check_oneoffs(app: str, running: int, bounds: ReplicaBounds) -> None:
    """Refuse one more one-off run when ``running`` already reach the bound."""
    if running >= bounds.oneoffs:
        raise Conflict(
            f"{app} already runs {running} one-off command(s), the most at once: wait for "
            "one to end (paas ps shows them)")


def check_apps(user: str, owned: int, bounds: ReplicaBounds) -> None:
    """Refuse one more app to a user who owns the most already."""
    if owned >= bounds.apps_per_user:
        raise InvalidInput(
            f"{user} owns {owned} apps, the most a user may own: destroy one first "
            "(the platform's bound is PAAS_MAX_APPS_PER_USER)")


def usable_memory(total: int) -> int:
    """Memory the replicas' limits may sum to: the host's, minus a reserve (a tenth,
    at least 512 MiB) for the OS, the engine, the router and the platform itself."""
    return max(total - max(total // 10, MIN_RESERVE), 0)


def memory_of(formation: Mapping[str, int], sizes: Mapping[str, Size]) -> int:
    """Bytes the limits of ``formation`` add up to, each type at its size."""
    return sum(count * sizes[ptype].memory for ptype, count in formation.items() if count)


def admit_memory(app: str, formation: Mapping[str, int], sizes: Mapping[str, Size],
                 others: int, total: int) -> None:
    """Refuse a formation whose replicas' memory, with ``others`` (bytes every other
    replica and add-on on the host is limited to), exceeds the host's usable memory."""
    asked = memory_of(formation, sizes)
    usable = usable_memory(total)
    if asked + others <= usable:
        return
    room = max(usable - others, 0)
    fits = " ".join(f"{p}={room // sizes[p].memory}" for p, n in sorted(formation.items())
                    if n)
    raise InvalidInput(
        f"{_render(formation)} refused: it needs {_gib(asked)} of memory and "
        f"{_gib(room)} of this host's {_gib(usable)} is free for {app} "
        f"(each alone, at most: {fits})")


def _gib(n: int) -> str:
    return f"{n / (1024 * MIB):.1f}G"


def _render(formation: Mapping[str, int]) -> str:
    return " ".join(f"{p}={n}" for p, n in sorted(formation.items()) if n) or "nothing"
