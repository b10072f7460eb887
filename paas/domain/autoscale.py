"""Autoscaling policies as values; shared by the Docker loop and the Kubernetes objects.

A CPU policy becomes an HPA on Kubernetes and the platform's own loop on Docker; a queue
policy becomes a KEDA ScaledObject on Kubernetes and Redis ``LLEN`` polling on Docker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from paas.domain.formation import SINGLETONS
from paas.errors import InvalidInput


class Metric(StrEnum):
    CPU = "cpu"
    QUEUE = "queue"


@dataclass(frozen=True)
class AutoscalePolicy:
    process_type: str
    min_replicas: int
    max_replicas: int
    metric: Metric
    #: CPU: target average utilisation in percent of one core per replica.
    cpu_percent: int | None = None
    #: Queue: the broker list (celery's default queue is ``celery``) and target per replica.
    queue: str | None = None
    per_replica: int | None = None

    def __post_init__(self) -> None:
        if self.min_replicas < 0 or self.max_replicas < 1:
            raise InvalidInput("autoscale: --min must be >= 0 and --max >= 1")
        if self.min_replicas > self.max_replicas:
            raise InvalidInput(
                f"autoscale: --min {self.min_replicas} is greater than --max {self.max_replicas}"
            )
        if self.process_type in SINGLETONS:
            raise InvalidInput(f"{self.process_type} is a singleton and cannot be autoscaled")
        if self.metric is Metric.CPU:
            if self.cpu_percent is None or not 1 <= self.cpu_percent <= 100:
                raise InvalidInput("autoscale: --cpu must be a percentage from 1 to 100")
        elif not self.queue or self.per_replica is None or self.per_replica < 1:
            raise InvalidInput(
                "autoscale: a queue policy needs --queue NAME and --per-replica N >= 1"
            )
