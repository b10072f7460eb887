"""``paas apps``, ``apps:create``, ``apps:info``, ``apps:destroy``, ``apps:transfer``."""

from __future__ import annotations

import secrets

import click

from paas.cli.application import Application
from paas.cli.gitremote import set_remote
from paas.cli.options import app_option


@click.command("apps")
@click.pass_obj
def apps(app: Application) -> None:
    """List apps with their current release and URL."""
    rows = app.client.apps()
    if not rows:
        app.echo("No apps yet: create one with `paas apps:create NAME`")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        app.echo(f"{r['name']:<{width}}  {r['release'] or '-':<5}  {r['url']}")


@click.command("apps:create")
@click.argument("name", required=False)
@click.option("--no-remote", is_flag=True, help="Do not add a git remote.")
@click.option("--remote", "remote", default="paas", show_default=True,
              help="Name of the git remote to add.")
@click.pass_obj
def create(app: Application, name: str | None, no_remote: bool, remote: str) -> None:
    """Create an app and point this repo's 'paas' git remote at it."""
    created = app.client.create_app(name or f"app-{secrets.token_hex(3)}")
    app.echo(f"Created {created['name']}: {created['url']}")
    if not no_remote and set_remote(created["git_url"], name=remote):
        app.echo(f"Git remote {remote} -> {created['git_url']}")


@click.command("apps:info")
@app_option
@click.pass_obj
def info(app: Application, app_name: str) -> None:
    """Show an app's release, URL, domains and formation."""
    data = app.client.app(app_name)
    app.echo(f"=== {data['name']}")
    app.echo(f"Release:   {data['release'] or 'none yet'}")
    app.echo(f"URL:       {data['url']}")
    app.echo(f"Git URL:   {data['git_url']}")
    app.echo(f"Owner:     {data['owner']}")
    if data["domains"]:
        app.echo("Domains:   " + ", ".join(data["domains"]))


@click.command("apps:destroy")
@click.argument("name")
@click.option("--confirm", metavar="NAME", help="The app's name again, to confirm.")
@click.pass_obj
def destroy(app: Application, name: str, confirm: str | None) -> None:
    """Destroy an app: its containers, routes, images, repo, releases and config."""
    if confirm != name:
        app.abort(f"this destroys {name} and everything it has: "
                  f"run again with --confirm {name}")
    app.client.destroy_app(name, confirm)
    app.echo(f"Destroyed {name}")


@click.command("apps:transfer")
@click.argument("name")
@click.argument("user")
@click.option("--confirm", metavar="NAME", help="The app's name again, to confirm.")
@click.pass_obj
def transfer(app: Application, name: str, user: str, confirm: str | None) -> None:
    """Give an app to another user (owner or admin); you keep no access to it."""
    if confirm != name:
        app.abort(f"this gives {name} and everything it has to {user}: "
                  f"run again with --confirm {name}")
    app.client.transfer_app(name, user, confirm)
    app.echo(f"Transferred {name} to {user}")


COMMANDS = [apps, create, info, destroy, transfer]
