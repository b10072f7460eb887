"""``paas releases``, ``rollback`` (alias ``releases:rollback``)."""

from __future__ import annotations

from typing import Any

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.errors import InvalidInput


def show_release(app: Application, name: str, data: dict[str, Any]) -> None:
    """The rollout log, then which release the app is now at."""
    for line in data.get("log", []):
        app.echo(line)
    rel = data["release"]
    app.echo(f"{rel['description']}: {name} is now at {rel['label']}")


@click.command("releases")
@app_option
@click.pass_obj
def releases(app: Application, app_name: str) -> None:
    """List releases, newest first: version, what changed, who, when, status."""
    rows = app.client.releases(app_name)
    if not rows:
        app.echo(f"{app_name} has no releases yet")
        return
    app.echo(f"=== {app_name} releases")
    width = max(len(r["description"]) for r in rows)
    for r in rows:
        when = (r.get("created_at") or "")[:19].replace("T", " ")
        app.echo(f"{r['label']:<5} {r['description']:<{width}}  {r['created_by']:<12} "
                 f"{when}  {r['status']}")


def parse_version(text: str) -> int:
    digits = text[1:] if text[:1] in ("v", "V") else text
    if not digits.isdigit() or int(digits) < 1:
        raise InvalidInput(f"invalid release version {text!r}: use vN or N, like v3")
    return int(digits)


@click.command("rollback")
@click.argument("version", required=False)
@app_option
@click.pass_obj
def rollback(app: Application, version: str | None, app_name: str) -> None:
    """Roll back to vN (default: the release before the current one), as a new release."""
    number = parse_version(version) if version is not None else None
    show_release(app, app_name, app.client.rollback(app_name, number))


@click.command("releases:rollback")
@click.argument("version", required=False)
@app_option
@click.pass_context
def releases_rollback(ctx: click.Context, version: str | None, app_name: str) -> None:
    """Alias of `rollback` (Heroku's name)."""
    ctx.invoke(rollback, version=version, app_name=app_name)


COMMANDS = [releases, rollback, releases_rollback]
