"""Data of an app's add-on: backups (capture, list, download, restore, schedule), the
add-on's own report and its console. Routes name the kind only as a path segment."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from paas import wire
from paas.domain.backups import DEFAULT_KEEP, Backup, Schedule
from paas.errors import InvalidInput
from paas.server.context import ApiContext, Route, json_response, read_body
from paas.server.routes.run import UpgradedRun


def backup_json(b: Backup) -> dict[str, Any]:
    return {"id": b.id, "kind": b.kind, "created_at": b.created_at.isoformat(),
            "size": b.size, "duration": b.duration, "state": b.state,
            "origin": "scheduled" if b.scheduled else "manual"}


def schedule_json(s: Schedule | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"kind": s.kind, "at": s.at_text, "keep": s.keep}


def list_backups(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    return json_response({"backups": [backup_json(b) for b in ctx.services.backups.backups(name)],
                          "schedule": schedule_json(ctx.services.backups.schedule(name))})


def capture(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    ctx.app_for(request, name)
    return json_response(backup_json(ctx.services.backups.capture(name, kind)), 201)


def download(ctx: ApiContext, request: Request, name: str, backup_id: str) -> Response:
    ctx.app_for(request, name)
    backup, f = ctx.services.backups.open(name, backup_id)
    resp = Response(wrap_file(request.environ, f, buffer_size=1024 * 1024),
                    mimetype="application/octet-stream", direct_passthrough=True)
    resp.headers["Content-Length"] = str(backup.size)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}-{backup.id}.dump"'
    return resp


def restore(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    ctx.app_for(request, name)
    body = read_body(request)
    if body.get("confirm") != name:
        raise InvalidInput(f"a restore replaces the {kind} data of {name}: "
                           f"confirm with the app's name ({name})")
    backup_id = body.get("backup")
    if backup_id is not None and not isinstance(backup_id, str):
        raise InvalidInput("backup must be a backup id such as b001")
    restored = ctx.services.backups.restore(name, kind, backup_id)
    return json_response({"restored": backup_json(restored)})


def set_schedule(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    ctx.app_for(request, name)
    body = read_body(request)
    at = body.get("at")
    if not isinstance(at, str):
        raise InvalidInput("missing the time of day: at=HH:MM (UTC)")
    schedule = ctx.services.backups.set_schedule(name, kind, at, body.get("keep", DEFAULT_KEEP))
    return json_response(schedule_json(schedule))


def unset_schedule(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    ctx.app_for(request, name)
    ctx.services.addons.get(name, kind)
    ctx.services.backups.unset_schedule(name, kind)
    return json_response({"removed": "schedule"})


def info(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    ctx.app_for(request, name)
    report = ctx.services.addons.info(name, kind)
    latest = ctx.services.backups.latest(name, kind)
    return json_response({"kind": kind, "info": report,
                          "latest_backup": backup_json(latest) if latest else None,
                          "schedule": schedule_json(ctx.services.backups.schedule(name))})


def console(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    user, app = ctx.app_for(request, name)
    if request.headers.get("Upgrade", "").strip().lower() != wire.UPGRADE:
        raise InvalidInput(f"the console needs 'Upgrade: {wire.UPGRADE}'; use the paas CLI")
    started = ctx.services.addons.console(name, kind, read_body(request))
    return UpgradedRun(started, app.name, user.name)


ROUTES = [
    Route("/v1/apps/<name>/backups", ("GET",), list_backups),
    Route("/v1/apps/<name>/backups/<backup_id>", ("GET",), download),
    Route("/v1/apps/<name>/addons/<kind>/backups", ("POST",), capture),
    Route("/v1/apps/<name>/addons/<kind>/restore", ("POST",), restore),
    Route("/v1/apps/<name>/addons/<kind>/schedule", ("PUT",), set_schedule),
    Route("/v1/apps/<name>/addons/<kind>/schedule", ("DELETE",), unset_schedule),
    Route("/v1/apps/<name>/addons/<kind>/info", ("GET",), info),
    Route("/v1/apps/<name>/addons/<kind>/console", ("POST",), console),
]
