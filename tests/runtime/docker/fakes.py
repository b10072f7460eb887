"""An in-memory Docker engine for unit tests, typed against the ``Engine`` port.

Containers are values in a dict; every call that changes something is appended to
``calls`` (shared with ``FakeRouter``), so tests assert on the order of starts, route
switches and stops. A container's address is its id, so a health probe can look it up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace

from paas.domain.release import Build, StaticMount
from paas.logsink import LogSink
from paas.router.config import Route
from paas.runtime.docker.engine import Container, EngineError, Spec


class FakeEngine:
    def __init__(self) -> None:
        self.all: dict[str, Container] = {}
        self.specs: dict[str, Spec] = {}
        self.calls: list[tuple[str, object]] = []
        self.volumes: set[str] = set()
        self.fail_create: Callable[[Spec], bool] = lambda spec: False
        self.crash: Callable[[Spec], bool] = lambda spec: False  # exits right after start
        self.exec_result = (0, "")
        self.exit_code = 0
        #: The host's memory, as the engine's info reports it.
        self.mem_total = 8 * 1024**3
        self._ids = itertools.count(1)

    def ensure_network(self, name: str, labels: Mapping[str, str]) -> None:
        pass

    def ensure_volume(self, name: str, labels: Mapping[str, str]) -> None:
        self.volumes.add(name)

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        return [c for c in self.all.values() if labels.items() <= c.labels.items()]

    def inspect(self, cid: str) -> Container | None:
        return self.all.get(cid)

    def create(self, spec: Spec) -> Container:
        if self.fail_create(spec):
            raise EngineError(f"cannot create {spec.name}: no space left")
        c = Container(f"c{next(self._ids)}", spec.name, dict(spec.labels), "created")
        self.all[c.id], self.specs[c.id] = c, spec
        return c

    def start(self, cid: str) -> None:
        state = "exited" if self.crash(self.specs[cid]) else "running"
        self.all[cid] = replace(self.all[cid], state=state)
        self.calls.append(("start", cid))

    def stop(self, cid: str, timeout: float) -> None:
        self.calls.append(("stop", cid))
        self.all.pop(cid, None)

    def remove(self, cid: str) -> None:
        self.calls.append(("remove", cid))
        self.all.pop(cid, None)

    def ip(self, cid: str, network: str) -> str | None:
        return cid if cid in self.all else None

    def logs(self, cid: str, tail: int) -> str:
        return "Traceback: boom"

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


class FakeRouter:
    """Records each route switch as ("route", {app: upstream ids}) in the engine's calls."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.fail = False

    def apply(self, routes: list[Route]) -> None:
        if self.fail:
            from paas.errors import DeployFailed
            raise DeployFailed("router config rejected by nginx: test")
        self.engine.calls.append(("route", {
            r.app: sorted(u.split(":")[0] for u in r.upstreams) for r in routes}))


class NoStatic:
    def publish(self, app: str, release: int, build: Build, log: LogSink
                ) -> tuple[tuple[StaticMount, str], ...]:
        return ()

    def prune(self, app: str, keep: int | None) -> None:
        pass
