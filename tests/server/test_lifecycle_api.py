"""Config, releases, rollback, domains and destroy through the real API and store."""

import pytest

from paas.domain.release import ReleaseStatus
from paas.services import domains

WEIRD = {
    "MULTI": "line one\nline two\n",
    "EQ": "a=b=c",
    "QUOTES": "it's \"quoted\" `and` $(not run)",
    "UNI": "héllo ☃ 日本",
    "EMPTY": "",
}


def _releases(api, app):
    return [(r["label"], r["description"], r["status"]) for r in
            api.call("GET", f"/v1/apps/{app}/releases")[1]]


def test_config_set_get_unset_make_releases_and_restart(api):
    api.deployed_app("shop")
    status, body = api.call("PATCH", "/v1/apps/shop/config", json={"set": WEIRD})
    assert status == 200, body
    assert body["release"]["label"] == "v2"
    assert body["release"]["description"] == "Set MULTI, EQ, QUOTES, UNI, EMPTY"
    assert "-----> Starting 1 web replica(s) of v2" in body["log"]
    assert api.runtime.serving["shop"].config == WEIRD
    assert api.runtime.serving["shop"].build.commit.startswith("abc1234")

    assert api.call("GET", "/v1/apps/shop/config") == (200, WEIRD)
    assert api.call("GET", "/v1/apps/shop/config/MULTI") == (
        200, {"key": "MULTI", "value": "line one\nline two\n"})

    status, body = api.call("PATCH", "/v1/apps/shop/config", json={"unset": ["EQ", "UNI"]})
    assert status == 200 and body["release"]["description"] == "Unset EQ, UNI"
    assert set(api.runtime.serving["shop"].config) == {"MULTI", "QUOTES", "EMPTY"}
    assert _releases(api, "shop") == [
        ("v3", "Unset EQ, UNI", "succeeded"),
        ("v2", "Set MULTI, EQ, QUOTES, UNI, EMPTY", "succeeded"),
        ("v1", "Deploy abc1234", "succeeded"),
    ]
    # a later set keeps what was there
    api.call("PATCH", "/v1/apps/shop/config", json={"set": {"EQ": "again"}})
    assert api.call("GET", "/v1/apps/shop/config")[1] == {
        "MULTI": WEIRD["MULTI"], "QUOTES": WEIRD["QUOTES"], "EMPTY": "", "EQ": "again"}


def test_config_before_the_first_push_is_kept_for_it(api):
    api.call("POST", "/v1/apps", json={"name": "early"})
    status, body = api.call("PATCH", "/v1/apps/early/config", json={"set": {"A": "1"}})
    assert status == 200 and body["release"]["status"] == "succeeded"
    assert "early" not in api.runtime.serving
    assert api.call("GET", "/v1/apps/early/config") == (200, {"A": "1"})


@pytest.mark.parametrize(("body", "message"), [
    ({"set": {"1BAD": "x"}}, "invalid config key '1BAD'"),
    ({"set": {"BAD-KEY": "x"}}, "invalid config key 'BAD-KEY'"),
    ({"set": {"": "x"}}, "invalid config key ''"),
    ({"set": {"PORT": "1"}}, "config key PORT is set by the platform"),
    ({"set": {"K": "sec\x00ret"}}, "config value of K contains a NUL character"),
    ({"set": {"K": "x" * 40000}}, "config value of K is longer than"),
    ({"set": {"K": 1}}, "field set must be an object of string values"),
    ({"set": {}}, "nothing to set"),
    ({"unset": ["NOPE"]}, "config var NOPE is not set"),
    ({"unset": []}, "nothing to unset"),
    ({"unset": "K"}, "field unset must be a list of strings"),
    ({}, "give exactly one of"),
    ({"set": {"A": "1"}, "unset": ["A"]}, "give exactly one of"),
    ({"sett": {"A": "1"}}, "unknown field(s): sett"),
])
def test_bad_config_changes_are_refused_and_change_nothing(api, body, message):
    api.deployed_app("shop", config={"KEEP": "secret-value"})
    status, answer = api.call("PATCH", "/v1/apps/shop/config", json=body)
    assert status in (400, 404)
    assert answer["error"].startswith(message)
    assert "sec" + "ret" not in answer["error"]
    assert len(_releases(api, "shop")) == 1
    assert api.call("GET", "/v1/apps/shop/config")[1] == {"KEEP": "secret-value"}


def test_a_failed_rollout_keeps_the_old_config_serving(api):
    api.deployed_app("shop", config={"A": "old"})
    api.runtime.fail_next = "Traceback: KeyError A"
    status, body = api.call("PATCH", "/v1/apps/shop/config", json={"set": {"A": "new"}})
    assert status == 422
    assert body == {"error": "web process exited; the previous release keeps serving",
                    "log": "Traceback: KeyError A"}
    assert api.runtime.serving["shop"].label == "v1"
    assert api.call("GET", "/v1/apps/shop/config")[1] == {"A": "old"}
    assert _releases(api, "shop")[0] == ("v2", "Set A", "failed")


