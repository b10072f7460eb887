"""Every failure leaves the same way: ``error: <one line>`` on stderr, a non-zero exit
code, nothing on stdout; the traceback only with ``--debug``."""

from __future__ import annotations

import socket

import pytest

from tests.cli.conftest import Paas


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unknown_app(paas: Paas) -> None:
    for args in (("ps",), ("config",), ("releases",), ("apps:info",), ("scale", "web=1")):
        r = paas(*args, "-a", "nope")
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: app nope not found\n"), args


def test_server_unreachable(paas: Paas) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    r = paas("apps", url=url, network=True)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == f"error: cannot reach the paas server at {url}: is `paas server` running?\n"


def test_not_logged_in(paas: Paas) -> None:
    r = paas("apps", url="")
    assert (r.exit_code, r.stderr) == (
        1, "error: not logged in: run `paas login URL --token TOKEN`\n")


def test_a_wrong_token(paas: Paas) -> None:
    r = paas("whoami", token="paas_wrong")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: authentication failed") and r.stderr.count("\n") == 1


def test_usage_errors_are_one_line_with_a_hint(paas: Paas) -> None:
    for args, message in [
        (("ps", "--bogus"), "error: no such option '--bogus' (see `paas ps --help`)\n"),
        (("nosuch",), "error: no such command 'nosuch' (see `paas --help`)\n"),
        (("config:unset", "-a", "shop"),
         "error: missing argument 'KEY...' (see `paas config:unset --help`)\n"),
        (("logs", "-n", "0", "-a", "shop"),
         "error: invalid value for '-n' / '--num': 0 is not in the range 1<=x<=10000 "
         "(see `paas logs --help`)\n"),
    ]:
        r = paas(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (2, "", message), args
    assert paas.transport.sent == []


def test_help_is_not_an_error(paas: Paas) -> None:
    r = paas("--help")
    assert r.exit_code == 0 and "Commands:" in r.stdout
    r = paas("stack")  # a group without a command shows its help
    assert r.exit_code == 2 and "build" in r.output and "error:" not in r.output


def test_debug_shows_the_traceback_before_the_error(paas: Paas) -> None:
    r = paas("--debug", "ps", "-a", "nope")
    assert (r.exit_code, r.stdout) == (1, "")
    lines = r.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "paas.errors.PaasError: app nope not found" in lines
    assert lines[-1] == "error: app nope not found"


def test_debug_from_the_environment(paas: Paas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAAS_DEBUG", "1")
    r = paas("ps", "-a", "nope")
    assert r.exit_code == 1 and r.stderr.startswith("Traceback")


def test_without_debug_no_traceback(paas: Paas) -> None:
    r = paas("ps", "-a", "nope")
    assert "Traceback" not in r.output
