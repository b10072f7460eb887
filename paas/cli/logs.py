"""``paas logs``: build, release-phase and replica output, optionally followed live."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.domain.logs import MAX_LINES, display


@click.command("logs")
@app_option
@click.option("-t", "--tail", "follow", is_flag=True,
              help="Keep following: new lines (and new replicas) as they come; Ctrl-C ends.")
@click.option("-n", "--num", "lines", type=click.IntRange(1, MAX_LINES), default=100,
              show_default=True, help="How many recent lines to show first.")
@click.option("-p", "--process", "process_type", default=None, metavar="TYPE",
              help="Only this process type (web, worker, ...), or build / release.")
@click.pass_obj
def logs(app: Application, app_name: str, follow: bool, lines: int,
         process_type: str | None) -> None:
    """Show the app's logs, each line as TIME TYPE.REPLICA: MESSAGE."""
    stream = app.client.logs(app_name, lines, process_type, follow)
    try:
        for line in stream:
            app.echo(display(line))
    except KeyboardInterrupt:
        # Ctrl-C is how a follow ends: no traceback, no error.
        return
    finally:
        stream.close()


COMMANDS = [logs]
