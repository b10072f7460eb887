"""Who may call what, for every route of the API table (paas.server.routes.all_routes).

The cases are generated from the table, so a new route is covered the day it is added:
an app route (``/v1/apps/<name>/...``) is checked at once; any other route fails here
until it is classified below as public, self-service or admin.
"""

import re

import pytest

from paas.server.routes import all_routes

#: Answer anyone, signed in or not.
PUBLIC = {("GET", "/v1/health"), ("GET", "/v1/openapi.json")}
#: A signed-in user acts on their own things only (their apps, their tokens).
SELF_SERVICE = {
    ("GET", "/v1/whoami"), ("GET", "/v1/apps"), ("POST", "/v1/apps"),
    ("GET", "/v1/tokens"), ("POST", "/v1/tokens"), ("DELETE", "/v1/tokens/<token_id>"),
}
#: The admin's alone.
ADMIN = {("GET", "/v1/users"), ("POST", "/v1/users")}
#: App routes for an admin alone, even among the app's members.
ADMIN_APP = {("PUT", "/v1/apps/<name>/limits")}
#: App routes that end or share the owner's control: not for a collaborator.
OWNER_ONLY = {
    ("DELETE", "/v1/apps/<name>"), ("POST", "/v1/apps/<name>/transfer"),
    ("POST", "/v1/apps/<name>/access"), ("DELETE", "/v1/apps/<name>/access/<user>"),
}

#: A value for each path parameter of the table.
ARGS = {"key": "SECRET", "host": "www.shop.example.com", "user": "bob",
        "token_id": "0123456789ab", "ptype": "web", "kind": "redis",
        "backup_id": "b001"}

CASES = [(method, route.rule) for route in all_routes() for method in route.methods]


def _is_app_route(rule):
    return rule.startswith("/v1/apps/<name>")


def _path(rule, app):
    return re.sub(r"<(\w+)>", lambda m: app if m.group(1) == "name" else ARGS[m.group(1)], rule)


def _id(case):
    return f"{case[0]} {case[1]}"


#: The config value no answer to another user may carry, with a character no token has
#: (tokens are URL-safe base64): a random token must never look like a leak.
SECRET = "s3cret!value"


@pytest.fixture
def shop(api):
    """alice owns shop (deployed, with a secret); bob collaborates; carol is a stranger."""
    tokens = {name: api.user(name) for name in ("alice", "bob", "carol")}
    api.deployed_app("shop", tokens["alice"], config={"SECRET": SECRET})
    assert api.call("POST", "/v1/apps/shop/access", tokens["alice"], json={"user": "bob"})[0] == 201
    return tokens


def _call(api, token, method, path):
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
    resp = api.client.open(path, method=method, json=body,
                           headers={"Authorization": f"Bearer {token}"} if token else {})
    return resp.status_code, resp.get_json(silent=True)


def test_every_route_is_classified():
    unknown = [c for c in CASES if not _is_app_route(c[1])
               and c not in PUBLIC | SELF_SERVICE | ADMIN]
    assert unknown == [], "classify these routes in this test's tables"
    assert set(CASES) >= OWNER_ONLY | ADMIN_APP


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_a_user_without_grants(api, shop, case):
    method, rule = case
    status, body = _call(api, shop["carol"], method, _path(rule, "shop"))
    if _is_app_route(rule):
        # Exactly what a missing app answers: nothing tells carol that shop exists.
        assert (status, body) == (404, {"error": "app shop not found"})
        assert _call(api, shop["carol"], method, _path(rule, "nope")) == (
            404, {"error": "app nope not found"})
    elif case in ADMIN:
        assert status == 403, body
    elif case in PUBLIC:
        assert status == 200, body
    else:  # self-service: a user's own answer, never a failure nor someone else's data
        assert status not in (401, 403, 500), body
        assert SECRET not in str(body) and "alice" not in str(body)
    assert SECRET not in str(body)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_a_caller_without_a_token(api, shop, case):
    method, rule = case
    status, _ = _call(api, None, method, _path(rule, "shop"))
    assert status == (200 if case in PUBLIC else 401)


@pytest.mark.parametrize("case", [c for c in CASES if _is_app_route(c[1])], ids=_id)
def test_a_collaborator(api, shop, case):
    method, rule = case
    status, body = _call(api, shop["bob"], method, _path(rule, "shop"))
    if case in OWNER_ONLY:
        assert status == 403, body
        assert body["error"].startswith("only the owner of shop (alice) or an admin")
    elif case in ADMIN_APP:
        assert status == 403, body
    else:
        # Past the authorization check: whatever the (empty) input earns, not a refusal.
        assert status not in (401, 403, 500), body
        assert body != {"error": "app shop not found"}
    assert api.store.get_app("shop").owner == "alice"
