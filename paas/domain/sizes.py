"""Process sizes, Heroku-style: what one replica of a process type may use.

Every app replica runs with the memory, CPU weight and process count of its type's size
(``paas ps:resize web=standard-2x``); a type that was never resized gets ``DEFAULT``.
Tenants are hostile (a fork loop, a leak, a busy loop), so no replica runs unbounded.

CPU is a relative weight (cgroup ``cpu.shares``, 1024 per 1x): on an idle host a replica
uses every core it wants, and only when cores are contended does each get its weight's
share. A hard quota (CFS ``cpu.cfs_quota_us``) throttles a replica even when the host is
idle, which costs a Python server latency for nothing; only ``basic``, the cheapest size,
gets one (1 CPU), so a crowd of cheap apps can never hold every core at once.

Runtimes map a size once: Docker to ``mem_limit``/``cpu_shares``/``pids_limit``,
Kubernetes to requests and limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paas.errors import InvalidInput

MIB = 1024 * 1024
#: CPU weight of one "x" of CPU: the engine's default weight of a container.
SHARES_PER_X = 1024


@dataclass(frozen=True)
class Size:
    name: str
    #: Hard memory limit in bytes; swap is never allowed on top of it.
    memory: int
    #: Relative CPU: 1.0 is one default container's weight (1024 shares).
    cpu: float
    #: Processes and threads the replica may hold at once (a fork bomb stops here).
    pids: int
    #: Hard CPU cap in CPUs, or None: a size is throttled only where that is the point.
    cpu_quota: float | None = None

    @property
    def cpu_shares(self) -> int:
        return int(self.cpu * SHARES_PER_X)

    @property
    def tmp_bytes(self) -> int:
        """Size of the writable ``/tmp`` (tmpfs pages count against the memory limit)."""
        return self.memory // 4


SIZES: dict[str, Size] = {s.name: s for s in (
    Size("basic", 512 * MIB, cpu=1.0, pids=256, cpu_quota=1.0),
    Size("standard-1x", 512 * MIB, cpu=1.0, pids=512),
    Size("standard-2x", 1024 * MIB, cpu=2.0, pids=1024),
    Size("performance-m", 2560 * MIB, cpu=4.0, pids=2048),
    Size("performance-l", 14336 * MIB, cpu=8.0, pids=4096),
)}
DEFAULT = SIZES["standard-1x"]
#: Add-on containers (Redis): a fixed size, not the tenant's choice.
ADDON = Size("addon", 256 * MIB, cpu=0.5, pids=256)
#: What a build may use: the tenant's build backends and build steps (compilers,
#: collectstatic) run there. Generous for compiling wheels, but bounded, so a build
#: cannot take the host's memory or fork without end.
BUILD = Size("build", 2048 * MIB, cpu=1, pids=1024)

_RESIZE_ARG = re.compile(r"^([a-z0-9][a-z0-9-]{0,62})=([a-z0-9-]{1,32})$")


def size_named(name: str) -> Size:
    found = SIZES.get(name.lower())
    if found is None:
        raise InvalidInput(f"unknown size {name!r} (sizes: {', '.join(SIZES)})")
    return found


def size_of(sizes: Mapping[str, str], process_type: str) -> Size:
    """The size ``process_type`` runs at; an unknown stored name falls back to default."""
    return SIZES.get(sizes.get(process_type, DEFAULT.name), DEFAULT)


def parse_resize_args(args: Iterable[str]) -> dict[str, str]:
    """``web=standard-2x worker=basic`` -> {type: size name}; refuses unknown sizes."""
    changes: dict[str, str] = {}
    for arg in args:
        m = _RESIZE_ARG.fullmatch(arg.lower())
        if m is None:
            raise InvalidInput(f"invalid resize argument {arg[:80]!r}: use TYPE=SIZE, "
                               f"e.g. web=standard-2x (sizes: {', '.join(SIZES)})")
        changes[m.group(1)] = size_named(m.group(2)).name
    if not changes:
        raise InvalidInput("nothing to resize: give TYPE=SIZE, e.g. web=standard-2x")
    return changes


def describe(size: Size) -> str:
    """``512M, 1x CPU, 512 pids`` for messages and ``paas ps``."""
    mem = f"{size.memory // MIB}M" if size.memory < 1024 * MIB else \
        f"{size.memory / (1024 * MIB):g}G"
    cpu = f"{size.cpu:g}x CPU" + (f" (at most {size.cpu_quota:g})" if size.cpu_quota else "")
    return f"{mem}, {cpu}, {size.pids} pids"
