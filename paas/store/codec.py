"""Builds and policies as JSON-ready dicts, for the database and the API alike."""

from __future__ import annotations

from typing import Any

from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.health import HealthCheck
from paas.domain.release import Build, StaticMount, WebProtocol


def build_to_dict(b: Build) -> dict[str, Any]:
    return {
        "image": b.image,
        "commit": b.commit,
        "processes": dict(b.processes),
        "release_command": b.release_command,
        "web_protocol": b.web_protocol.value,
        "static": [{"url_prefix": s.url_prefix, "path": s.path} for s in b.static],
        "port": b.port,
        "summary": b.summary,
        "writable_root": b.writable_root,
        "data_dirs": list(b.data_dirs),
        "health": {"path": b.health.path, "status": b.health.status,
                   "timeout": b.health.timeout},
    }


def build_from_dict(d: dict[str, Any]) -> Build:
    return Build(
        image=d["image"],
        commit=d["commit"],
        processes=dict(d["processes"]),
        release_command=d.get("release_command"),
        web_protocol=WebProtocol(d.get("web_protocol", "http")),
        static=tuple(StaticMount(s["url_prefix"], s["path"]) for s in d.get("static", [])),
        port=int(d.get("port", 5000)),
        summary=d.get("summary", ""),
        writable_root=bool(d.get("writable_root", False)),
        data_dirs=tuple(str(p) for p in d.get("data_dirs", ())),
        health=_health(d.get("health")),
    )


def _health(d: dict[str, Any] | None) -> HealthCheck:
    """Builds recorded before checks were configurable have the default one."""
    if not d:
        return HealthCheck()
    timeout = d.get("timeout")
    return HealthCheck(path=d.get("path", "/"), status=d.get("status"),
                       timeout=None if timeout is None else float(timeout))


def policy_to_dict(p: AutoscalePolicy) -> dict[str, Any]:
    return {
        "process_type": p.process_type,
        "min": p.min_replicas,
        "max": p.max_replicas,
        "metric": p.metric.value,
        "cpu": p.cpu_percent,
        "queue": p.queue,
        "per_replica": p.per_replica,
    }


def policy_from_dict(d: dict[str, Any]) -> AutoscalePolicy:
    return AutoscalePolicy(
        process_type=d["process_type"],
        min_replicas=int(d["min"]),
        max_replicas=int(d["max"]),
        metric=Metric(d["metric"]),
        cpu_percent=d.get("cpu"),
        queue=d.get("queue"),
        per_replica=d.get("per_replica"),
    )
