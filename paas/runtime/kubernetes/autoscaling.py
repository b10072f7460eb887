"""Autoscaling objects: an HPA for a CPU policy, a KEDA ScaledObject for a queue policy.

The policy values mean the same on both runtimes: ``--cpu 80`` is 80 % of one core per
replica, as the Docker loop measures it. An HPA's ``averageUtilization`` is relative to
the CPU *request*, so the target is rescaled by the request (80 % of a core with a 250m
request is 320 %).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.sizes import DEFAULT, Size, size_of
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.broker import Broker, broker_url, parse_broker
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

KEDA_API = "keda.sh/v1alpha1"
#: KEDA's own defaults, written out so the object says what it does.
POLLING_SECONDS = 30
COOLDOWN_SECONDS = 300


def cpu_utilization(policy: AutoscalePolicy, settings: KubernetesSettings,
                    size: Size = DEFAULT) -> int:
    """The request grows with the size (``cpu_request_m`` per 1x), so does the divisor."""
    assert policy.cpu_percent is not None
    return math.ceil(policy.cpu_percent * 1000 / (settings.cpu_request_m * size.cpu))


def hpa(app: App, policy: AutoscalePolicy, settings: KubernetesSettings) -> Manifest:
    """autoscaling/v2 on CPU; an HPA cannot go below one replica (that needs KEDA)."""
    name = policy.process_type
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": lb.metadata(
            name, lb.namespace(app.name, settings), lb.labels(app.name, policy.process_type)
        ),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": max(1, policy.min_replicas),
            "maxReplicas": policy.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": cpu_utilization(
                                policy, settings, size_of(app.sizes, name)),
                        },
                    },
                }
            ],
        },
    }


def scaled_object(
    app: App, policy: AutoscalePolicy, broker: Broker, settings: KubernetesSettings
) -> Manifest:
    """KEDA scales the worker on its queue, down to zero when ``--min 0``.

    Celery workers prefetch tasks, which leaves the list: a busy fleet can show a short
    queue. Apps that autoscale on queues should run with ``worker_prefetch_multiplier=1``.
    """
    assert policy.queue is not None and policy.per_replica is not None
    metadata: dict[str, str]
    if broker.trigger == "redis":
        metadata = {
            "listName": policy.queue,
            "listLength": str(policy.per_replica),
            "activationListLength": "0",
            **broker.metadata,
        }
    else:
        metadata = {
            "mode": "QueueLength",
            "value": str(policy.per_replica),
            "queueName": policy.queue,
            **broker.metadata,
        }
    name = policy.process_type
    return {
        "apiVersion": KEDA_API,
        "kind": "ScaledObject",
        "metadata": lb.metadata(
            name, lb.namespace(app.name, settings), lb.labels(app.name, policy.process_type)
        ),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicaCount": policy.min_replicas,
            "maxReplicaCount": policy.max_replicas,
            "pollingInterval": POLLING_SECONDS,
            "cooldownPeriod": COOLDOWN_SECONDS,
            "triggers": [
                {
                    "type": broker.trigger,
                    "metadata": metadata,
                    "authenticationRef": {"name": lb.BROKER},
                }
            ],
        },
    }


def broker_secret(app: App, broker: Broker, settings: KubernetesSettings) -> Manifest:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(broker.auth.items())}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": lb.metadata(lb.BROKER, lb.namespace(app.name, settings), lb.labels(app.name)),
        "type": "Opaque",
        "data": data,
    }


def trigger_authentication(app: App, broker: Broker, settings: KubernetesSettings) -> Manifest:
    return {
        "apiVersion": KEDA_API,
        "kind": "TriggerAuthentication",
        "metadata": lb.metadata(lb.BROKER, lb.namespace(app.name, settings), lb.labels(app.name)),
        "spec": {
            "secretTargetRef": [
                {"parameter": key, "name": lb.BROKER, "key": key} for key in sorted(broker.auth)
            ]
        },
    }


def broker_objects(
    app: App, config: Mapping[str, str], settings: KubernetesSettings
) -> tuple[Broker, list[Manifest]]:
    broker = parse_broker(broker_url(config, settings.broker_url))
    return broker, [
        broker_secret(app, broker, settings),
        trigger_authentication(app, broker, settings),
    ]


def autoscaling_objects(
    app: App,
    policies: Sequence[AutoscalePolicy],
    config: Mapping[str, str],
    settings: KubernetesSettings,
) -> list[Manifest]:
    """Every object the policies need, the broker credentials before their users."""
    objects: list[Manifest] = []
    queue = [p for p in policies if p.metric is Metric.QUEUE]
    if queue:
        broker, creds = broker_objects(app, config, settings)
        objects += creds
        objects += [scaled_object(app, p, broker, settings) for p in queue]
    objects += [hpa(app, p, settings) for p in policies if p.metric is Metric.CPU]
    return objects
