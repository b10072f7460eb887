"""``paas addons``, ``addons:create``, ``addons:destroy``."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option


@click.command("addons")
@app_option
@click.pass_obj
def addons(app: Application, app_name: str) -> None:
    """List the app's add-ons and the config vars they set."""
    rows = app.client.addons(app_name)
    if not rows:
        app.echo(f"No add-ons for {app_name}: `paas addons:create redis`")
        return
    for r in rows:
        app.echo(f"{r['kind']:<8} created {r['created_at'][:19]}  sets {r['config']}")


@click.command("addons:create")
@click.argument("kind")
@app_option
@click.pass_obj
def create(app: Application, app_name: str, kind: str) -> None:
    """Provision an add-on (redis) and inject its config vars in a new release."""
    data = app.client.create_addon(app_name, kind)
    release = f" in {data['release']}" if data.get("release") else ""
    app.echo(f"Created {kind} for {app_name}; set {data['config']}{release}")


@click.command("addons:destroy")
@click.argument("kind")
@click.option("--confirm", default=None, help="The app's name, to confirm data loss.")
@app_option
@click.pass_obj
def destroy(app: Application, app_name: str, kind: str, confirm: str | None) -> None:
    """Remove an add-on and its data (needs --confirm APP)."""
    if confirm != app_name:
        app.abort(f"this deletes the {kind} data of {app_name}: repeat with --confirm {app_name}")
    app.client.destroy_addon(app_name, kind)
    app.echo(f"Destroyed {kind} of {app_name}")


COMMANDS = [addons, create, destroy]
