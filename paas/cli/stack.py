"""``paas stack build``: make the platform's base images from Debian packages."""

from __future__ import annotations

import click

from paas.settings import BuildSettings, StackImages, default_home


@click.group("stack")
def stack() -> None:
    """The images apps and the router run on."""


@stack.command("build")
@click.option("--force", is_flag=True, help="Rebuild images that already exist.")
@click.option("--platform", "with_platform", is_flag=True,
              help="Also build the platform server image the Helm chart runs.")
@click.option("--python", "pythons", multiple=True, metavar="VERSION",
              help="Build only the stack of this Python (repeatable), e.g. 3.13.")
def build(force: bool, with_platform: bool, pythons: tuple[str, ...]) -> None:
    """Build missing stack images with debootstrap: every Python stack (or those asked
    for with --python), the nginx router and redis."""
    from paas.stack.debian import build_stack, rootfs_image
    from paas.stack.platform import build_platform_image, platform_tag

    images = StackImages()
    say = lambda line: click.echo(line, err=True)  # noqa: E731
    stacks = images.select(pythons) if pythons else images.pythons
    built = build_stack(images, default_home() / "cache", say, pythons=stacks, force=force)
    if with_platform:
        built.append(build_platform_image(rootfs_image(images), platform_tag(),
                                          BuildSettings(), say))
    for name in built:
        click.echo(name)


@stack.command("push")
@click.argument("registry")
def push(registry: str) -> None:
    """Push the stack images to REGISTRY (host[:port][/path]) for a cluster's build engine.

    Then set the chart's ``stack.image`` (PAAS_STACK_IMAGE) to the printed python image
    and ``server.image`` to the platform image, when it was built (``build --platform``).
    """
    from paas.stack.registry import push_stack

    for name in push_stack(StackImages(), registry, lambda line: click.echo(line, err=True)):
        click.echo(name)


COMMANDS = [stack]
