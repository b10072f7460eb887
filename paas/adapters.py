"""The composition root of the side effects: which runtime and builder a platform uses.

Kept out of ``paas.server`` so the server stays free of adapter packages; this is the one
module that knows every adapter.
"""

from __future__ import annotations

import docker

from paas.autoscale.loop import Autoscaler
from paas.autoscale.policy import Behavior
from paas.autoscale.queue import QueueProbe, RedisQueueProbe
from paas.builder.docker_builder import DockerBuilder
from paas.builder.port import Builder
from paas.builder.registry import PublishingBuilder, ensure_image
from paas.errors import InvalidInput
from paas.logsink import LogSink
from paas.runtime.docker.addons import DockerAddons
from paas.runtime.docker.metrics import DockerMetrics
from paas.runtime.docker.runtime import DockerRuntime, connect
from paas.runtime.kubernetes.runtime import KubernetesRuntime
from paas.runtime.port import Runtime
from paas.services.addons import AddonService
from paas.services.deploy import Deployer
from paas.services.formation import FormationService
from paas.settings import Settings
from paas.stack.debian import build_stack
from paas.store.port import Store

__all__ = ["adapters", "connect", "docker_scaling"]


def adapters(
    settings: Settings, client: docker.DockerClient, say: LogSink, build_missing_stack: bool
) -> tuple[Runtime, Builder]:
    """The runtime and builder ``settings.runtime`` asks for.

    Builds always run on a Docker engine (this host's, or the chart's sidecar). On
    Kubernetes the nodes pull images, so a registry is required and every build is pushed;
    the stack image comes from that registry since the sidecar cannot debootstrap.
    """
    builder: Builder = DockerBuilder(client, settings)
    registry = settings.registry
    if settings.runtime == "kubernetes":
        if not registry.enabled:
            raise InvalidInput("the kubernetes runtime needs a registry: set PAAS_REGISTRY "
                               "(and PAAS_REGISTRY_PUSH when the build engine reaches it "
                               "by another name)")
        ensure_image(client, settings.stack.python, registry.auth)
        return KubernetesRuntime.from_environment(), PublishingBuilder(builder, client, registry)
    if settings.runtime != "docker":
        raise InvalidInput(f"unknown runtime {settings.runtime!r}: use docker or kubernetes")
    if build_missing_stack:
        build_stack(settings.stack, settings.home / "cache", say, client=client)
    if registry.enabled:
        builder = PublishingBuilder(builder, client, registry)
    return DockerRuntime(client, settings), builder


def docker_scaling(
    settings: Settings,
    client: docker.DockerClient,
    runtime: Runtime,
    store: Store,
    deployer: Deployer,
) -> tuple[AddonService | None, Autoscaler | None]:
    """Add-ons and the autoscaling loop of the Docker runtime (issue 4).

    Kubernetes scales with its own controllers (HPA, KEDA) and has no add-ons here, so
    both are None there. The loop reads CPU from container stats and queue backlogs from
    the app's Redis add-on, which the server (on the host) reaches by container address.
    """
    if not isinstance(runtime, DockerRuntime):
        return None, None
    addons = AddonService(store, deployer, DockerAddons(client, settings))
    probes: dict[str, RedisQueueProbe] = {}  # one connection pool per broker URL

    def probe(app: str) -> QueueProbe | None:
        url = addons.broker_url(app)
        if url is None:
            return None
        if url not in probes:
            probes[url] = RedisQueueProbe(url)
        return probes[url]

    autoscaler = Autoscaler(
        store,
        FormationService(store, runtime, deployer.locks),
        DockerMetrics(client, settings.instance),
        probe,
        behavior=Behavior(stabilization_seconds=settings.autoscale_window),
        interval=settings.autoscale_interval,
    )
    return addons, autoscaler
