"""Config, releases, domains, access and destroy: the CLI's parsing, and the commands
against the API."""

from __future__ import annotations

import pytest

from paas.cli.config import parse_assignments, shown
from paas.cli.releases import parse_version
from paas.errors import InvalidInput
from tests.cli.conftest import Paas


def test_assignments_split_at_the_first_equals_sign() -> None:
    assert parse_assignments(("A=1", "B=x=y", "C=", "D=a\nb")) == {
        "A": "1", "B": "x=y", "C": "", "D": "a\nb"}


@pytest.mark.parametrize("bad", ["A", "=1", ""])
def test_assignments_without_key_or_equals(bad: str) -> None:
    with pytest.raises(InvalidInput, match="expected KEY=VALUE"):
        parse_assignments((bad,))


def test_a_bad_pair_does_not_echo_its_value() -> None:
    with pytest.raises(InvalidInput) as e:
        parse_assignments(("=hunter2",))
    assert "hunter2" not in e.value.message


@pytest.mark.parametrize(("text", "version"), [("v3", 3), ("V12", 12), ("7", 7)])
def test_versions(text: str, version: int) -> None:
    assert parse_version(text) == version


@pytest.mark.parametrize("bad", ["v0", "x3", "v-1", "", "3.0"])
def test_bad_versions(bad: str) -> None:
    with pytest.raises(InvalidInput, match="invalid release version"):
        parse_version(bad)


def test_values_shown_on_one_line() -> None:
    assert shown("plain value") == "plain value"
    assert shown("a\nb") == '"a\\nb"'
    assert shown("héllo") == "héllo"


def test_config_set_get_unset_and_releases(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    r = paas("config:set", "GREETING=hi there", "MULTI=a\nb", "-a", "shop")
    assert (r.exit_code, r.stderr) == (0, ""), r.output
    assert r.stdout.splitlines()[-1] == "Set GREETING, MULTI: shop is now at v2"
    assert paas("config:get", "MULTI", "-a", "shop").stdout == "a\nb\n"
    assert paas("config", "-a", "shop").stdout == (
        "=== shop config vars\nGREETING: hi there\nMULTI:    \"a\\nb\"\n")
    r = paas("config:unset", "MULTI", "-a", "shop")
    assert r.stdout.splitlines()[-1] == "Unset MULTI: shop is now at v3"
    lines = paas("releases", "-a", "shop").stdout.splitlines()
    assert lines[0] == "=== shop releases"
    assert [line.split()[0] for line in lines[1:]] == ["v3", "v2", "v1"]


def test_config_errors_are_one_line(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    for args, message in [
        (("config:set", "NOEQUALS"), "error: expected KEY=VALUE, got 'NOEQUALS'\n"),
        (("config:set",), "error: nothing to set: give KEY=VALUE pairs\n"),
        (("config:get", "NOPE"), "error: config var NOPE is not set\n"),
        (("rollback", "banana"), "error: invalid release version 'banana': "
                                 "use vN or N, like v3\n"),
    ]:
        r = paas(*args, "-a", "shop")
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", message), args


def test_releases_rollback_is_rollback_under_herokus_name(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    assert paas("config:set", "A=1", "-a", "shop").exit_code == 0
    r = paas("releases:rollback", "v1", "--app", "shop")
    assert (r.exit_code, r.stderr) == (0, ""), r.output
    assert r.stdout.splitlines()[-1] == "Rollback to v1: shop is now at v3"
    assert ("POST", "/v1/apps/shop/rollback") in paas.transport.sent


def test_a_failed_rollout_shows_its_log_then_the_error(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    paas.api.runtime.fail_next = "Traceback: app.py line 3\nImportError: flask"
    r = paas("config:set", "A=1", "-a", "shop")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1].startswith("error: web process exited")
    assert "       ImportError: flask" in r.stderr.splitlines()


def test_domains(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    r = paas("domains:add", "WWW.Shop.Example.", "-a", "shop")
    assert (r.exit_code, r.stdout) == (0, "Added www.shop.example to shop\n"), r.output
    assert paas("domains", "-a", "shop").stdout.splitlines()[-1] == "www.shop.example"
    r = paas("domains:remove", "www.shop.example", "-a", "shop")
    assert (r.exit_code, r.stdout) == (0, "Removed www.shop.example from shop\n")


def test_access(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    paas.api.user("bob")
    assert paas("access:add", "bob", "-a", "shop").stdout == "bob now has access to shop\n"
    assert paas("access", "-a", "shop").stdout == "=== shop access\nadmin  (owner)\nbob\n"
    r = paas("access:add", "ghost", "-a", "shop")
    assert (r.exit_code, r.stderr) == (1, "error: user 'ghost' not found\n")


def test_destroy_without_confirmation_never_calls_the_server(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    for confirm in ((), ("--confirm", "shap")):
        r = paas("apps:destroy", "shop", *confirm)
        assert (r.exit_code, r.stdout) == (1, "")
        assert r.stderr == ("error: this destroys shop and everything it has: "
                            "run again with --confirm shop\n")
    assert paas.transport.sent == []
    r = paas("apps:destroy", "shop", "--confirm", "shop")
    assert (r.exit_code, r.stdout) == (0, "Destroyed shop\n"), r.output
    assert paas.api.runtime.destroyed == ["shop"]
    r = paas("apps:destroy", "shop", "--confirm", "shop")
    assert (r.exit_code, r.stderr) == (1, "error: app shop not found\n")
