"""``paas stack build``: make the platform's base images from Debian packages."""

from __future__ import annotations

import click

from paas.settings import StackImages, default_home


@click.group("stack")
def stack() -> None:
    """The images apps and the router run on."""


@stack.command("build")
@click.option("--force", is_flag=True, help="Rebuild images that already exist.")
def build(force: bool) -> None:
    """Build missing stack images (python, nginx router, redis) with debootstrap."""
    from paas.build.stack import build_stack

    built = build_stack(StackImages(), default_home() / "cache",
                        lambda line: click.echo(line, err=True), force=force)
    for name in built:
        click.echo(name)


@stack.command("push")
@click.argument("registry")
def push(registry: str) -> None:
    """Push the stack images to REGISTRY (host[:port][/path]) for a cluster's build engine.

    Then set the chart's ``stack.image`` (PAAS_STACK_IMAGE) to the printed python image.
    """
    from paas.build.registry import push_stack

    for name in push_stack(StackImages(), registry, lambda line: click.echo(line, err=True)):
        click.echo(name)


COMMANDS = [stack]
