"""``paas domains``, ``domains:add``, ``domains:remove``, ``apps:destroy``, ``apps:transfer``."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.apps import app_option
from paas.cli.gitremote import resolve_app
from paas.errors import InvalidInput


@click.command("domains")
@app_option
@click.pass_obj
def domains(app: Application, app_name: str | None) -> None:
    """List the hosts the app answers for."""
    name = resolve_app(app_name)
    data = app.client.domains(name)
    app.echo(f"=== {name} domains")
    app.echo(f"{data['default']}  (default)")
    for host in data["domains"]:
        app.echo(host)


@click.command("domains:add")
@click.argument("host")
@app_option
@click.pass_obj
def domains_add(app: Application, host: str, app_name: str | None) -> None:
    """Route HOST to the app (point its DNS at the router)."""
    name = resolve_app(app_name)
    app.client.add_domain(name, host)
    app.echo(f"Added {host.lower().rstrip('.')} to {name}")


@click.command("domains:remove")
@click.argument("host")
@app_option
@click.pass_obj
def domains_remove(app: Application, host: str, app_name: str | None) -> None:
    """Stop routing HOST to the app."""
    name = resolve_app(app_name)
    app.client.remove_domain(name, host)
    app.echo(f"Removed {host.lower().rstrip('.')} from {name}")


@click.command("apps:destroy")
@click.argument("name")
@click.option("--confirm", metavar="NAME", help="The app's name again, to confirm.")
@click.pass_obj
def destroy(app: Application, name: str, confirm: str | None) -> None:
    """Destroy an app: its containers, routes, images, repo, releases and config."""
    if confirm != name:
        raise InvalidInput(f"this destroys {name} and everything it has: "
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
        raise InvalidInput(f"this gives {name} and everything it has to {user}: "
                           f"run again with --confirm {name}")
    app.client.transfer_app(name, user, confirm)
    app.echo(f"Transferred {name} to {user}")


COMMANDS = [domains, domains_add, domains_remove, destroy, transfer]
