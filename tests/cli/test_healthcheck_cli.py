"""``paas healthcheck``, ``healthcheck:set`` and ``healthcheck:unset`` against the API."""

from __future__ import annotations

from tests.cli.conftest import Paas


def test_set_show_and_unset(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    r = paas("healthcheck", "-a", "shop")
    assert (r.exit_code, r.stdout.splitlines()[0]) == (0, "=== shop health check")
    assert "Not set here" in r.stdout

    r = paas("healthcheck:set", "--path", "/health", "--status", "200", "--timeout", "45",
             "-a", "shop")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[-1].endswith("shop is now at v2")
    assert paas("config:get", "PAAS_HEALTHCHECK_PATH", "-a", "shop").stdout == "/health\n"
    assert paas("healthcheck", "-a", "shop").stdout == (
        "=== shop health check\nPath:    /health\nStatus:  200\nTimeout: 45\n")

    r = paas("healthcheck:unset", "-a", "shop")
    assert r.exit_code == 0, r.output
    assert "Not set here" in paas("healthcheck", "-a", "shop").stdout


def test_bad_values_are_refused_before_any_release(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    for args, message in [
        (("healthcheck:set",), "error: nothing to set: give --path, --status or --timeout\n"),
        (("healthcheck:set", "--path", "health"), "must start with '/'"),
        (("healthcheck:set", "--status", "999"), "HTTP status (100-599)"),
        (("healthcheck:set", "--timeout", "9000"), "between 1 and 600 seconds"),
    ]:
        r = paas(*args, "-a", "shop")
        assert r.exit_code == 1 and message in r.stderr, (args, r.output)
    # the API refuses them too, whoever sends them
    r = paas("config:set", "PAAS_HEALTHCHECK_STATUS=ok", "-a", "shop")
    assert r.exit_code == 1 and "HTTP status" in r.stderr
    assert paas("releases", "-a", "shop").stdout.count("\nv") == 1
