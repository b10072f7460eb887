"""/v1/apps/<name>/config, releases, rollback, domains, and destroying an app.

Changes that make a release answer when the rollout is done, with its progress lines;
a failed rollout answers 422 and the previous release keeps serving.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from paas.domain.config import MAX_KEYS
from paas.domain.names import validate_config_key
from paas.domain.release import Release
from paas.errors import InvalidInput, NotFound
from paas.server import fields
from paas.server.context import ApiContext, Route, json_response, read_body

#: Bytes of a config change: a .env import of about 100 values at their 32 KiB limit.
CONFIG_BODY = 4 << 20


def release_json(r: Release) -> dict[str, Any]:
    return {
        "version": r.version,
        "label": r.label,
        "description": r.description,
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "status": r.status.value,
        "commit": r.build.commit if r.build else None,
        "image": r.build.image if r.build else None,
    }


def _released(r: Release, log: list[str]) -> Response:
    return json_response({"release": release_json(r), "log": log})


# config -------------------------------------------------------------------------------
def get_config(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    return json_response(ctx.services.config.current(name))


def get_config_key(ctx: ApiContext, request: Request, name: str, key: str) -> Response:
    ctx.app_for(request, name)
    validate_config_key(key)
    config = ctx.services.config.current(name)
    if key not in config:
        raise NotFound(f"config var {key} is not set")
    return json_response({"key": key, "value": config[key]})


def patch_config(ctx: ApiContext, request: Request, name: str) -> Response:
    user, _ = ctx.app_for(request, name)
    body = read_body(request)
    fields.only(body, ("set", "unset"))
    to_set = fields.string_map(body, "set", max_items=MAX_KEYS)
    to_unset = fields.string_list(body, "unset", max_items=MAX_KEYS)
    if (to_set is None) == (to_unset is None):
        raise InvalidInput("give exactly one of: set (an object of KEY: value), "
                           "unset (a list of KEYs)")
    log: list[str] = []
    if to_set is not None:
        rel = ctx.services.config.set(name, to_set, user.name, log.append)
    else:
        assert to_unset is not None
        rel = ctx.services.config.unset(name, to_unset, user.name, log.append)
    return _released(rel, log)


# releases -----------------------------------------------------------------------------
def list_releases(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    return json_response([release_json(r) for r in ctx.services.releases.list(name)])


def rollback(ctx: ApiContext, request: Request, name: str) -> Response:
    user, _ = ctx.app_for(request, name)
    body = read_body(request)
    fields.only(body, ("version",))
    log: list[str] = []
    rel = ctx.services.releases.rollback(name, fields.version(body, "version"), user.name,
                                         log.append)
    return _released(rel, log)


# domains ------------------------------------------------------------------------------
def list_domains(ctx: ApiContext, request: Request, name: str) -> Response:
    _, app = ctx.app_for(request, name)
    return json_response({"default": app.hostnames(ctx.settings.domain)[0],
                          "domains": list(app.domains)})


def add_domain(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    body = read_body(request)
    fields.only(body, ("host",))
    host = fields.required_text(body, "host", max_length=253)
    app = ctx.services.domains.add(name, host)
    return json_response({"domains": list(app.domains)}, 201)


def remove_domain(ctx: ApiContext, request: Request, name: str, host: str) -> Response:
    ctx.app_for(request, name)
    app = ctx.services.domains.remove(name, host)
    return json_response({"domains": list(app.domains)})


# destroy ------------------------------------------------------------------------------
def destroy_app(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.owned_app(request, name, "destroy")
    ctx.services.destroy.destroy(name, request.args.get("confirm"))
    return json_response({"destroyed": name})


ROUTES = [
    Route("/v1/apps/<name>/config", ("GET",), get_config),
    # Up to MAX_KEYS values of up to 32 KiB each may be set at once (a .env import of
    # certificates): the one body above the default cap.
    Route("/v1/apps/<name>/config", ("PATCH",), patch_config, max_body=CONFIG_BODY),
    Route("/v1/apps/<name>/config/<key>", ("GET",), get_config_key),
    Route("/v1/apps/<name>/releases", ("GET",), list_releases),
    Route("/v1/apps/<name>/rollback", ("POST",), rollback),
    Route("/v1/apps/<name>/domains", ("GET",), list_domains),
    Route("/v1/apps/<name>/domains", ("POST",), add_domain),
    Route("/v1/apps/<name>/domains/<host>", ("DELETE",), remove_domain),
    Route("/v1/apps/<name>", ("DELETE",), destroy_app),
]
