"""``paas stack push``: the stack and platform images, into a cluster's registry."""

from __future__ import annotations

import contextlib

import docker
import docker.errors

from paas.builder.registry import push_image
from paas.errors import InvalidInput
from paas.logsink import LogSink
from paas.settings import REGISTRY_PATTERN as _REGISTRY
from paas.settings import RegistrySettings, StackImages
from paas.stack.platform import platform_tag


def stack_reference(registry: str, image: str) -> tuple[str, str]:
    """(repository, tag) of a stack image under ``registry``: its name without the host."""
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        name, tag = image, "latest"
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = rest  # drop the registry host the image came from
    return f"{registry}/{name}", tag


def push_stack(images: StackImages, registry: str, log: LogSink,
               client: docker.DockerClient | None = None) -> list[str]:
    """Push the python and redis stack images (the router runs only on Docker hosts), and
    the platform server image when it was built."""
    if not _REGISTRY.fullmatch(registry):
        raise InvalidInput(f"{registry!r} is not a registry host[:port][/path] (no scheme)")
    engine = client or docker.from_env()
    auth = RegistrySettings().auth
    pushed = []
    wanted = [images.python, images.redis]
    with contextlib.suppress(docker.errors.ImageNotFound):
        wanted.append(engine.images.get(platform_tag()).tags[0])
    for image in wanted:
        repository, tag = stack_reference(registry, image)
        log(f"Pushing {image} to {repository}:{tag}")
        push_image(engine, image, repository, tag, auth)
        pushed.append(f"{repository}:{tag}")
    return pushed
