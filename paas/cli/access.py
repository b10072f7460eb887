"""``paas access``, ``access:add``, ``access:remove``: who may use an app."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option


@click.command("access")
@app_option
@click.pass_obj
def access(app: Application, app_name: str) -> None:
    """Show who has access to the app."""
    data = app.client.access(app_name)
    app.echo(f"=== {app_name} access")
    app.echo(f"{data['owner']}  (owner)")
    for u in data["users"]:
        app.echo(u)


@click.command("access:add")
@click.argument("user")
@app_option
@click.pass_obj
def access_add(app: Application, user: str, app_name: str) -> None:
    """Let USER see, push and configure the app (owner or admin)."""
    app.client.grant_access(app_name, user)
    app.echo(f"{user} now has access to {app_name}")


@click.command("access:remove")
@click.argument("user")
@app_option
@click.pass_obj
def access_remove(app: Application, user: str, app_name: str) -> None:
    """Take away USER's access to the app (owner or admin)."""
    app.client.revoke_access(app_name, user)
    app.echo(f"{user} no longer has access to {app_name}")


COMMANDS = [access, access_add, access_remove]
