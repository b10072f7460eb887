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


COMMANDS = [stack]
