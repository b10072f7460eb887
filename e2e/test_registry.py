"""Builds pushed to a real registry: what a cluster's nodes pull from."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from e2e.harness import PAAS, Platform
from e2e.registry import Registry, running_registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as r:
        yield r


@pytest.fixture(scope="module")
def publishing_platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None,
                        registry: Registry) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("platform-registry"),
                 server_env={"PAAS_REGISTRY": f"{registry.host}/apps"})
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


def test_push_publishes_the_image_and_the_release_runs_the_pulled_reference(
    publishing_platform: Platform, registry: Registry
) -> None:
    p = publishing_platform
    repo = p.new_repo("flask-hello", "published")
    assert p.paas("apps:create", "published", cwd=repo).code == 0
    pushed = p.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    commit = p.git("rev-parse", "HEAD", cwd=repo).out.strip()
    tag = f"git-{commit[:12]}"
    assert f"Pushed {registry.host}/apps/published:{tag}" in pushed.text
    assert registry.tags("apps/published") == [tag]
    # the digest the registry holds is the image that runs
    client = docker.from_env()
    image = client.images.get(f"{registry.host}/apps/published:{tag}")
    running = client.containers.list(filters={"label": [f"paas.instance={p.instance}",
                                                        "paas.app=published"]})
    assert running and all(c.image.id == image.id for c in running)
    assert p.get("published")[0] == 200


def test_unreachable_registry_fails_the_push_and_keeps_the_release(
    tmp_path: Path, stack_images: None, registry: Registry
) -> None:
    p = Platform(tmp_path, server_env={"PAAS_REGISTRY": "127.0.0.1:9/nowhere"})
    try:
        p.start()
        p.login()
        repo = p.new_repo("flask-hello", "unpublished")
        assert p.paas("apps:create", "unpublished", cwd=repo).code == 0
        pushed = p.git("push", "paas", "main", cwd=repo)
        assert pushed.code != 0
        assert "push to 127.0.0.1:9/nowhere/unpublished failed" in pushed.text
        assert p.paas("apps:info", "-a", "unpublished").out.count("none yet") == 1
    finally:
        p.cleanup()


@pytest.fixture(scope="module")
def platform_image(stack_images: None) -> str:
    """Kept like the stack images: its dependency layer takes minutes to rebuild."""
    out = subprocess.run([PAAS, "stack", "build", "--platform"], check=True,
                         capture_output=True, text=True).stdout.split()
    return out[-1]


def test_platform_image_runs_the_server_cli_as_non_root_with_git(platform_image: str
                                                                 ) -> None:
    client = docker.from_env()
    script = ("paas --version && test -x \"$(git --exec-path)/git-http-backend\" && id -u "
              "&& paas server --help")
    out = client.containers.run(platform_image, ["/bin/sh", "-c", script],
                                remove=True).decode()
    assert f"paas, version {platform_image.rsplit(':', 1)[1]}" in out
    assert "\n10001\n" in out
    assert "--runtime [docker|kubernetes]" in out


def test_stack_push_puts_the_stack_and_platform_images_in_the_registry(
    registry: Registry, platform_image: str
) -> None:
    out = subprocess.run([PAAS, "stack", "push", f"{registry.host}/mirror"], check=True,
                         capture_output=True, text=True).stdout.split()
    version = platform_image.rsplit(":", 1)[1]
    assert len(out) == 3 and out[2] == f"{registry.host}/mirror/paas/platform:{version}"
    for ref in out:
        repository, _, tag = ref.removeprefix(registry.host + "/").rpartition(":")
        assert registry.tags(repository) == [tag]
    client = docker.from_env()
    for ref in out:
        client.images.remove(ref)  # the tag only; the stack images stay
