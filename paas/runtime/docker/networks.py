"""One bridge network per app: tenants are hostile, so an app reaches only its own.

Replicas, one-offs, the release phase and the add-ons of an app join its network and
nothing else. The router sends to replicas by their address there: from the host's
network namespace (the default; the host is every app bridge's gateway) or, bridged,
after joining every routed app's network. Docker drops traffic between two bridge
networks, so one app cannot reach another app's replicas or add-ons, and its embedded
DNS answers only names on the same network (another app's Redis name does not
resolve). The platform network holds a bridged router alone: the platform reaches its
control endpoint through it.

Each app network's bridge gets a predictable short name (``pa-`` and a hash), so one
wildcard firewall rule covers every app network of every instance (``firewall``).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Iterator

from paas.runtime.docker import firewall
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import Engine
from paas.settings import Settings

#: Size of one app network: 64 addresses, 61 for containers (replicas, one-offs, add-ons,
#: the release phase); formations are admitted against it (``ReplicaBounds.network``).
APP_SUBNET_PREFIX = 26
#: Addresses a /26 leaves for containers: less the network's, the broadcast and the
#: gateway (the host).
APP_NETWORK_ADDRESSES = 2 ** (32 - APP_SUBNET_PREFIX) - 3


def free_subnets(pool: str, used: Iterable[str], prefix: int = APP_SUBNET_PREFIX
                 ) -> Iterator[str]:
    """The subnets of ``pool`` that overlap none of ``used``, in order.

    Docker's default address pools give out /16s and /20s and run dry after about 30
    networks; one network per app needs the platform to hand out small ones itself.
    """
    taken = [ipaddress.ip_network(u, strict=False) for u in used]
    for candidate in ipaddress.ip_network(pool, strict=False).subnets(new_prefix=prefix):
        if not any(candidate.overlaps(t) for t in taken):
            yield str(candidate)


#: The build network's key in its bridge name: no app is named so (app names have no
#: slash), so it never shares an app network's bridge.
_BUILD_KEY = "/build"


def bridge_name(instance: str, app: str, *, metadata_allowed: bool = False) -> str:
    """The host interface of the app's network: 15 characters, Linux's limit."""
    prefix = firewall.ALLOWED_BRIDGE_PREFIX if metadata_allowed else \
        firewall.BLOCKED_BRIDGE_PREFIX
    return prefix + hashlib.sha256(f"{instance}/{app}".encode()).hexdigest()[:12]


class AppNetworks:
    """Creates and removes app networks; installs the metadata block when one is made."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.instance = settings.instance
        #: The host rule is checked once per process (a reboot empties DOCKER-USER and
        #: restarts the server) and again whenever a network is created.
        self._block_checked = False

    def name(self, app: str) -> str:
        return L.app_network_name(self.instance, app)

    def ensure(self, app: str) -> str:
        """The app's network, created on first use; its name."""
        return self._ensure(self.name(app), L.selector(self.instance, **{L.APP: app}), app)

    def ensure_build(self) -> str:
        """The network builds run on, created on first use; its name.

        A build runs the tenant's code as root (build backends, ``collectstatic``):
        on the engine's default bridge it would reach the cloud metadata address, which
        the host rule drops for the platform's bridges only, and every other container
        left there. Here it reaches the internet (the package index) and nothing of an
        app: Docker drops traffic between two bridge networks.
        """
        return self._ensure(L.build_network_name(self.instance),
                            L.selector(self.instance), _BUILD_KEY)

    def _ensure(self, name: str, labels: dict[str, str], key: str) -> str:
        allowed = self.settings.allow_metadata
        created = self.engine.ensure_network(
            name, labels, bridge=bridge_name(self.instance, key, metadata_allowed=allowed),
            subnets=lambda used: free_subnets(self.settings.app_network_pool, used))
        if not allowed and (created or not self._block_checked):
            firewall.ensure_metadata_block(
                self.engine, self.settings.stack.router,
                L.selector(self.instance, **{L.ROLE: L.ROLE_HELPER}))
            self._block_checked = True
        return name

    def remove(self, app: str) -> None:
        self.engine.remove_network(self.name(app))
