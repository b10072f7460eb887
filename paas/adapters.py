"""The composition root of the side effects: which runtime and builder a platform uses.

Kept out of ``paas.server`` so the server stays free of adapter packages; this is the one
module that knows every adapter.
"""

from __future__ import annotations

import docker

from paas.build.docker_builder import DockerBuilder
from paas.build.port import Builder
from paas.build.registry import PublishingBuilder, ensure_image
from paas.build.stack import build_stack
from paas.errors import InvalidInput
from paas.logsink import LogSink
from paas.runtime.docker.runtime import DockerRuntime, connect
from paas.runtime.kubernetes.runtime import KubernetesRuntime
from paas.runtime.port import Runtime
from paas.settings import Settings

__all__ = ["adapters", "connect"]


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
