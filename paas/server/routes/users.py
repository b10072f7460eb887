"""/v1/users, /v1/tokens, /v1/apps/<name>/access and /v1/apps/<name>/transfer.

A token's secret leaves the server once, in the answer that creates it; lists show ids
and labels only.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from paas.server import fields
from paas.server.auth import hash_token, new_token
from paas.server.context import ApiContext, Route, json_response, read_body
from paas.services import access
from paas.store.port import TokenInfo, User


def user_json(u: User) -> dict[str, Any]:
    return {"name": u.name, "admin": u.is_admin}


def token_json(t: TokenInfo) -> dict[str, Any]:
    return {"id": t.id, "user": t.user, "label": t.label,
            "created_at": t.created_at.isoformat(), "revoked": t.revoked}


def list_users(ctx: ApiContext, request: Request) -> Response:
    ctx.admin(request)
    return json_response([user_json(u) for u in ctx.store.list_users()])


def add_user(ctx: ApiContext, request: Request) -> Response:
    ctx.admin(request)
    body = read_body(request)
    fields.only(body, ("name", "admin"))
    user = access.add_user(ctx.store, fields.required_text(body, "name", 64),
                           fields.flag(body, "admin"))
    return json_response(user_json(user), 201)


def list_tokens(ctx: ApiContext, request: Request) -> Response:
    caller = ctx.user(request)
    tokens = access.list_tokens(ctx.store, caller, request.args.get("user"))
    return json_response([token_json(t) for t in tokens])


def create_token(ctx: ApiContext, request: Request) -> Response:
    caller = ctx.user(request)
    body = read_body(request)
    fields.only(body, ("user", "label"))
    secret = new_token()
    info = access.create_token(
        ctx.store, caller, fields.text(body, "user", required=False, max_length=64),
        fields.text(body, "label", required=False, max_length=access.MAX_LABEL),
        hash_token(secret),
    )
    return json_response({**token_json(info), "token": secret}, 201)


def revoke_token(ctx: ApiContext, request: Request, token_id: str) -> Response:
    caller = ctx.user(request)
    return json_response(token_json(access.revoke_token(ctx.store, caller, token_id)))


def list_access(ctx: ApiContext, request: Request, name: str) -> Response:
    _, app = ctx.app_for(request, name)
    return json_response({"owner": app.owner, "users": ctx.store.list_access(name)})


def grant_access(ctx: ApiContext, request: Request, name: str) -> Response:
    # Refused before the body is read: a collaborator hears "owner only", not a 400.
    caller, app = ctx.owned_app(request, name, "change who has access to")
    body = read_body(request)
    fields.only(body, ("user",))
    access.grant(ctx.store, caller, app, fields.required_text(body, "user", 64))
    return json_response({"owner": app.owner, "users": ctx.store.list_access(name)}, 201)


def revoke_access(ctx: ApiContext, request: Request, name: str, user: str) -> Response:
    caller, app = ctx.owned_app(request, name, "change who has access to")
    access.revoke(ctx.store, caller, app, user)
    return json_response({"owner": app.owner, "users": ctx.store.list_access(name)})


def transfer_app(ctx: ApiContext, request: Request, name: str) -> Response:
    caller, app = ctx.owned_app(request, name, "transfer")
    body = read_body(request)
    fields.only(body, ("to", "confirm"))
    moved = access.transfer(ctx.store, caller, app, fields.required_text(body, "to", 64),
                            fields.text(body, "confirm", required=False, max_length=64),
                            ctx.settings.replicas)
    return json_response({"owner": moved.owner, "users": ctx.store.list_access(name)})


ROUTES = [
    Route("/v1/users", ("GET",), list_users),
    Route("/v1/users", ("POST",), add_user),
    Route("/v1/tokens", ("GET",), list_tokens),
    Route("/v1/tokens", ("POST",), create_token),
    Route("/v1/tokens/<token_id>", ("DELETE",), revoke_token),
    Route("/v1/apps/<name>/access", ("GET",), list_access),
    Route("/v1/apps/<name>/access", ("POST",), grant_access),
    Route("/v1/apps/<name>/access/<user>", ("DELETE",), revoke_access),
    Route("/v1/apps/<name>/transfer", ("POST",), transfer_app),
]
