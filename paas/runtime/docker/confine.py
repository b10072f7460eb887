"""How tightly an app's containers are held on Docker: a size and the app's limits in,
an engine ``Confinement`` out. Pure, so the hardening is pinned by unit tests.

Every container that runs a tenant's code (replicas, one-off runs, release phases) gets:

- the memory, CPU weight (and, for the sizes that have one, CPU cap) and process count
  of its size, with swap equal to memory (a leak is OOM-killed, not swapped);
- ``no-new-privileges`` and every capability dropped: the app images run as uid 10001
  and bind ports above 1024, so they need none, and a setuid ``su`` or ``mount`` in the
  image runs without its owner's rights;
- a read-only root filesystem with a size-bounded ``/tmp`` tmpfs, unless an admin
  granted the app a writable root (``paas apps:limits --writable-root``): a writable
  layer is host disk without a bound.

Add-ons run the platform's own images with a fixed size; their config file is copied in
before start, which a read-only root refuses, so only their root stays writable.
"""

from __future__ import annotations

from paas.domain.limits import AppLimits
from paas.domain.sizes import ADDON, Size
from paas.runtime.docker.engine import Confinement


def for_app(size: Size, limits: AppLimits) -> Confinement:
    return Confinement(
        memory=size.memory,
        cpu_shares=size.cpu_shares,
        cpu_quota=size.cpu_quota,
        pids=size.pids,
        no_new_privileges=True,
        drop_capabilities=True,
        read_only=not limits.writable_root,
        tmp_bytes=size.tmp_bytes,
    )


def for_addon(size: Size = ADDON) -> Confinement:
    return Confinement(
        memory=size.memory,
        cpu_shares=size.cpu_shares,
        cpu_quota=size.cpu_quota,
        pids=size.pids,
        no_new_privileges=True,
        drop_capabilities=True,
    )
