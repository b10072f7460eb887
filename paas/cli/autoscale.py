"""``paas autoscale``, ``autoscale:set``, ``autoscale:unset``: replicas that follow load."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from paas.cli.application import Application
from paas.cli.options import app_option


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
def autoscale(app: Application, app_name: str) -> None:
    """Autoscaling policies and the latest decisions, with their reasons."""
    data = app.client.autoscale(app_name)
    if not data["policies"]:
        app.echo(f"No autoscaling for {app_name}: see `paas autoscale:set --help`")
        return
    app.echo(f"=== {app_name} autoscaling")
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
def autoscale_set(app: Application, app_name: str, process_type: str,
                  min_replicas: int, max_replicas: int, cpu: int | None, queue: str | None,
                  per_replica: int | None) -> None:
    """Scale PROCESS_TYPE by CPU (--cpu) or by queue backlog (--queue, --per-replica)."""
    policy = {"min": min_replicas, "max": max_replicas, "cpu": cpu, "queue": queue,
              "per_replica": per_replica}
    data = app.client.set_autoscale(app_name, process_type, policy)
    app.echo(f"Autoscaling {app_name}: {_policy_line(data)}")


@click.command("autoscale:unset")
@click.argument("process_type")
@app_option
@click.pass_obj
def autoscale_unset(app: Application, app_name: str, process_type: str) -> None:
    """Stop autoscaling PROCESS_TYPE; its replicas stay where they are."""
    app.client.unset_autoscale(app_name, process_type)
    app.echo(f"Autoscaling of {process_type} removed from {app_name}")


COMMANDS = [autoscale, autoscale_set, autoscale_unset]
