"""``paas config``, ``config:get``, ``config:set``, ``config:unset``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from paas.cli.application import Application
from paas.cli.apps import app_option
from paas.cli.gitremote import resolve_app
from paas.errors import InvalidInput


def parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` words; the value is everything after the first '=' (it may hold '=')."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise InvalidInput(f"expected KEY=VALUE, got {pair.split('=', 1)[0]!r}")
        out[key] = value
    return out


def read_files(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=PATH`` for --from-file: multi-line values (keys, certificates) verbatim."""
    out: dict[str, str] = {}
    for key, path in parse_assignments(pairs).items():
        try:
            out[key] = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidInput(f"cannot read {path} for {key}: {e}") from e
    return out


def shown(value: str) -> str:
    """One line per var: values with newlines or control characters are JSON-quoted."""
    return value if value.isprintable() else json.dumps(value, ensure_ascii=False)


def _released(app: Application, name: str, data: dict[str, Any]) -> None:
    for line in data.get("log", []):
        app.echo(line)
    rel = data["release"]
    app.echo(f"{rel['description']}: {name} is now at {rel['label']}")


@click.command("config")
@app_option
@click.option("--json", "as_json", is_flag=True, help="Print the config as a JSON object.")
@click.pass_obj
def config(app: Application, app_name: str | None, as_json: bool) -> None:
    """Show the app's config vars."""
    name = resolve_app(app_name)
    values = app.client.config(name)
    if as_json:
        app.echo(json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False))
        return
    if not values:
        app.echo(f"{name} has no config vars")
        return
    app.echo(f"=== {name} config vars")
    width = max(len(k) for k in values)
    for key in sorted(values):
        app.echo(f"{key + ':':<{width + 1}} {shown(values[key])}")


@click.command("config:get")
@click.argument("key")
@app_option
@click.pass_obj
def config_get(app: Application, key: str, app_name: str | None) -> None:
    """Print one config var's value exactly as set."""
    app.echo(app.client.config_get(resolve_app(app_name), key))


@click.command("config:set")
@click.argument("pairs", nargs=-1, metavar="KEY=VALUE...")
@click.option("--from-file", "files", multiple=True, metavar="KEY=PATH",
              help="Set KEY to the contents of the file at PATH (repeatable).")
@app_option
@click.pass_obj
def config_set(app: Application, pairs: tuple[str, ...], files: tuple[str, ...],
               app_name: str | None) -> None:
    """Set config vars: a new release and a rolling restart of every process type."""
    values = {**parse_assignments(pairs), **read_files(files)}
    if not values:
        raise InvalidInput("nothing to set: give KEY=VALUE pairs")
    name = resolve_app(app_name)
    _released(app, name, app.client.config_set(name, values))


@click.command("config:unset")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@app_option
@click.pass_obj
def config_unset(app: Application, keys: tuple[str, ...], app_name: str | None) -> None:
    """Remove config vars: a new release and a rolling restart."""
    name = resolve_app(app_name)
    _released(app, name, app.client.config_unset(name, list(keys)))


@click.command("releases")
@app_option
@click.pass_obj
def releases(app: Application, app_name: str | None) -> None:
    """List releases, newest first: version, what changed, who, when, status."""
    name = resolve_app(app_name)
    rows = app.client.releases(name)
    if not rows:
        app.echo(f"{name} has no releases yet")
        return
    app.echo(f"=== {name} releases")
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
def rollback(app: Application, version: str | None, app_name: str | None) -> None:
    """Roll back to vN (default: the release before the current one), as a new release."""
    number = parse_version(version) if version is not None else None
    name = resolve_app(app_name)
    _released(app, name, app.client.rollback(name, number))


@click.command("releases:rollback")
@click.argument("version", required=False)
@app_option
@click.pass_context
def releases_rollback(ctx: click.Context, version: str | None, app_name: str | None) -> None:
    """Alias of `rollback` (Heroku's name)."""
    ctx.invoke(rollback, version=version, app_name=app_name)


COMMANDS = [config, config_get, config_set, config_unset, releases, rollback, releases_rollback]
