"""``paas users`` and ``users:add`` (admin only)."""

from __future__ import annotations

import click

from paas.cli.application import Application


@click.command("users")
@click.pass_obj
def users(app: Application) -> None:
    """List users (admin only)."""
    for u in app.client.users():
        app.echo(u["name"] + (" (admin)" if u["admin"] else ""))


@click.command("users:add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@click.pass_obj
def users_add(app: Application, name: str, admin: bool) -> None:
    """Add a user (admin only); give them a token with `tokens:create --user NAME`."""
    u = app.client.add_user(name, admin)
    app.echo(f"Added user {u['name']}" + (" (admin)" if u["admin"] else ""))


COMMANDS = [users, users_add]
