"""Publishing built images to a registry, for runtimes whose nodes pull images.

The Docker runtime runs images where they were built; a Kubernetes node cannot, so with
a registry configured every build is tagged for it, pushed, and the release records the
reference the nodes pull. Pushing and pulling may use different host names (the build
engine reaches the bundled registry through its Service, the nodes through a NodePort on
localhost), hence two hosts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import docker
import docker.errors

from paas.builder.port import Builder
from paas.builder.source import PushedCommit
from paas.domain.release import Build
from paas.errors import BuildFailed, InvalidInput, RuntimeUnavailable
from paas.logsink import LogSink
from paas.settings import RegistrySettings


def references(settings: RegistrySettings, app: str, tag: str) -> tuple[str, str, str]:
    """(push repository, tag, pull reference) of ``app``'s image ``tag``."""
    if settings.pull_host is None:
        raise InvalidInput("no registry configured (PAAS_REGISTRY)")
    push = settings.push_host or settings.pull_host
    return f"{push}/{app}", tag, f"{settings.pull_host}/{app}:{tag}"


def push_errors(stream: Iterator[Mapping[str, Any]]) -> str | None:
    """The first error the engine reported in a push stream, else None."""
    for record in stream:
        if "error" in record:
            return str(record["error"]).strip()
        detail = record.get("errorDetail")
        if isinstance(detail, Mapping) and detail.get("message"):
            return str(detail["message"]).strip()
    return None


class PublishingBuilder:
    """A Builder that pushes what ``inner`` built and records the pullable reference."""

    def __init__(self, inner: Builder, client: docker.DockerClient,
                 settings: RegistrySettings) -> None:
        self.inner = inner
        self.client = client
        self.settings = settings

    def build(self, app: str, source: PushedCommit, commit: str, log: LogSink) -> Build:
        build = self.inner.build(app, source, commit, log)
        repository, tag, pull_ref = references(self.settings, app, f"git-{commit[:12]}")
        log(f"-----> Pushing image to {repository}")
        push_image(self.client, build.image, repository, tag, self.settings.auth)
        log(f"-----> Pushed {pull_ref}")
        return replace(build, image=pull_ref)


def ensure_image(client: docker.DockerClient, reference: str, auth: dict[str, str] | None) -> None:
    """Make ``reference`` present in the engine, pulling it when missing.

    On a cluster the build engine is a fresh sidecar with no debootstrap and no root:
    the stack image comes from the registry, pushed there once by ``paas stack push``.
    """
    try:
        client.images.get(reference)
        return
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e
    try:
        client.images.pull(reference, auth_config=auth)
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(
            f"stack image {reference} is not in the build engine and cannot be pulled "
            f"({e}): run `paas stack build` and `paas stack push REGISTRY` on a host with "
            "Docker, then set PAAS_STACK_IMAGE to the pushed name"
        ) from e


def push_image(client: docker.DockerClient, source: str, repository: str, tag: str,
               auth: dict[str, str] | None) -> None:
    """Tag ``source`` as ``repository:tag`` and push it; one-line error on failure."""
    try:
        client.images.get(source).tag(repository, tag)
        error = push_errors(client.images.push(repository, tag, stream=True, decode=True,
                                               auth_config=auth))
    except docker.errors.APIError as e:
        raise BuildFailed(f"push to {repository} failed: {e.explanation or e}") from e
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(f"Docker engine error during push: {e}") from e
    if error:
        raise BuildFailed(f"push to {repository} failed: {error}")
