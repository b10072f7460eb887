"""``paas login`` and ``paas whoami``."""

from __future__ import annotations

import click

from paas import credentials
from paas.cli.application import Application


@click.command("login")
@click.argument("url")
@click.option("--token", prompt=True, hide_input=True, help="An API token of the platform.")
@click.pass_obj
def login(app: Application, url: str, token: str) -> None:
    """Store the server URL and token; git pushes then authenticate by themselves.

    The token goes into ~/.netrc for the server's host too, replacing an older entry.
    """
    creds = credentials.Credentials(url.rstrip("/"), token.strip())
    me = app.connect(creds).whoami()
    credentials.save(creds)
    app.echo(f"Logged in to {creds.url} as {me['name']}")


@click.command("whoami")
@click.pass_obj
def whoami(app: Application) -> None:
    """Show the user of the stored token."""
    me = app.client.whoami()
    app.echo(me["name"] + (" (admin)" if me.get("admin") else ""))


COMMANDS = [login, whoami]
