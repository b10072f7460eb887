"""``paas certs``, ``certs:add``, ``certs:remove``, ``certs:auto:*``, ``certs:redirect``,
``certs:hsts``: HTTPS for an app's custom domains (Heroku's verbs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from paas.cli.application import Application
from paas.cli.options import app_option

#: More than a certificate chain or a key ever needs; refused before reading further.
MAX_FILE = 64 * 1024


def _read(path: Path, what: str) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as e:
        raise click.UsageError(f"cannot read {what} {path}: {e.strerror}") from e
    if len(data) > MAX_FILE:
        raise click.UsageError(f"{what} {path} is larger than {MAX_FILE // 1024} KiB")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as e:
        raise click.UsageError(f"{what} {path} is not a PEM file") from e


def _show(app: Application, data: dict[str, Any]) -> None:
    app.echo(f"=== {data['app']} certificates")
    cert = data.get("certificate")
    if cert is None:
        app.echo("No certificate")
    else:
        app.echo(f"Hosts:    {', '.join(cert['hosts'])}")
        app.echo(f"Issuer:   {cert['issuer']}")
        app.echo(f"Expires:  {cert['not_after']} ({cert['days_left']} days left)")
        app.echo(f"Source:   {cert['source']}")
    app.echo(f"Auto:     {'on (ACME, renews 30 days before expiry)' if data['auto'] else 'off'}")
    app.echo(f"Redirect: {'HTTP -> HTTPS (308)' if data['redirect'] else 'off'}")
    app.echo(f"HSTS:     {'on' if data['hsts'] else 'off'}")
    if data.get("https_port") is None:
        app.echo("HTTPS:    off (start the server with --router-https-port)")
    if data.get("last_error"):
        app.echo(f"Last ACME error ({data.get('last_attempt_at')}): {data['last_error']}")


@click.command("certs")
@app_option
@click.pass_obj
def certs(app: Application, app_name: str) -> None:
    """Show the app's certificate: hosts, issuer, expiry, days left, auto or uploaded."""
    _show(app, app.client.certs(app_name))


@click.command("certs:add")
@click.argument("cert_file", metavar="CERT.pem", type=click.Path(path_type=Path))
@click.argument("key_file", metavar="KEY.pem", type=click.Path(path_type=Path))
@app_option
@click.pass_obj
def certs_add(app: Application, cert_file: Path, key_file: Path, app_name: str) -> None:
    """Serve the app's custom domains over HTTPS with CERT.pem (leaf first, then its
    chain) and KEY.pem; the key is never shown again."""
    data = app.client.add_cert(app_name, _read(cert_file, "certificate"),
                               _read(key_file, "key"))
    app.echo(f"Added certificate for {', '.join(data['certificate']['hosts'])} "
             f"to {app_name}")


@click.command("certs:remove")
@app_option
@click.pass_obj
def certs_remove(app: Application, app_name: str) -> None:
    """Remove the certificate (and stop automatic ones); plain HTTP again."""
    app.client.remove_cert(app_name)
    app.echo(f"Removed the certificate of {app_name}")


@click.command("certs:auto:enable")
@app_option
@click.pass_obj
def certs_auto_enable(app: Application, app_name: str) -> None:
    """Get a certificate from the ACME CA (Let's Encrypt) for the custom domains, now,
    and renew it automatically. Point the domains' DNS at this host first."""
    data = app.client.update_certs(app_name, auto=True)
    if data.get("last_error"):
        app.abort(f"no certificate yet: {data['last_error']} (the server retries; "
                  "see `paas certs`)")
    cert = data["certificate"]
    app.echo(f"Certificate issued for {', '.join(cert['hosts'])} by {cert['issuer']}, "
             f"expires {cert['not_after']}; it renews automatically")


@click.command("certs:auto:disable")
@app_option
@click.pass_obj
def certs_auto_disable(app: Application, app_name: str) -> None:
    """Stop renewing; the current certificate serves until it expires or is removed."""
    app.client.update_certs(app_name, auto=False)
    app.echo(f"Automatic certificates disabled for {app_name}")


def _switch(name: str, field: str, what: str) -> click.Command:
    @click.command(name)
    @click.argument("state", type=click.Choice(["on", "off"]))
    @app_option
    @click.pass_obj
    def command(app: Application, state: str, app_name: str) -> None:
        app.client.update_certs(app_name, **{field: state == "on"})
        app.echo(f"{what} {state} for {app_name}")

    command.help = f"Turn {what} on or off."
    return command


certs_redirect = _switch("certs:redirect", "redirect",
                         "the 308 redirect from HTTP to HTTPS")
certs_hsts = _switch("certs:hsts", "hsts", "Strict-Transport-Security (HSTS)")

COMMANDS = [certs, certs_add, certs_remove, certs_auto_enable, certs_auto_disable,
            certs_redirect, certs_hsts]
