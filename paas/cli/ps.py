"""``paas ps``, ``scale`` (alias ``ps:scale``), ``ps:resize``, ``ps:restart``, and
``apps:limits``: the app's processes, their sizes and their bounds."""

from __future__ import annotations

import click

from paas.cli.application import Application
from paas.cli.options import app_option
from paas.domain.limits import CEILING


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
    """List every replica: type, state, release, uptime and size."""
    data = app.client.ps(app_name)
    sizes: dict[str, str] = data.get("sizes", {})
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
                 f"up {format_uptime(r['uptime']):<7} {sizes.get(r['type'], '')}".rstrip())
        if r.get("exit_code") is not None:
            app.echo(f"{'':<10} {crash_line(r['exit_code'], r.get('last_log'))}")


def crash_line(exit_code: int, last_log: str | None) -> str:
    """Why a replica is not running: the engine only says ``restarting``."""
    return f"exited with code {exit_code}" + (f": {last_log}" if last_log else "")


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


@click.command("ps:resize")
@click.argument("sizes", nargs=-1)
@app_option
@click.pass_obj
def resize(app: Application, app_name: str, sizes: tuple[str, ...]) -> None:
    """Set the size of process types: web=standard-2x worker=basic (a rolling restart).

    Sizes: basic, standard-1x (default), standard-2x, performance-m, performance-l;
    `paas apps:limits` shows what each gives.
    """
    if not sizes:
        app.abort("nothing to resize: give TYPE=SIZE, e.g. web=standard-2x")
    data = app.client.resize(app_name, list(sizes))
    app.echo(f"Resized {app_name}: "
             + " ".join(f"{t}={n}" for t, n in sorted(data["sizes"].items())))


@click.command("apps:limits")
@click.option("--max-replicas", type=click.IntRange(1, CEILING), default=None,
              help="Replicas a process type of the app may run (admin only).")
@click.option("--max-total", type=click.IntRange(1, CEILING), default=None,
              help="Replicas of every type of the app together (admin only).")
@click.option("--writable-root/--read-only-root", default=None,
              help="Let the app's replicas write their root filesystem, host disk without "
                   "a bound (admin only; read-only with a /tmp tmpfs by default). Applies "
                   "at the next deploy or `paas ps:restart`.")
@app_option
@click.pass_obj
def limits(app: Application, app_name: str, max_replicas: int | None, max_total: int | None,
           writable_root: bool | None) -> None:
    """Show the app's bounds and the sizes on offer; an admin raises them with options."""
    changes = {k: v for k, v in (("max_replicas", max_replicas), ("max_total", max_total),
                                 ("writable_root", writable_root)) if v is not None}
    data = (app.client.set_limits(app_name, changes) if changes
            else app.client.limits(app_name))
    app.echo(f"=== {app_name} limits")
    app.echo(f"Replicas per process type: {data['max_replicas']}")
    app.echo(f"Replicas in all:           {data['max_total']}")
    app.echo("Root filesystem:           "
             + ("writable" if data["writable_root"] else "read-only (/tmp is writable)"))
    for name, what in data["sizes"].items():
        app.echo(f"  {name:<14} {what}")


@click.command("ps:restart")
@click.argument("process_type", required=False)
@app_option
@click.pass_obj
def restart(app: Application, app_name: str, process_type: str | None) -> None:
    """Replace the replicas of one type (or all): web rolls without dropping requests."""
    data = app.client.restart(app_name, process_type)
    types = data["restarted"]
    app.echo(f"Restarted {', '.join(types)} of {app_name}" if types else "Nothing runs to restart")


COMMANDS = [ps, scale, ps_scale, resize, restart, limits]
