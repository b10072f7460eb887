"""``paas config``, ``config:get``, ``config:set``, ``config:unset``: the app's env vars."""

from __future__ import annotations

import json
from pathlib import Path

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.cli.releases import show_release
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


@click.command("config")
@app_option
@click.option("--json", "as_json", is_flag=True, help="Print the config as a JSON object.")
@click.pass_obj
def config(app: Application, app_name: str, as_json: bool) -> None:
    """Show the app's config vars."""
    values = app.client.config(app_name)
    if as_json:
        app.echo(json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False))
        return
    if not values:
        app.echo(f"{app_name} has no config vars")
        return
    app.echo(f"=== {app_name} config vars")
    width = max(len(k) for k in values)
    for key in sorted(values):
        app.echo(f"{key + ':':<{width + 1}} {shown(values[key])}")


@click.command("config:get")
@click.argument("key")
@app_option
@click.pass_obj
def config_get(app: Application, key: str, app_name: str) -> None:
    """Print one config var's value exactly as set."""
    app.echo(app.client.config_get(app_name, key))


@click.command("config:set")
@click.argument("pairs", nargs=-1, metavar="KEY=VALUE...")
@click.option("--from-file", "files", multiple=True, metavar="KEY=PATH",
              help="Set KEY to the contents of the file at PATH (repeatable).")
@app_option
@click.pass_obj
def config_set(app: Application, pairs: tuple[str, ...], files: tuple[str, ...],
               app_name: str) -> None:
    """Set config vars: a new release and a rolling restart of every process type."""
    values = {**parse_assignments(pairs), **read_files(files)}
    if not values:
        app.abort("nothing to set: give KEY=VALUE pairs")
    show_release(app, app_name, app.client.config_set(app_name, values))


@click.command("config:unset")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@app_option
@click.pass_obj
def config_unset(app: Application, keys: tuple[str, ...], app_name: str) -> None:
    """Remove config vars: a new release and a rolling restart."""
    show_release(app, app_name, app.client.config_unset(app_name, list(keys)))


COMMANDS = [config, config_get, config_set, config_unset]
