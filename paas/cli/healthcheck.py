"""``paas healthcheck``, ``healthcheck:set``, ``healthcheck:unset``: the web check, set
from the CLI.

The values are config vars (``PAAS_HEALTHCHECK_PATH``, ``_STATUS``, ``_TIMEOUT``), as
Dokku keeps its checks with the app: setting them is a new release, rolled out with the
new check, and they win over ``[tool.paas.healthcheck]`` or app.json in the source.
"""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.cli.releases import show_release
from paas.domain.health import CONFIG_VARS, PATH_VAR, STATUS_VAR, TIMEOUT_VAR, check_config


@click.command("healthcheck")
@app_option
@click.pass_obj
def healthcheck(app: Application, app_name: str) -> None:
    """Show the health check values set from the CLI."""
    values = app.client.config(app_name)
    set_here = {k: values[k] for k in CONFIG_VARS if k in values}
    app.echo(f"=== {app_name} health check")
    if not set_here:
        app.echo("Not set here: the check declared in the app's source applies "
                 "([tool.paas.healthcheck] or app.json), else GET / answering below 500")
        return
    for key, label in ((PATH_VAR, "Path"), (STATUS_VAR, "Status"), (TIMEOUT_VAR, "Timeout")):
        if key in set_here:
            app.echo(f"{label + ':':<9}{set_here[key]}")


@click.command("healthcheck:set")
@click.option("--path", help="Path the check requests, e.g. /health.")
@click.option("--status", type=int, help="Status it must answer (default: any below 500).")
@click.option("--timeout", type=float, help="Seconds a new replica has to answer.")
@app_option
@click.pass_obj
def healthcheck_set(app: Application, app_name: str, path: str | None, status: int | None,
                    timeout: float | None) -> None:
    """Set the web check: a new release, rolled out with it."""
    values = {k: str(v) for k, v in ((PATH_VAR, path), (STATUS_VAR, status),
                                     (TIMEOUT_VAR, timeout if timeout is None
                                      else f"{timeout:g}")) if v is not None}
    if not values:
        app.abort("nothing to set: give --path, --status or --timeout")
    check_config(values)  # a bad value is refused here, before any release
    show_release(app, app_name, app.client.config_set(app_name, values))


@click.command("healthcheck:unset")
@app_option
@click.pass_obj
def healthcheck_unset(app: Application, app_name: str) -> None:
    """Drop the values set here: the source's check (or the default) applies again."""
    values = app.client.config(app_name)
    keys = [k for k in CONFIG_VARS if k in values]
    if not keys:
        app.echo(f"{app_name} has no health check set here")
        return
    show_release(app, app_name, app.client.config_unset(app_name, keys))


COMMANDS = [healthcheck, healthcheck_set, healthcheck_unset]
