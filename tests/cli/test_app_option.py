"""-a/--app, else the app of the 'paas' git remote of the repository around the cwd."""

from __future__ import annotations

import pytest

from tests.cli.conftest import URL, Paas


def test_explicit_app(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    for flag in ("-a", "--app"):
        assert paas("ps", flag, "shop").exit_code == 0
    assert paas.transport.sent == [("GET", "/v1/apps/shop/ps")] * 2


def test_app_from_the_paas_remote(paas: Paas, monkeypatch: pytest.MonkeyPatch) -> None:
    paas.api.deployed_app("shop")
    repo = paas.repo("shop-src", f"{URL}/git/shop.git")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    r = paas("ps")
    assert (r.exit_code, r.stdout.splitlines()[0]) == (0, "=== shop v1: web=1"), r.output
    # -a wins over the remote
    paas.api.deployed_app("other")
    assert paas("ps", "-a", "other").stdout.startswith("=== other v1")


def test_apps_create_sets_the_remote_later_commands_use(paas: Paas,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    repo = paas.repo("fresh")
    monkeypatch.chdir(repo)
    r = paas("apps:create", "fresh")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1].startswith("Git remote paas -> ")
    r = paas("config:set", "A=1")
    assert r.stdout.splitlines()[-1] == "Set A: fresh is now at v1", r.output


@pytest.mark.parametrize("remote", [None, "https://github.com/someone/shop.git"])
def test_no_app_given(paas: Paas, monkeypatch: pytest.MonkeyPatch, remote: str | None
                      ) -> None:
    monkeypatch.chdir(paas.repo("elsewhere", remote))
    for args in (("ps",), ("config",), ("scale", "web=2"), ("run", "--", "ls")):
        r = paas(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (
            1, "", "error: no app given: use -a NAME or run inside a repo with a "
                   "'paas' git remote\n"), args
    assert paas.transport.sent == []
