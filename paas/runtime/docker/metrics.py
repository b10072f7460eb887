"""CPU use of an app's replicas, from the engine's container stats, for the autoscaler."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import Container, DockerEngine

if TYPE_CHECKING:
    import docker


def cpu_percent_of(stats: dict[str, Any]) -> float | None:
    """Percent of one core a container used between the two samples of one stats read.

    The engine's ``docker stats`` formula: container CPU time delta over system CPU time
    delta, times the number of online CPUs. ``None`` when there is no earlier sample
    (a container that just started), so the autoscaler holds instead of guessing.
    """
    try:
        cpu, pre = stats["cpu_stats"], stats["precpu_stats"]
        used = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        system = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
        online = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or []) or 1
    except (KeyError, TypeError):
        return None
    if system <= 0 or used < 0:
        return None
    return float(used) / float(system) * float(online) * 100.0


class DockerMetrics:
    def __init__(self, client: docker.DockerClient, instance: str) -> None:
        self.engine = DockerEngine(client)
        self.instance = instance

    def cpu_percent(self, app: str, process_type: str) -> float | None:
        """Average over the running replicas of ``process_type``; None when unreadable."""
        running = self.engine.running(L.selector(
            self.instance, **{L.ROLE: L.ROLE_APP, L.APP: app, L.PROCESS: process_type}))
        if not running:
            return None

        def one(c: Container) -> float | None:
            stats = self.engine.stats(c.id)
            return cpu_percent_of(stats) if stats is not None else None

        with ThreadPoolExecutor(max_workers=min(8, len(running))) as pool:
            values = [v for v in pool.map(one, running) if v is not None]
        return sum(values) / len(values) if values else None
