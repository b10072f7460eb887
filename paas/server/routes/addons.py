"""Add-ons of an app: list, create, destroy."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from paas.domain.addons import KINDS, Addon
from paas.errors import InvalidInput
from paas.server.context import ApiContext, Route, json_response, read_body
from paas.services.addons import AddonService


def _service(ctx: ApiContext) -> AddonService:
    return ctx.services.addons


def _json(a: Addon) -> dict[str, str]:
    sets = ", ".join(KINDS[a.kind].config("host", "secret")) if a.kind in KINDS else ""
    return {"kind": a.kind, "created_at": a.created_at.isoformat(), "config": sets}


def list_addons(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    return json_response([_json(a) for a in _service(ctx).list(name)])


def create_addon(ctx: ApiContext, request: Request, name: str) -> Response:
    user, _ = ctx.app_for(request, name)
    kind = read_body(request).get("kind")
    if not isinstance(kind, str):
        raise InvalidInput("missing add-on kind, e.g. redis")
    addon = _service(ctx).create(name, kind, user)
    release = ctx.store.current_release(name)
    return json_response({**_json(addon), "release": release.label if release else None}, 201)


def destroy_addon(ctx: ApiContext, request: Request, name: str, kind: str) -> Response:
    """``?backup=1`` captures a final backup first (kept after the add-on is gone)."""
    user, _ = ctx.app_for(request, name)
    final = request.args.get("backup", "0")
    if final not in ("0", "1"):
        raise InvalidInput("backup must be 0 or 1")
    kept = _service(ctx).destroy(
        name, kind, user, final_backup=ctx.services.backups.capture if final == "1" else None)
    return json_response({"removed": kind, "backup": kept.id if kept else None})


ROUTES = [
    Route("/v1/apps/<name>/addons", ("GET",), list_addons),
    Route("/v1/apps/<name>/addons", ("POST",), create_addon),
    Route("/v1/apps/<name>/addons/<kind>", ("DELETE",), destroy_addon),
]
