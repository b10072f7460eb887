"""``paas pg:*``: Heroku's verbs for the PostgreSQL add-on: its report, psql, backups.

Thin: each verb is one API call on the add-on kind ``postgres``; the server holds no
kind-specific code, so another kind's verbs would be the same calls with another name.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.cli.run import session
from paas.domain.backups import DEFAULT_KEEP, MAX_KEEP, validate_id

KIND = "postgres"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def size_text(size: object) -> str:
    """A size, or ``?`` where the runtime keeps the file and did not say."""
    return human_size(int(size)) if isinstance(size, int) else "?"


def describe(b: dict[str, Any]) -> str:
    state = b.get("state", "completed")
    return (f"{b['id']}  {b['created_at'][:19].replace('T', ' ')} UTC  "
            f"{size_text(b['size']):>9}  {float(b['duration']):6.1f}s  {b['origin']}"
            + ("" if state == "completed" else f"  {state}"))


@click.command("pg:info")
@app_option
@click.pass_obj
def info(app: Application, app_name: str) -> None:
    """Version, size and connections of the app's database, and its latest backup."""
    data = app.client.addon_info(app_name, KIND)
    app.echo(f"=== {app_name} {KIND}")
    for key, value in data["info"].items():
        app.echo(f"{key + ':':<15}{value}")
    latest = data.get("latest_backup")
    app.echo(f"{'Latest backup:':<15}" + (describe(latest) if latest else "none"))
    schedule = data.get("schedule")
    if schedule:
        app.echo(f"{'Schedule:':<15}daily at {schedule['at']} UTC, keeping {schedule['keep']}")


@click.command("pg:psql")
@app_option
@click.option("-c", "--command", "sql", default=None, metavar="SQL",
              help="Run one command and exit, instead of an interactive session.")
@click.option("--no-tty", is_flag=True, help="No terminal, even here.")
@click.pass_obj
def psql(app: Application, app_name: str, sql: str | None, no_tty: bool) -> None:
    """psql connected to the app's database (inside the add-on; no password to type)."""
    with_tty = not no_tty and sql is None and sys.stdin.isatty() and sys.stdout.isatty()
    size = shutil.get_terminal_size()
    conn = app.client.open_console(app_name, KIND, sql, with_tty, size.lines, size.columns)
    app.exit(session(conn, with_tty))


@click.command("pg:backups")
@app_option
@click.pass_obj
def backups(app: Application, app_name: str) -> None:
    """List the app's backups: id, time, size, duration, manual or scheduled, and the
    state of any that is not completed (running, failed)."""
    data = app.client.backups(app_name)
    rows = [b for b in data["backups"] if b["kind"] == KIND]
    if not rows:
        app.echo(f"No backups of {app_name}: `paas pg:backups:capture`")
    for b in rows:
        app.echo(describe(b))
    schedule = data.get("schedule")
    if schedule and schedule["kind"] == KIND:
        app.echo(f"Daily at {schedule['at']} UTC, keeping the last {schedule['keep']}")


@click.command("pg:backups:capture")
@app_option
@click.pass_obj
def capture(app: Application, app_name: str) -> None:
    """Back up the database now (pg_dump custom format); the app keeps serving."""
    b = app.client.capture_backup(app_name, KIND)
    app.echo(f"Captured {b['id']} of {app_name}: {size_text(b['size'])} in "
             f"{float(b['duration']):.1f}s")


@click.command("pg:backups:restore")
@click.argument("backup_id", required=False, metavar="[ID]")
@click.option("--confirm", default=None, help="The app's name, to confirm the overwrite.")
@app_option
@click.pass_obj
def restore(app: Application, app_name: str, backup_id: str | None, confirm: str | None
            ) -> None:
    """Replace the database with a backup (the latest by default). Atomic: it either
    completes or leaves the data as it was."""
    if confirm != app_name:
        app.abort(f"this replaces the {KIND} data of {app_name} with "
                  f"{backup_id or 'the latest backup'}: repeat with --confirm {app_name}")
    data = app.client.restore_backup(app_name, KIND, backup_id, confirm)
    app.echo(f"Restored {data['restored']['id']} into {app_name}")


@click.command("pg:backups:download")
@click.argument("backup_id", metavar="ID")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Where to write it ('-' for stdout); default APP-ID.dump here.")
@app_option
@click.pass_obj
def download(app: Application, app_name: str, backup_id: str, output: str | None) -> None:
    """Download a backup (restore it anywhere with pg_restore)."""
    validate_id(backup_id)  # it names the default file: checked before anything
    if output == "-":
        app.client.download_backup(app_name, backup_id, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    path = Path(output or f"{app_name}-{backup_id}.dump")
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("xb") as f:
            partial.chmod(0o600)
            size = app.client.download_backup(app_name, backup_id, f)
        partial.replace(path)
    except FileExistsError:
        app.abort(f"{partial} exists: remove it or choose another --output")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    app.echo(f"Downloaded {backup_id} of {app_name} to {path} ({human_size(size)})")


@click.command("pg:backups:schedule")
@click.option("--at", "at", required=True, metavar="HH:MM", help="Time of day, UTC.")
@click.option("--keep", type=click.IntRange(1, MAX_KEEP), default=DEFAULT_KEEP,
              show_default=True, help="Scheduled backups kept (older ones are deleted).")
@app_option
@click.pass_obj
def schedule(app: Application, app_name: str, at: str, keep: int) -> None:
    """Back up the database every day at HH:MM (UTC), keeping the last N."""
    s = app.client.schedule_backups(app_name, KIND, at, keep)
    app.echo(f"Backups of {app_name} daily at {s['at']} UTC, keeping the last {s['keep']}")


@click.command("pg:backups:unschedule")
@app_option
@click.pass_obj
def unschedule(app: Application, app_name: str) -> None:
    """Stop the daily backups (existing backups stay)."""
    app.client.unschedule_backups(app_name, KIND)
    app.echo(f"No more scheduled backups of {app_name}")


COMMANDS = [info, psql, backups, capture, restore, download, schedule, unschedule]
