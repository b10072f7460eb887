"""Who may end an owner's control of an app, and what a stranger learns about it.

Destroying and transferring belong to the owner or an admin (Heroku's rule); a
collaborator is told so in one line. A user with no access hears the same 404 for an
existing app as for a missing one, on the API and on git alike.
"""

import base64

import pytest

from paas.domain.limits import ReplicaBounds
from tests.server.platform import make_platform


@pytest.fixture
def shop(api):
    """alice owns shop, bob collaborates on it, carol is a stranger to it."""
    tokens = {name: api.user(name) for name in ("alice", "bob", "carol")}
    api.deployed_app("shop", tokens["alice"], config={"SECRET": "s3"})
    assert api.call("POST", "/v1/apps/shop/access", tokens["alice"], json={"user": "bob"})[0] == 201
    return tokens


def test_a_collaborator_cannot_destroy_the_owners_app(api, shop):
    status, body = api.call("DELETE", "/v1/apps/shop?confirm=shop", shop["bob"])
    assert (status, body) == (403, {"error": "only the owner of shop (alice) or an admin can "
                                             "destroy it"})
    assert api.store.get_app("shop").owner == "alice"
    assert api.runtime.destroyed == []


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_the_owner_or_an_admin_destroys(api, shop, who):
    token = shop.get(who)  # None: the admin's token
    assert api.call("DELETE", "/v1/apps/shop?confirm=shop", token) == (200, {"destroyed": "shop"})
    assert api.call("GET", "/v1/apps/shop")[0] == 404


def test_transfer_gives_the_app_to_another_user(api, shop):
    status, body = api.call("POST", "/v1/apps/shop/transfer", shop["alice"],
                            json={"to": "carol", "confirm": "shop"})
    assert (status, body) == (200, {"owner": "carol", "users": ["bob"]})
    assert api.store.get_app("shop").owner == "carol"
    # alice keeps nothing; carol now decides, and may destroy.
    assert api.call("GET", "/v1/apps/shop", shop["alice"]) == (404, {"error": "app shop not found"})
    assert api.call("DELETE", "/v1/apps/shop/access/bob", shop["carol"])[0] == 200
    assert api.call("DELETE", "/v1/apps/shop?confirm=shop", shop["carol"])[0] == 200


def test_transfer_to_a_collaborator_drops_the_grant_it_no_longer_needs(api, shop):
    assert api.call("POST", "/v1/apps/shop/transfer", json={"to": "bob", "confirm": "shop"}) == (
        200, {"owner": "bob", "users": []})


@pytest.mark.parametrize(("who", "body", "status", "message"), [
    ("bob", {"to": "bob", "confirm": "shop"}, 403,
     "only the owner of shop (alice) or an admin can transfer it"),
    ("carol", {"to": "carol", "confirm": "shop"}, 404, "app shop not found"),
    ("alice", {"to": "carol"}, 400, "transferring shop gives it"),
    ("alice", {"to": "carol", "confirm": "shap"}, 400, "transferring shop gives it"),
    ("alice", {"to": "ghost", "confirm": "shop"}, 404, "user 'ghost' not found"),
    ("alice", {"to": "alice", "confirm": "shop"}, 400, "alice owns shop already"),
    ("alice", {"to": "Bad Name", "confirm": "shop"}, 400, "invalid user name"),
    ("alice", {"to": "carol", "confirm": "shop", "keep": True}, 400, "unknown field(s): keep"),
    ("alice", {}, 400, "missing field: to"),
])
def test_bad_transfers_change_nothing(api, shop, who, body, status, message):
    got, answer = api.call("POST", "/v1/apps/shop/transfer", shop[who], json=body)
    assert (got, answer["error"][: len(message)]) == (status, message)
    assert api.store.get_app("shop").owner == "alice"
    assert api.store.list_access("shop") == ["bob"]


def test_a_stranger_cannot_tell_an_existing_app_from_a_missing_one(api, shop):
    for path in ("/v1/apps/{}", "/v1/apps/{}/config", "/v1/apps/{}/releases"):
        taken = api.call("GET", path.format("shop"), shop["carol"])
        missing = api.call("GET", path.format("nope"), shop["carol"])
        assert taken == (404, {"error": "app shop not found"})
        assert missing == (404, {"error": "app nope not found"})


@pytest.mark.parametrize("rest", ["/info/refs?service=git-upload-pack",
                                  "/info/refs?service=git-receive-pack"])
def test_git_answers_a_stranger_as_for_a_missing_app(api, shop, rest):
    def git(app: str, token: str) -> tuple[int, str]:
        auth = base64.b64encode(f"x:{token}".encode()).decode()
        resp = api.client.get(f"/git/{app}.git{rest}", headers={"Authorization": f"Basic {auth}"})
        return resp.status_code, resp.get_data(as_text=True)

    taken, missing = git("shop", shop["carol"]), git("nope", shop["carol"])
    assert taken[0] == missing[0] == 404
    assert taken[1].replace("shop", "X") == missing[1].replace("nope", "X")
    assert git("shop", shop["bob"])[0] == 200


def test_a_user_owns_a_bounded_number_of_apps_whether_created_or_given(tmp_path):
    api = make_platform(tmp_path, ReplicaBounds(apps_per_user=2))
    alice, carol = api.user("alice"), api.user("carol")
    for name in ("a1", "a2"):
        assert api.call("POST", "/v1/apps", alice, json={"name": name})[0] == 201
    assert api.call("POST", "/v1/apps", alice, json={"name": "a3"}) == (
        400, {"error": "alice owns 2 apps, the most a user may own: destroy one first "
                       "(the platform's bound is PAAS_MAX_APPS_PER_USER)"})
    assert [a.name for a in api.store.list_apps()] == ["a1", "a2"]
    # Giving apps away and creating more would grow one person's apps without end.
    for name in ("c1", "c2"):
        assert api.call("POST", "/v1/apps", carol, json={"name": name})[0] == 201
    status, body = api.call("POST", "/v1/apps/a1/transfer", alice,
                            json={"to": "carol", "confirm": "a1"})
    assert (status, body["error"][:22]) == (400, "carol owns 2 apps, the")
    assert api.store.get_app("a1").owner == "alice"
    # An admin is not bounded (the operator makes apps for others).
    for name in ("b1", "b2", "b3"):
        assert api.call("POST", "/v1/apps", json={"name": name})[0] == 201
