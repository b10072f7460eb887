"""``paas addons``, ``addons:create``, ``addons:destroy``."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.domain.addons import KINDS


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
@click.option("--backup/--no-backup", "final_backup", default=None,
              help="Capture a final backup first (the default for kinds with backups).")
@app_option
@click.pass_obj
def destroy(app: Application, app_name: str, kind: str, confirm: str | None,
            final_backup: bool | None) -> None:
    """Remove an add-on and its data (needs --confirm APP). A kind with backups
    (postgres) gets a final backup first, kept after the add-on is gone."""
    record = KINDS.get(kind)
    backs_up = record is not None and record.backup is not None
    loses = record.loses if record is not None else "its data"
    if confirm != app_name:
        offer = " (a final backup is taken first; --no-backup skips it)" if backs_up else ""
        app.abort(f"this deletes the {kind} add-on of {app_name} and {loses}{offer}: "
                  f"repeat with --confirm {app_name}")
    take = backs_up if final_backup is None else final_backup
    data = app.client.destroy_addon(app_name, kind, final_backup=take)
    app.echo(f"Destroyed {kind} of {app_name}: {loses} is gone")
    if data.get("backup"):
        app.echo(f"Final backup {data['backup']} kept: "
                 f"`paas pg:backups:download {data['backup']} -a {app_name}`")
    elif backs_up:
        app.echo("No final backup was taken (--no-backup)")


COMMANDS = [addons, create, destroy]
