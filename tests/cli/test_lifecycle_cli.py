"""The CLI's own parsing, and its one-line errors without a server."""

import pytest
from click.testing import CliRunner

from paas.cli import cli
from paas.cli.config import parse_assignments, shown
from paas.cli.releases import parse_version
from paas.errors import InvalidInput


def test_assignments_split_at_the_first_equals_sign():
    assert parse_assignments(("A=1", "B=x=y", "C=", "D=a\nb")) == {
        "A": "1", "B": "x=y", "C": "", "D": "a\nb"}


@pytest.mark.parametrize("bad", ["A", "=1", ""])
def test_assignments_without_key_or_equals(bad):
    with pytest.raises(InvalidInput, match="expected KEY=VALUE"):
        parse_assignments((bad,))


def test_a_bad_pair_does_not_echo_its_value():
    with pytest.raises(InvalidInput) as e:
        parse_assignments(("=hunter2",))
    assert "hunter2" not in e.value.message


@pytest.mark.parametrize(("text", "version"), [("v3", 3), ("V12", 12), ("7", 7)])
def test_versions(text, version):
    assert parse_version(text) == version


@pytest.mark.parametrize("bad", ["v0", "x3", "v-1", "", "3.0"])
def test_bad_versions(bad):
    with pytest.raises(InvalidInput, match="invalid release version"):
        parse_version(bad)


def test_values_shown_on_one_line():
    assert shown("plain value") == "plain value"
    assert shown("a\nb") == '"a\\nb"'
    assert shown("héllo") == "héllo"


def test_destroy_without_confirmation_never_calls_the_server(monkeypatch):
    monkeypatch.setenv("PAAS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PAAS_TOKEN", "t")
    result = CliRunner().invoke(cli, ["apps:destroy", "shop", "--confirm", "shap"])
    assert result.exit_code == 1
    assert result.stderr == ("error: this destroys shop and everything it has: "
                             "run again with --confirm shop\n")


def test_releases_rollback_is_rollback_under_herokus_name(monkeypatch):
    calls = []
    monkeypatch.setenv("PAAS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PAAS_TOKEN", "t")
    monkeypatch.setattr("paas.client.Client.rollback",
                        lambda self, app, version: calls.append((app, version)) or {})
    monkeypatch.setattr("paas.cli.releases.show_release", lambda *a: None)
    result = CliRunner().invoke(cli, ["releases:rollback", "v2", "--app", "shop"])
    assert result.exit_code == 0, result.output
    assert calls == [("shop", 2)]
