"""``paas users``, ``users:add``, ``tokens``, ``tokens:create``, ``tokens:revoke``,
``access``, ``access:add``, ``access:remove``."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.apps import app_option
from paas.cli.gitremote import resolve_app


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


@click.command("tokens")
@click.option("--user", default=None, help="Only this user's tokens (admin for others).")
@click.pass_obj
def tokens(app: Application, user: str | None) -> None:
    """List tokens by id and label; secrets are never shown again."""
    rows = app.client.tokens(user)
    for t in rows:
        state = "revoked" if t["revoked"] else "active"
        app.echo(f"{t['id']}  {t['user']:<12} {state:<8} {t['created_at'][:19]}  {t['label']}")


@click.command("tokens:create")
@click.option("--user", default=None, help="For this user (admin only; default: you).")
@click.option("--label", default=None, help="What the token is for.")
@click.pass_obj
def tokens_create(app: Application, user: str | None, label: str | None) -> None:
    """Create a token and print it once: store it now, it cannot be shown again."""
    t = app.client.create_token(user, label)
    click.echo(f"Token {t['id']} for {t['user']} (shown once):", err=True)
    app.echo(t["token"])


@click.command("tokens:revoke")
@click.argument("token_id", metavar="ID")
@click.pass_obj
def tokens_revoke(app: Application, token_id: str) -> None:
    """Revoke a token by the id `tokens` shows; it stops working at once."""
    t = app.client.revoke_token(token_id)
    app.echo(f"Revoked token {t['id']} of {t['user']}")


@click.command("access")
@app_option
@click.pass_obj
def access(app: Application, app_name: str | None) -> None:
    """Show who has access to the app."""
    name = resolve_app(app_name)
    data = app.client.access(name)
    app.echo(f"=== {name} access")
    app.echo(f"{data['owner']}  (owner)")
    for u in data["users"]:
        app.echo(u)


@click.command("access:add")
@click.argument("user")
@app_option
@click.pass_obj
def access_add(app: Application, user: str, app_name: str | None) -> None:
    """Let USER see, push and configure the app (owner or admin)."""
    name = resolve_app(app_name)
    app.client.grant_access(name, user)
    app.echo(f"{user} now has access to {name}")


@click.command("access:remove")
@click.argument("user")
@app_option
@click.pass_obj
def access_remove(app: Application, user: str, app_name: str | None) -> None:
    """Take away USER's access to the app (owner or admin)."""
    name = resolve_app(app_name)
    app.client.revoke_access(name, user)
    app.echo(f"{user} no longer has access to {name}")


COMMANDS = [users, users_add, tokens, tokens_create, tokens_revoke, access, access_add,
            access_remove]
