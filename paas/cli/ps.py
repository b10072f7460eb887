"""``paas ps``, ``scale`` (alias ``ps:scale``), ``ps:restart`` and the autoscale commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from paas.cli.application import Application
from paas.cli.apps import app_option
from paas.cli.gitremote import resolve_app


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
def ps(app: Application, app_name: str | None) -> None:
    """List every replica: type, state, release and uptime."""
    name = resolve_app(app_name)
    data = app.client.ps(name)
    app.echo(f"=== {name} {data['release'] or '(no release)'}: "
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


def _scale(app: Application, app_name: str | None, changes: tuple[str, ...]) -> None:
    name = resolve_app(app_name)
    if not changes:
        app.abort("nothing to scale: give TYPE=N, e.g. web=2")
    data = app.client.scale(name, list(changes))
    app.echo(f"Scaled {name}: {format_formation(data['formation'])}")


@click.command("scale")
@click.argument("changes", nargs=-1)
@app_option
@click.pass_obj
def scale(app: Application, app_name: str | None, changes: tuple[str, ...]) -> None:
    """Set replicas per process type: web=3 worker=2, web+1, web-1."""
    _scale(app, app_name, changes)


@click.command("ps:scale")
@click.argument("changes", nargs=-1)
@app_option
@click.pass_obj
def ps_scale(app: Application, app_name: str | None, changes: tuple[str, ...]) -> None:
    """Alias of `scale`."""
    _scale(app, app_name, changes)


@click.command("ps:restart")
@click.argument("process_type", required=False)
@app_option
@click.pass_obj
def restart(app: Application, app_name: str | None, process_type: str | None) -> None:
    """Replace the replicas of one type (or all): web rolls without dropping requests."""
    name = resolve_app(app_name)
    data = app.client.restart(name, process_type)
    types = data["restarted"]
    app.echo(f"Restarted {', '.join(types)} of {name}" if types else "Nothing runs to restart")


def _policy_line(p: dict[str, Any]) -> str:
    bounds = f"min {p['min']}, max {p['max']}"
    if p["metric"] == "cpu":
        return f"{p['process_type']:<10} {bounds}, cpu {p['cpu']}%"
    return f"{p['process_type']:<10} {bounds}, queue {p['queue']} {p['per_replica']} per replica"


def _decision_line(d: dict[str, Any]) -> str:
    at = datetime.fromtimestamp(float(d["at"])).strftime("%H:%M:%S")
    return f"{at} {d['process_type']:<10} {d['current']} -> {d['desired']}: {d['reason']}"


@click.command("autoscale")
@app_option
@click.pass_obj
def autoscale(app: Application, app_name: str | None) -> None:
    """Autoscaling policies and the latest decisions, with their reasons."""
    name = resolve_app(app_name)
    data = app.client.autoscale(name)
    if not data["policies"]:
        app.echo(f"No autoscaling for {name}: see `paas autoscale:set --help`")
        return
    app.echo(f"=== {name} autoscaling")
    for p in data["policies"]:
        app.echo(_policy_line(p))
    if data["decisions"]:
        app.echo("=== Last decisions")
        for d in data["decisions"]:
            app.echo(_decision_line(d))
    if data["changes"]:
        app.echo("=== Recent changes")
        for d in data["changes"]:
            app.echo(_decision_line(d))


@click.command("autoscale:set")
@click.argument("process_type")
@click.option("--min", "min_replicas", type=int, required=True, help="Fewest replicas.")
@click.option("--max", "max_replicas", type=int, required=True, help="Most replicas.")
@click.option("--cpu", type=int, default=None, help="Target CPU percent per replica.")
@click.option("--queue", default=None, help="Celery queue to watch (e.g. celery).")
@click.option("--per-replica", type=int, default=None, help="Queued tasks per replica.")
@app_option
@click.pass_obj
def autoscale_set(app: Application, app_name: str | None, process_type: str,
                  min_replicas: int, max_replicas: int, cpu: int | None, queue: str | None,
                  per_replica: int | None) -> None:
    """Scale PROCESS_TYPE by CPU (--cpu) or by queue backlog (--queue, --per-replica)."""
    name = resolve_app(app_name)
    policy = {"min": min_replicas, "max": max_replicas, "cpu": cpu, "queue": queue,
              "per_replica": per_replica}
    data = app.client.set_autoscale(name, process_type, policy)
    app.echo(f"Autoscaling {name}: {_policy_line(data)}")


@click.command("autoscale:unset")
@click.argument("process_type")
@app_option
@click.pass_obj
def autoscale_unset(app: Application, app_name: str | None, process_type: str) -> None:
    """Stop autoscaling PROCESS_TYPE; its replicas stay where they are."""
    name = resolve_app(app_name)
    app.client.unset_autoscale(name, process_type)
    app.echo(f"Autoscaling of {process_type} removed from {name}")


COMMANDS = [ps, scale, ps_scale, restart, autoscale, autoscale_set, autoscale_unset]