def test_rollback_reuses_old_build_and_config(api):
    api.deployed_app("shop", config={"A": "1"})
    api.call("PATCH", "/v1/apps/shop/config", json={"set": {"A": "2"}})
    status, body = api.call("POST", "/v1/apps/shop/rollback", json={})
    assert status == 200, body
    assert body["release"]["label"] == "v3"
    assert body["release"]["description"] == "Rollback to v1"
    assert api.runtime.serving["shop"].config == {"A": "1"}
    # default target is the release before the current one, so twice goes to v2
    api.call("POST", "/v1/apps/shop/rollback", json={"version": None})
    assert api.runtime.serving["shop"].config == {"A": "2"}
    assert _releases(api, "shop")[0][1] == "Rollback to v2"
    status, body = api.call("POST", "/v1/apps/shop/rollback", json={"version": 3})
    assert (status, body["release"]["description"]) == (200, "Rollback to v3")


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"version": 9}, 404, "release v9 not found"),
    ({"version": 2}, 400, "v2 failed: roll back to a release that succeeded"),
    ({"version": 0}, 400, "field version must be a release version"),
    ({"version": "v1"}, 400, "field version must be an integer"),
    ({"version": True}, 400, "field version must be an integer"),
    ({"to": 1}, 400, "unknown field(s): to"),
])
def test_bad_rollbacks_change_nothing(api, body, status, message):
    api.deployed_app("shop")
    api.runtime.fail_next = "boom"
    api.call("PATCH", "/v1/apps/shop/config", json={"set": {"A": "1"}})
    before = _releases(api, "shop")
    got, answer = api.call("POST", "/v1/apps/shop/rollback", json=body)
    assert (got, answer["error"][: len(message)]) == (status, message)
    assert _releases(api, "shop") == before


def test_rollback_without_an_earlier_release(api):
    api.deployed_app("shop")
    status, body = api.call("POST", "/v1/apps/shop/rollback", json={})
    assert (status, body["error"]) == (400, "no release before v1 to roll back to")


def test_domains_are_validated_unique_and_routed(api):
    api.deployed_app("shop")
    api.deployed_app("blog")
    status, body = api.call("POST", "/v1/apps/shop/domains", json={"host": "WWW.Example.com."})
    assert (status, body) == (201, {"domains": ["www.example.com"]})
    assert api.runtime.hosts["shop"] == ("shop.localhost", "www.example.com")
    assert api.call("GET", "/v1/apps/shop/domains")[1] == {
        "default": "shop.localhost", "domains": ["www.example.com"]}

    for app, host, code, message in [
        ("blog", "www.example.com", 409, "domain www.example.com is already taken by another"),
        ("shop", "www.example.com", 409, "domain www.example.com is already taken by this"),
        ("blog", "not a host", 400, "invalid hostname"),
        ("blog", "localhost", 400, "invalid hostname"),
        ("blog", "-x.example.com", 400, "invalid hostname"),
        ("blog", "blog2.localhost", 400, "blog2.localhost is under the platform domain"),
        ("blog", "127.0.0.1", 400, "127.0.0.1 is an IP address"),
        ("blog", "0.0.0.0", 400, "0.0.0.0 is an IP address"),
        ("blog", "169.254.169.254", 400, "169.254.169.254 is an IP address"),
        ("blog", "0x7f.1", 400, "0x7f.1 is an IP address"),
        ("blog", "::1", 400, "::1 is an IP address"),
        ("blog", "localhost.localdomain", 400, "localhost.localdomain is reserved"),
        ("blog", "paas-router.internal", 400, "paas-router.internal is reserved"),
    ]:
        status, body = api.call("POST", f"/v1/apps/{app}/domains", json={"host": host})
        assert (status, body["error"][: len(message)]) == (code, message)
    assert api.store.get_app("blog").domains == ()

    assert api.call("DELETE", "/v1/apps/blog/domains/www.example.com")[0] == 404
    status, body = api.call("DELETE", "/v1/apps/shop/domains/www.example.com")
    assert (status, body) == (200, {"domains": []})
    assert api.runtime.hosts["shop"] == ("shop.localhost",)
    # free again for another app
    assert api.call("POST", "/v1/apps/blog/domains", json={"host": "www.example.com"})[0] == 201


def test_domains_of_an_app_are_bounded(api, monkeypatch):
    monkeypatch.setattr(domains, "MAX_DOMAINS", 3)
    api.deployed_app("shop")
    for n in range(3):
        assert api.call("POST", "/v1/apps/shop/domains", json={"host": f"d{n}.example.com"}
                        )[0] == 201
    assert api.call("POST", "/v1/apps/shop/domains", json={"host": "d3.example.com"}) == (
        400, {"error": "shop has 3 domains, the most an app may have: remove one first"})
    assert len(api.store.get_app("shop").domains) == 3


def test_destroy_needs_the_matching_confirmation(api):
    api.deployed_app("shop", config={"A": "1"})
    api.ctx.repos.ensure("shop")
    for query in ("", "?confirm=", "?confirm=shop2"):
        status, body = api.call("DELETE", f"/v1/apps/shop{query}")
        assert status == 400 and "confirm with --confirm shop" in body["error"]
    assert api.runtime.destroyed == []
    assert api.ctx.repos.path("shop").exists()

    assert api.call("DELETE", "/v1/apps/shop?confirm=shop") == (200, {"destroyed": "shop"})
    assert api.runtime.destroyed == ["shop"]
    assert not api.ctx.repos.path("shop").exists()
    assert api.call("GET", "/v1/apps/shop")[0] == 404
    assert api.store.list_releases("shop") == []
    # the name is free again, with nothing of the old app
    api.call("POST", "/v1/apps", json={"name": "shop"})
    assert api.call("GET", "/v1/apps/shop/config") == (200, {})


def test_destroy_waits_for_no_deploy(api):
    api.deployed_app("shop")
    with api.ctx.services.deploys.locks.hold("shop"):
        status, body = api.call("DELETE", "/v1/apps/shop?confirm=shop")
    assert status == 409 and "in progress" in body["error"]
    assert api.store.get_app("shop").name == "shop"


def test_release_statuses_are_recorded(api):
    rel = api.deployed_app("shop")
    assert rel.status is ReleaseStatus.SUCCEEDED
