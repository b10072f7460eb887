"""Process formation: ``ps``, ``scale``, ``ps:resize``, ``ps:restart``, the app's limits
(raised by an admin only) and the autoscaling policies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.limits import CEILING, AppLimits, per_app, per_type
from paas.domain.sizes import SIZES, describe
from paas.errors import InvalidInput
from paas.server import fields
from paas.server.context import ApiContext, Route, json_response, read_body
from paas.services.formation import FormationService
from paas.store.codec import policy_to_dict


def _formation(ctx: ApiContext) -> FormationService:
    return ctx.services.formation


def ps(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    view = _formation(ctx).ps(name)
    now = datetime.now(UTC)
    return json_response({
        "release": view.release,
        "formation": view.formation,
        "queues": {t: list(q) for t, q in view.queues.items()},
        "sizes": view.sizes,
        "processes": [
            {
                "type": p.process_type,
                "name": p.name,
                "release": f"v{p.release}",
                "state": p.state,
                "started_at": p.started_at.isoformat() if p.started_at else None,
                "uptime": (now - p.started_at).total_seconds() if p.started_at else None,
            }
            for p in view.processes
        ],
    })


def scale(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    changes = read_body(request).get("changes")
    if not isinstance(changes, list) or not all(isinstance(c, str) for c in changes):
        raise InvalidInput("changes must be a list like [\"web=2\", \"worker+1\"]")
    return json_response({"formation": _formation(ctx).scale(name, changes)})


def resize(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    body = read_body(request)
    fields.only(body, ("sizes",))
    sizes = fields.string_list(body, "sizes")
    if not sizes or len(sizes) > 100:
        raise InvalidInput("sizes must be a list like [\"web=standard-2x\"]")
    return json_response({"sizes": _formation(ctx).resize(name, sizes)})


def _limits_json(ctx: ApiContext, limits: AppLimits) -> dict[str, Any]:
    bounds = ctx.settings.replicas
    return {
        "max_replicas": per_type(bounds, limits),
        "max_total": per_app(bounds, limits),
        "raised": {"max_replicas": limits.max_per_type, "max_total": limits.max_per_app},
        "writable_root": limits.writable_root,
        "sizes": {s.name: describe(s) for s in SIZES.values()},
    }


def _bound(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= CEILING:
        raise InvalidInput(f"{key} must be a whole number from 1 to {CEILING}")
    return value


def limits(ctx: ApiContext, request: Request, name: str) -> Response:
    _, app = ctx.app_for(request, name)
    return json_response(_limits_json(ctx, app.limits))


def set_limits(ctx: ApiContext, request: Request, name: str) -> Response:
    """An admin's grant only: a tenant raising its own bounds would make them none.
    Strangers hear that the app does not exist, as on every app route."""
    ctx.app_for(request, name)
    ctx.admin(request)
    body = read_body(request)
    fields.only(body, ("max_replicas", "max_total", "writable_root"))
    current = _formation(ctx).limits(name)
    new = AppLimits(
        max_per_type=_bound(body, "max_replicas") if "max_replicas" in body
        else current.max_per_type,
        max_per_app=_bound(body, "max_total") if "max_total" in body else current.max_per_app,
        writable_root=fields.flag(body, "writable_root") if "writable_root" in body
        else current.writable_root,
    )
    return json_response(_limits_json(ctx, _formation(ctx).set_limits(name, new)))


def restart(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    ptype = read_body(request).get("type")
    if ptype is not None and not isinstance(ptype, str):
        raise InvalidInput("type must be a process type name")
    return json_response({"restarted": _formation(ctx).restart(name, ptype)})


def _int(body: dict[str, Any], key: str, flag: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"autoscale: {flag} must be a whole number")
    return value


def policy_from_body(process_type: str, body: dict[str, Any]) -> AutoscalePolicy:
    lo, hi = _int(body, "min", "--min"), _int(body, "max", "--max")
    cpu, per = _int(body, "cpu", "--cpu"), _int(body, "per_replica", "--per-replica")
    queue = body.get("queue")
    if queue is not None and not isinstance(queue, str):
        raise InvalidInput("autoscale: --queue must be a queue name")
    if lo is None or hi is None:
        raise InvalidInput("autoscale: give --min and --max")
    if cpu is not None and (queue is not None or per is not None):
        raise InvalidInput("autoscale: give either --cpu or --queue/--per-replica, not both")
    if cpu is None and queue is None and per is None:
        raise InvalidInput("autoscale: give --cpu PERCENT or --queue NAME --per-replica N")
    metric = Metric.CPU if cpu is not None else Metric.QUEUE
    return AutoscalePolicy(process_type, lo, hi, metric, cpu_percent=cpu, queue=queue,
                           per_replica=per)


def autoscale_list(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    policies = ctx.services.autoscale.list(name)
    last, changes = ctx.services.autoscale.decisions(name)
    return json_response({
        "policies": [policy_to_dict(p) for p in policies],
        "decisions": [d.as_dict() for d in last],
        "changes": [d.as_dict() for d in changes],
    })


def autoscale_set(ctx: ApiContext, request: Request, name: str, ptype: str) -> Response:
    ctx.app_for(request, name)
    policy = policy_from_body(ptype, read_body(request))
    ctx.services.autoscale.set(name, policy)
    return json_response(policy_to_dict(policy))


def autoscale_unset(ctx: ApiContext, request: Request, name: str, ptype: str) -> Response:
    ctx.app_for(request, name)
    ctx.services.autoscale.unset(name, ptype)
    return json_response({"removed": ptype})


ROUTES = [
    Route("/v1/apps/<name>/ps", ("GET",), ps),
    Route("/v1/apps/<name>/scale", ("POST",), scale),
    Route("/v1/apps/<name>/ps/restart", ("POST",), restart),
    Route("/v1/apps/<name>/ps/resize", ("POST",), resize),
    Route("/v1/apps/<name>/limits", ("GET",), limits),
    Route("/v1/apps/<name>/limits", ("PUT",), set_limits),
    Route("/v1/apps/<name>/autoscale", ("GET",), autoscale_list),
    Route("/v1/apps/<name>/autoscale/<ptype>", ("PUT",), autoscale_set),
    Route("/v1/apps/<name>/autoscale/<ptype>", ("DELETE",), autoscale_unset),
]
