"""Users, tokens and per-app access through the real API and store."""

import pytest

from paas.services import access


def test_only_the_admin_manages_users(api):
    bob = api.user("bob")
    assert api.call("GET", "/v1/users", bob)[0] == 403
    assert api.call("POST", "/v1/users", bob, json={"name": "eve"})[0] == 403
    status, body = api.call("POST", "/v1/users", json={"name": "carol", "admin": True})
    assert (status, body) == (201, {"name": "carol", "admin": True})
    assert [u["name"] for u in api.call("GET", "/v1/users")[1]] == ["admin", "bob", "carol"]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"name": "bob"}, 409, "user 'bob' already exists"),
    ({"name": "Bob"}, 400, "invalid user name 'Bob'"),
    ({"name": "a b"}, 400, "invalid user name"),
    ({"name": ""}, 400, "invalid user name"),
    ({"name": "x" * 65}, 400, "field name is longer than 64"),
    ({"name": 3}, 400, "field name must be a string"),
    ({}, 400, "missing field: name"),
    ({"name": "eve", "admin": "yes"}, 400, "field admin must be true or false"),
    ({"name": "eve", "role": "admin"}, 400, "unknown field(s): role"),
])
def test_bad_users_are_refused(api, body, status, message):
    api.user("bob")
    got, answer = api.call("POST", "/v1/users", json=body)
    assert (got, answer["error"][: len(message)]) == (status, message)
    assert [u.name for u in api.store.list_users()] == ["admin", "bob"]


def test_tokens_are_shown_once_listed_without_secret_and_revocable(api):
    api.call("POST", "/v1/users", json={"name": "bob"})
    status, created = api.call("POST", "/v1/tokens", json={"user": "bob", "label": "laptop"})
    assert status == 201
    secret = created["token"]
    assert secret.startswith("paas_")
    assert api.call("GET", "/v1/whoami", secret) == (200, {"name": "bob", "admin": False})

    listed = api.call("GET", "/v1/tokens")[1]
    assert {t["user"] for t in listed} == {"admin", "bob"}
    assert secret not in str(listed)
    mine = api.call("GET", "/v1/tokens", secret)[1]
    assert [(t["id"], t["label"], t["revoked"]) for t in mine] == [
        (created["id"], "laptop", False)]

    status, body = api.call("DELETE", f"/v1/tokens/{created['id']}")
    assert (status, body["revoked"]) == (200, True)
    status, body = api.call("GET", "/v1/whoami", secret)
    assert status == 401 and "authentication failed" in body["error"]
    assert api.call("GET", "/v1/tokens?user=bob")[1][0]["revoked"] is True


def test_users_manage_their_own_tokens_only(api):
    bob = api.user("bob")
    api.user("carol")
    carol_id = api.call("GET", "/v1/tokens?user=carol")[1][0]["id"]
    assert api.call("GET", "/v1/tokens?user=carol", bob)[0] == 403
    assert api.call("POST", "/v1/tokens", bob, json={"user": "carol"})[0] == 403
    status, body = api.call("DELETE", f"/v1/tokens/{carol_id}", bob)
    assert (status, body["error"]) == (404, f"token {carol_id!r} not found")
    status, own = api.call("POST", "/v1/tokens", bob, json={"label": "ci"})
    assert (status, own["user"]) == (201, "bob")
    assert api.call("DELETE", f"/v1/tokens/{own['id']}", bob)[0] == 200


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("DELETE", "/v1/tokens/0123456789ab", None, 404, "token '0123456789ab' not found"),
    ("DELETE", "/v1/tokens/short", None, 404, "token 'short' not found"),
    ("POST", "/v1/tokens", {"user": "ghost"}, 404, "user 'ghost' not found"),
    ("POST", "/v1/tokens", {"label": "a\nb"}, 400, "invalid token label"),
    ("GET", "/v1/tokens?user=ghost", None, 404, "user 'ghost' not found"),
])
def test_bad_token_requests(api, method, path, body, status, message):
    before = api.store.list_tokens()
    got, answer = api.call(method, path, json=body)
    assert (got, answer["error"][: len(message)]) == (status, message)
    assert api.store.list_tokens() == before


def test_missing_or_wrong_tokens_are_refused(api):
    resp = api.client.get("/v1/apps")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.call("GET", "/v1/apps", "paas_wrong")[0] == 401


