"""``paas addons``, ``addons:create``, ``addons:destroy``."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.apps import app_option
from paas.cli.gitremote import resolve_app


@click.command("addons")
@app_option
@click.pass_obj
def addons(app: Application, app_name: str | None) -> None:
    """List the app's add-ons and the config vars they set."""
    name = resolve_app(app_name)
    rows = app.client.addons(name)
    if not rows:
        app.echo(f"No add-ons for {name}: `paas addons:create redis`")
        return
    for r in rows:
        app.echo(f"{r['kind']:<8} created {r['created_at'][:19]}  sets {r['config']}")


@click.command("addons:create")
@click.argument("kind")
@app_option
@click.pass_obj
def create(app: Application, app_name: str | None, kind: str) -> None:
    """Provision an add-on (redis) and inject its config vars in a new release."""
    name = resolve_app(app_name)
    data = app.client.create_addon(name, kind)
    release = f" in {data['release']}" if data.get("release") else ""
    app.echo(f"Created {kind} for {name}; set {data['config']}{release}")


@click.command("addons:destroy")
@click.argument("kind")
@click.option("--confirm", default=None, help="The app's name, to confirm data loss.")
@app_option
@click.pass_obj
def destroy(app: Application, app_name: str | None, kind: str, confirm: str | None) -> None:
    """Remove an add-on and its data (needs --confirm APP)."""
    name = resolve_app(app_name)
    if confirm != name:
        app.abort(f"this deletes the {kind} data of {name}: repeat with --confirm {name}")
    app.client.destroy_addon(name, kind)
    app.echo(f"Destroyed {kind} of {name}")


COMMANDS = [addons, create, destroy]
