"""An in-memory Docker engine for unit tests, typed against the ``Engine`` port.

Containers are values in a dict; every call that changes something is appended to
``calls`` (shared with ``FakeRouter``), so tests assert on the order of starts, route
switches, waits for the router's old workers and stops. A container's address on a
network it is attached to is its id, so a health probe can look it up; on any other
network it has none.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import replace

from paas.domain.release import Build, StaticMount
from paas.logsink import LogSink
from paas.router.config import Route
from paas.runtime.docker.engine import Container, EngineError, Spec, SubnetChooser


class FakeEngine:
    def __init__(self) -> None:
        self.all: dict[str, Container] = {}
        self.specs: dict[str, Spec] = {}
        self.calls: list[tuple[str, object]] = []
        #: name -> labels of each volume made
        self.volumes: dict[str, dict[str, str]] = {}
        #: name -> (labels, bridge interface name)
        self.networks: dict[str, tuple[dict[str, str], str | None]] = {}
        #: network -> the subnet it was given from the platform's pool
        self.subnets: dict[str, str] = {}
        #: argv of each host helper run, and what it answers (exit code, output)
        self.helpers: list[tuple[str, ...]] = []
        self.helper_result = (0, "")
        self.fail_create: Callable[[Spec], bool] = lambda spec: False
        #: A container's address when it is not its id (one the engine restarted
        #: elsewhere on its network).
        self.addresses: dict[str, str] = {}
        self.crash: Callable[[Spec], bool] = lambda spec: False  # exits right after start
        #: The exit code a crashed container reports, and the log every container has.
        self.crash_code = 1
        self.log_text = "Traceback: boom"
        self.exec_result = (0, "")
        self.exit_code = 0
        #: The host's memory, as the engine's info reports it.
        self.mem_total = 8 * 1024**3
        self._ids = itertools.count(1)

    def ensure_network(self, name: str, labels: Mapping[str, str], *,
                       bridge: str | None = None,
                       subnets: SubnetChooser | None = None) -> bool:
        if name in self.networks:
            return False
        if subnets is not None:
            self.subnets[name] = next(iter(subnets(list(self.subnets.values()))))
        self.networks[name] = (dict(labels), bridge)
        self.calls.append(("network", name))
        return True

    def remove_network(self, name: str) -> None:
        attached = [c.name for c in self.all.values() if name in c.networks]
        if attached:
            raise EngineError(f"cannot remove network {name}: in use by {attached}")
        self.networks.pop(name, None)
        self.subnets.pop(name, None)
        self.calls.append(("remove_network", name))

    def gateway(self, network: str) -> str | None:
        return "10.0.0.1" if network in self.networks else None

    def connect(self, cid: str, network: str) -> None:
        if network not in self.networks:
            raise EngineError(f"network {network} not found")
        c = self.all[cid]
        if network not in c.networks:
            self.all[cid] = replace(c, networks=(*c.networks, network))
        self.calls.append(("connect", (cid, network)))

    def disconnect(self, cid: str, network: str) -> None:
        c = self.all.get(cid)
        if c is not None:
            self.all[cid] = replace(c, networks=tuple(n for n in c.networks if n != network))
        self.calls.append(("disconnect", (cid, network)))

    def run_host_helper(self, image: str, argv: Sequence[str],
                        labels: Mapping[str, str]) -> tuple[int, str]:
        self.helpers.append(tuple(argv))
        return self.helper_result

    def ensure_volume(self, name: str, labels: Mapping[str, str]) -> None:
        self.volumes.setdefault(name, dict(labels))

    def _seen(self, c: Container) -> Container:
        """``c`` as the engine reports it: with its address on each network it is on."""
        return replace(c, addresses={n: ip for n in c.networks
                                     if (ip := self.ip(c.id, n)) is not None})

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        return [self._seen(c) for c in self.all.values()
                if labels.items() <= c.labels.items()]

    def listed(self, labels: Mapping[str, str]) -> list[Container]:
        return [replace(c, started_at=None, exit_code=0, restarts=0, pid=0)
                for c in self.containers(labels)]

    def inspect(self, cid: str) -> Container | None:
        c = self.all.get(cid)
        return self._seen(c) if c is not None else None

    def create(self, spec: Spec) -> Container:
        if self.fail_create(spec):
            raise EngineError(f"cannot create {spec.name}: no space left")
        if spec.network not in self.networks:
            raise EngineError(f"cannot create {spec.name}: network {spec.network} not found")
        c = Container(f"c{next(self._ids)}", spec.name, dict(spec.labels), "created",
                      networks=(spec.network,))
        self.all[c.id], self.specs[c.id] = c, spec
        return c

    def start(self, cid: str) -> None:
        crashed = self.crash(self.specs[cid])
        self.all[cid] = replace(self.all[cid], state="exited" if crashed else "running",
                                exit_code=self.crash_code if crashed else 0)
        self.calls.append(("start", cid))

    def stop(self, cid: str, timeout: float) -> None:
        self.calls.append(("stop", cid))
        self.all.pop(cid, None)

    def remove(self, cid: str) -> None:
        self.calls.append(("remove", cid))
        self.all.pop(cid, None)

    def ip(self, cid: str, network: str) -> str | None:
        c = self.all.get(cid)
        if c is None or network not in c.networks:
            return None
        return self.addresses.get(cid, cid)

    def logs(self, cid: str, tail: int) -> str:
        return self.log_text

    def output(self, cid: str) -> Iterator[str]:
        return iter(["migrating", "done"])

    def wait(self, cid: str) -> int:
        return self.exit_code

    def exec(self, cid: str, argv: Sequence[str],
             environment: Mapping[str, str] | None = None) -> tuple[int, str]:
        self.calls.append(("exec", (cid, tuple(argv), dict(environment or {}))))
        return self.exec_result

    def processes(self, cid: str) -> list[tuple[str, str]]:
        return []

    def remove_labelled(self, labels: Mapping[str, str]) -> None:
        self.calls.append(("remove_labelled", dict(labels)))

    def memory_total(self) -> int:
        return self.mem_total

    # for assertions ------------------------------------------------------------------
    def running(self, process_type: str = "web") -> list[str]:
        return sorted(c.id for c in self.all.values()
                      if c.running and c.labels.get("paas.process-type") == process_type)

    def on(self, network: str) -> list[str]:
        """Ids of the containers attached to ``network``."""
        return sorted(c.id for c in self.all.values() if network in c.networks)


class FakeRouter:
    """Records each route switch as ("route", {app: upstream ids}) in the engine's calls."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.fail = False
        #: The app networks the router was told to be on, at the last apply.
        self.networks: list[str] = []

    def apply(self, routes: list[Route], networks: Collection[str]) -> Callable[[], None]:
        if self.fail:
            from paas.errors import DeployFailed
            raise DeployFailed("router config rejected by nginx: test")
        self.networks = sorted(networks)
        switch = {r.app: sorted(u.split(":")[0] for u in r.upstreams) for r in routes}
        self.engine.calls.append(("route", switch))

        def drained() -> None:
            """Recorded as ("drained", the switch it waited for)."""
            self.engine.calls.append(("drained", switch))

        return drained


class NoStatic:
    def publish(self, app: str, release: int, build: Build, log: LogSink
                ) -> tuple[tuple[StaticMount, str], ...]:
        return ()

    def prune(self, app: str, keep: int | None) -> None:
        pass