def test_a_user_sees_and_changes_only_apps_granted(api):
    alice = api.user("alice")
    bob = api.user("bob")
    api.deployed_app("shop", alice, config={"SECRET": "s3"})

    assert [a["name"] for a in api.call("GET", "/v1/apps", bob)[1]] == []
    for method, path, body in [
        ("GET", "/v1/apps/shop", None),
        ("GET", "/v1/apps/shop/config", None),
        ("GET", "/v1/apps/shop/config/SECRET", None),
        ("PATCH", "/v1/apps/shop/config", {"set": {"X": "1"}}),
        ("GET", "/v1/apps/shop/releases", None),
        ("POST", "/v1/apps/shop/rollback", {}),
        ("POST", "/v1/apps/shop/domains", {"host": "shop.example.com"}),
        ("DELETE", "/v1/apps/shop?confirm=shop", None),
        ("POST", "/v1/apps/shop/access", {"user": "bob"}),
    ]:
        status, answer = api.call(method, path, bob, json=body)
        # Exactly what a missing app answers: bob cannot tell that shop exists.
        assert (status, answer) == (404, {"error": "app shop not found"}), (method, path)
    assert "s3" not in str(api.call("GET", "/v1/apps/shop/config", bob))

    # the owner grants; bob then sees and configures, but cannot grant further
    assert api.call("POST", "/v1/apps/shop/access", alice, json={"user": "bob"}) == (
        201, {"owner": "alice", "users": ["bob"]})
    assert [a["name"] for a in api.call("GET", "/v1/apps", bob)[1]] == ["shop"]
    assert api.call("GET", "/v1/apps/shop/config/SECRET", bob)[1]["value"] == "s3"
    assert api.call("PATCH", "/v1/apps/shop/config", bob, json={"set": {"X": "1"}})[0] == 200
    assert api.call("GET", "/v1/apps/shop/releases", bob)[1][0]["created_by"] == "bob"
    api.user("carol")
    status, body = api.call("POST", "/v1/apps/shop/access", bob, json={"user": "carol"})
    assert status == 403 and "only the owner of shop (alice) or an admin" in body["error"]

    assert api.call("DELETE", "/v1/apps/shop/access/bob", alice)[0] == 200
    assert api.call("GET", "/v1/apps/shop", bob)[0] == 404
    assert [a["name"] for a in api.call("GET", "/v1/apps")[1]] == ["shop"]  # the admin


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("POST", "/v1/apps/shop/access", {"user": "ghost"}, 404, "user 'ghost' not found"),
    ("POST", "/v1/apps/shop/access", {"user": "alice"}, 400, "alice owns shop already"),
    ("POST", "/v1/apps/shop/access", {"user": "bob"}, 409, "bob already has access to shop"),
    ("POST", "/v1/apps/shop/access", {"user": "Bad Name"}, 400, "invalid user name"),
    ("POST", "/v1/apps/shop/access", {}, 400, "missing field: user"),
    ("DELETE", "/v1/apps/shop/access/carol", None, 404, "carol has no granted access to shop"),
    ("POST", "/v1/apps/nope/access", {"user": "bob"}, 404, "app nope not found"),
])
def test_bad_access_changes(api, method, path, body, status, message):
    alice = api.user("alice")
    api.user("bob")
    api.user("carol")
    api.deployed_app("shop", alice)
    api.call("POST", "/v1/apps/shop/access", alice, json={"user": "bob"})
    got, answer = api.call(method, path, alice, json=body)
    assert (got, answer["error"][: len(message)]) == (status, message)
    assert api.store.list_access("shop") == ["bob"]


def test_tokens_a_user_holds_at_once_are_bounded(api, monkeypatch):
    monkeypatch.setattr(access, "MAX_TOKENS", 2)
    api.user("bob")  # its first token
    assert api.call("POST", "/v1/tokens", json={"user": "bob"})[0] == 201
    assert api.call("POST", "/v1/tokens", json={"user": "bob"}) == (
        400, {"error": "bob has 2 tokens, the most a user may have: revoke one first "
                       "(paas tokens:revoke ID)"})
    first = api.call("GET", "/v1/tokens?user=bob")[1][0]["id"]
    assert api.call("DELETE", f"/v1/tokens/{first}")[0] == 200
    assert api.call("POST", "/v1/tokens", json={"user": "bob"})[0] == 201


def test_revoked_tokens_kept_are_bounded_and_a_forgotten_one_still_lets_nobody_in(
        api, monkeypatch):
    """A loop of creating and revoking tokens grew the store without end."""
    monkeypatch.setattr(access, "MAX_REVOKED_TOKENS", 2)
    api.user("bob")
    made = []
    for _ in range(4):
        status, body = api.call("POST", "/v1/tokens", json={"user": "bob"})
        assert status == 201
        made.append((body["id"], body["token"]))
    for token_id, _ in made:
        assert api.call("DELETE", f"/v1/tokens/{token_id}")[0] == 200
    listed = api.call("GET", "/v1/tokens?user=bob")[1]
    revoked = [t["id"] for t in listed if t["revoked"]]
    assert revoked == [made[2][0], made[3][0]]  # the two revoked last
    assert len(api.store.list_tokens("bob")) == 3  # and bob's first, active one
    for _, secret in made:
        assert api.call("GET", "/v1/whoami", token=secret)[0] == 401
