"""The paas command line: thin commands over the API client."""

from __future__ import annotations

import sys
import traceback

import click

from paas import __version__
from paas.cli import addons, apps, auth, config, domains, logs, ps, run, server, stack, users
from paas.cli.application import Application
from paas.errors import PaasError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="PAAS_DEBUG", help="Show tracebacks on errors.")
@click.version_option(__version__, prog_name="paas")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """paas: git push your Python web app; it runs behind nginx, scaled."""
    ctx.obj = Application(debug=debug)


for module in (server, auth, apps, stack, config, domains, users, logs, run, ps, addons):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Entry point: PaasError becomes ``error: <one line>`` and exit code 1."""
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except PaasError as e:
        if debug:
            traceback.print_exc()
        for line in e.log.splitlines()[-20:]:
            click.echo(f"       {line}", err=True)
        click.echo(f"error: {e.message}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
