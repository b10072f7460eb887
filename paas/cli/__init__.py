"""The paas command line: thin commands over the API client, one module per topic.

Failures leave through one place, :mod:`paas.cli.failure`: ``error: <one line>`` on
stderr and a non-zero exit code; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import click

from paas import __version__
from paas.cli import (
    access,
    addons,
    apps,
    auth,
    autoscale,
    config,
    domains,
    logs,
    pg,
    ps,
    releases,
    run,
    server,
    stack,
    tokens,
    users,
)
from paas.cli.application import Application
from paas.cli.failure import FailingGroup


@click.group("paas", cls=FailingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="PAAS_DEBUG", help="Show tracebacks on errors.")
@click.version_option(__version__, prog_name="paas")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """paas: git push your Python web app; it runs behind nginx, scaled."""
    app = ctx.ensure_object(Application)
    app.debug = app.debug or debug


for module in (server, stack, auth, users, tokens, apps, access, config, releases, domains,
               ps, autoscale, addons, pg, logs, run):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Entry point of the ``paas`` script."""
    cli.main(prog_name="paas")
