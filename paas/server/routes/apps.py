"""/v1/health, /v1/whoami and /v1/apps."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from paas import __version__
from paas.domain.names import APP_NAME_MAX
from paas.errors import InvalidInput
from paas.server import fields
from paas.server.context import ApiContext, Route, json_response, read_body
from paas.services.apps import AppView


def app_json(ctx: ApiContext, view: AppView) -> dict[str, Any]:
    a = view.app
    return {
        "name": a.name,
        "owner": a.owner,
        "created_at": a.created_at.isoformat(),
        "release": view.release.label if view.release else None,
        "url": a.url(ctx.settings.domain, ctx.settings.router_port),
        "domains": list(a.domains),
        "formation": dict(a.formation),
        "git_url": f"{ctx.settings.api_url}/git/{a.name}.git",
    }


def health(ctx: ApiContext, request: Request) -> Response:
    return json_response({"ok": True, "version": __version__})


def whoami(ctx: ApiContext, request: Request) -> Response:
    user = ctx.user(request)
    return json_response({"name": user.name, "admin": user.is_admin})


def list_apps(ctx: ApiContext, request: Request) -> Response:
    user = ctx.user(request)
    views = [v for v in ctx.services.apps.list() if ctx.may_access(user, v.app)]
    return json_response([app_json(ctx, v) for v in views])


def create_app(ctx: ApiContext, request: Request) -> Response:
    user = ctx.user(request)
    body = read_body(request)
    fields.only(body, ("name",))
    # Bounded to keep a huge body cheap; the name rules themselves explain a long name.
    name = fields.text(body, "name", required=False, max_length=8 * APP_NAME_MAX)
    if name is None:
        raise InvalidInput("missing app name")
    app = ctx.services.apps.create(name, user)
    return json_response(app_json(ctx, AppView(app, None)), 201)


def get_app(ctx: ApiContext, request: Request, name: str) -> Response:
    _, app = ctx.app_for(request, name)
    return json_response(app_json(ctx, ctx.services.apps.view(app)))


ROUTES = [
    Route("/v1/health", ("GET",), health),
    Route("/v1/whoami", ("GET",), whoami),
    Route("/v1/apps", ("GET",), list_apps),
    Route("/v1/apps", ("POST",), create_app),
    Route("/v1/apps/<name>", ("GET",), get_app),
]
