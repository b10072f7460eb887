"""``paas ps`` and ``scale`` against the API."""

from __future__ import annotations

from paas.cli.ps import format_formation, format_uptime
from tests.cli.conftest import Paas


def test_uptime() -> None:
    assert [format_uptime(s) for s in (None, -1, 5, 61, 3725, 90000)] == [
        "-", "0s", "5s", "1m01s", "1h02m", "1d01h"]


def test_formation() -> None:
    assert format_formation({"worker": 2, "web": 3}) == "web=3 worker=2"
    assert format_formation({}) == "(no process types)"


def test_ps_lists_the_replicas_of_the_current_release(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    r = paas("ps", "-a", "shop")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [
        "=== shop v1: web=1",
        "web        shop-web  running    v1    up -       standard-1x",
    ]
    assert paas.transport.sent == [("GET", "/v1/apps/shop/ps")]


def test_ps_before_the_first_deploy(paas: Paas) -> None:
    assert paas("apps:create", "empty", "--no-remote").exit_code == 0
    r = paas("ps", "-a", "empty")
    assert (r.exit_code, r.stdout) == (0, "=== empty (no release): (no process types)\n"
                                          "No processes running\n")


def test_scale_and_its_alias(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    r = paas("scale", "web=3", "-a", "shop")
    assert (r.exit_code, r.stdout) == (0, "Scaled shop: web=3\n"), r.output
    r = paas("ps:scale", "web-1", "-a", "shop")
    assert (r.exit_code, r.stdout) == (0, "Scaled shop: web=2\n"), r.output
    assert paas("ps", "-a", "shop").stdout.startswith("=== shop v1: web=2\n")


def test_bad_scale_arguments_are_one_line_errors(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    for args, message in [
        (("scale",), "error: nothing to scale: give TYPE=N, e.g. web=2\n"),
        (("scale", "web=x"), "error: invalid count 'x' for web: use a non-negative whole number\n"),
        (("scale", "nope=1"), "error: unknown process type 'nope' (this app has: web); "
                               "add a line 'nope: <command>' to the Procfile and push\n"),
    ]:
        r = paas(*args, "-a", "shop")
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", message), args
    assert paas("ps", "-a", "shop").stdout.startswith("=== shop v1: web=1\n")

