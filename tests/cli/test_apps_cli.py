"""apps:transfer through the real CLI, client and API."""

from tests.cli.conftest import Paas


def test_transfer_needs_the_name_again_and_changes_nothing_without_it(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    paas.api.user("carol")
    r = paas("apps:transfer", "shop", "carol")
    assert r.exit_code == 1
    assert "run again with --confirm shop" in r.stderr
    assert paas.api.store.get_app("shop").owner == "admin"


def test_transfer_gives_the_app_to_the_user(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    paas.api.user("carol")
    r = paas("apps:transfer", "shop", "carol", "--confirm", "shop")
    assert (r.exit_code, r.stdout) == (0, "Transferred shop to carol\n")
    assert paas.api.store.get_app("shop").owner == "carol"
