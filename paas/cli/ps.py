"""``paas ps``, ``scale`` (alias ``ps:scale``), ``ps:restart``: the app's processes."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option


def format_uptime(seconds: float | None) -> str:
    """``3s``, ``4m12s``, ``2h05m``, ``3d04h``: enough to tell a fresh replica from an old one."""
    if seconds is None:
        return "-"
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def format_formation(formation: dict[str, int]) -> str:
    return " ".join(f"{t}={n}" for t, n in sorted(formation.items())) or "(no process types)"


@click.command("ps")
@app_option
@click.pass_obj
def ps(app: Application, app_name: str) -> None:
    """List every replica: type, state, release and uptime."""
    data = app.client.ps(app_name)
    app.echo(f"=== {app_name} {data['release'] or '(no release)'}: "
             f"{format_formation(data['formation'])}")
    for ptype, queues in sorted(data["queues"].items()):
        app.echo(f"{ptype} consumes celery queues: {', '.join(queues)}")
    rows = data["processes"]
    if not rows:
        app.echo("No processes running")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        app.echo(f"{r['type']:<10} {r['name']:<{width}}  {r['state']:<10} {r['release']:<5} "
                 f"up {format_uptime(r['uptime'])}")


def _scale(app: Application, app_name: str, changes: tuple[str, ...]) -> None:
    if not changes:
        app.abort("nothing to scale: give TYPE=N, e.g. web=2")
    data = app.client.scale(app_name, list(changes))
    app.echo(f"Scaled {app_name}: {format_formation(data['formation'])}")


@click.command("scale")
@click.argument("changes", nargs=-1)
@app_option
@click.pass_obj
def scale(app: Application, app_name: str, changes: tuple[str, ...]) -> None:
    """Set replicas per process type: web=3 worker=2, web+1, web-1."""
    _scale(app, app_name, changes)


@click.command("ps:scale")
@click.argument("changes", nargs=-1)
@app_option
@click.pass_obj
def ps_scale(app: Application, app_name: str, changes: tuple[str, ...]) -> None:
    """Alias of `scale`."""
    _scale(app, app_name, changes)


@click.command("ps:restart")
@click.argument("process_type", required=False)
@app_option
@click.pass_obj
def restart(app: Application, app_name: str, process_type: str | None) -> None:
    """Replace the replicas of one type (or all): web rolls without dropping requests."""
    data = app.client.restart(app_name, process_type)
    types = data["restarted"]
    app.echo(f"Restarted {', '.join(types)} of {app_name}" if types else "Nothing runs to restart")


COMMANDS = [ps, scale, ps_scale, restart]
