"""``paas domains``, ``domains:add``, ``domains:remove``."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option


@click.command("domains")
@app_option
@click.pass_obj
def domains(app: Application, app_name: str) -> None:
    """List the hosts the app answers for."""
    data = app.client.domains(app_name)
    app.echo(f"=== {app_name} domains")
    app.echo(f"{data['default']}  (default)")
    for host in data["domains"]:
        app.echo(host)


@click.command("domains:add")
@click.argument("host")
@app_option
@click.pass_obj
def domains_add(app: Application, host: str, app_name: str) -> None:
    """Route HOST to the app (point its DNS at the router)."""
    app.client.add_domain(app_name, host)
    app.echo(f"Added {host.lower().rstrip('.')} to {app_name}")


@click.command("domains:remove")
@click.argument("host")
@app_option
@click.pass_obj
def domains_remove(app: Application, host: str, app_name: str) -> None:
    """Stop routing HOST to the app."""
    app.client.remove_domain(app_name, host)
    app.echo(f"Removed {host.lower().rstrip('.')} from {app_name}")


COMMANDS = [domains, domains_add, domains_remove]
