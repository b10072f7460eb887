"""``paas tokens``, ``tokens:create``, ``tokens:revoke``."""

from __future__ import annotations

import click

from paas.cli.application import Application


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
    app.echo(f"Token {t['id']} for {t['user']} (shown once):", err=True)
    app.echo(t["token"])


@click.command("tokens:revoke")
@click.argument("token_id", metavar="ID")
@click.pass_obj
def tokens_revoke(app: Application, token_id: str) -> None:
    """Revoke a token by the id `tokens` shows; it stops working at once."""
    t = app.client.revoke_token(token_id)
    app.echo(f"Revoked token {t['id']} of {t['user']}")


COMMANDS = [tokens, tokens_create, tokens_revoke]
