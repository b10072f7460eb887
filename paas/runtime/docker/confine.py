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

- the engine's log of its output rotated (``LOG_FILES``): a replica printing in a loop
  would otherwise fill the host's disk through the engine's unbounded json-file. ``paas
  logs`` reads that log, so its history is the last ``LOG_FILES`` of output per container.

Add-ons run the platform's own images with a fixed size; their config file is copied in
before start, which a read-only root refuses, so only their root stays writable.
"""

from __future__ import annotations

from paas.domain.limits import AppLimits
from paas.domain.sizes import ADDON, Size
from paas.runtime.docker.engine import Confinement

#: Per container: files of 10 MiB, three of them (the engine's ``max-size``/``max-file``).
LOG_FILES = (10 * 1024 * 1024, 3)
#: The router's output holds every app's access lines: more history, still bounded.
ROUTER_LOG_FILES = (50 * 1024 * 1024, 4)


def for_app(size: Size, limits: AppLimits, *, writes_app_dir: bool = False) -> Confinement:
    """``writes_app_dir``: the build found that the app writes under /app (SQLite)."""
    return Confinement(
        memory=size.memory,
        cpu_shares=size.cpu_shares,
        cpu_quota=size.cpu_quota,
        pids=size.pids,
        no_new_privileges=True,
        drop_capabilities=True,
        read_only=not (limits.writable_root or writes_app_dir),
        tmp_bytes=size.tmp_bytes,
        log_files=LOG_FILES,
    )


def for_addon(size: Size = ADDON, capabilities: tuple[str, ...] = ()) -> Confinement:
    """``capabilities``: what the kind's own entrypoint needs back (AddonKind)."""
    return Confinement(
        memory=size.memory,
        cpu_shares=size.cpu_shares,
        cpu_quota=size.cpu_quota,
        pids=size.pids,
        no_new_privileges=True,
        drop_capabilities=True,
        add_capabilities=capabilities,
        log_files=LOG_FILES,
    )


#: What nginx's master needs: bind ports below 1024, hand its workers to an
#: unprivileged user, own its temp folders, read keys the platform's user owns.
ROUTER_CAPABILITIES = ("NET_BIND_SERVICE", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE")


def for_router(*, on_host: bool = False) -> Confinement:
    """The platform's own nginx: no CPU, memory or process limit (it is every app's
    front door), the log it keeps on the host bounded. On the host's network namespace
    it shares the host's interfaces, so it keeps only nginx's capabilities (no NET_RAW
    or NET_ADMIN to sniff or reconfigure them) and ``no-new-privileges``."""
    if not on_host:
        return Confinement(log_files=ROUTER_LOG_FILES)
    return Confinement(log_files=ROUTER_LOG_FILES, no_new_privileges=True,
                       drop_capabilities=True, add_capabilities=ROUTER_CAPABILITIES)
