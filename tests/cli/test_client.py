"""The API client: every path segment escaped, and the token never displaced by ~/.netrc."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from paas.client import Client, api_path
from paas.credentials import Credentials
from paas.errors import InvalidInput, PaasError
from tests.cli.conftest import URL, Paas

BAD = "a/b?x"
ESCAPED = "a%2Fb%3Fx"


@pytest.mark.parametrize(("segment", "escaped"), [
    (BAD, ESCAPED), ("a#b", "a%23b"), ("a%2Fb", "a%252Fb"), ("a b", "a%20b"),
    ("ä", "%C3%A4"), ("..a", "..a"), ("shop", "shop"),
])
def test_api_path_escapes_each_segment_whole(segment: str, escaped: str) -> None:
    assert api_path("apps", segment, "ps") == f"/v1/apps/{escaped}/ps"


@pytest.mark.parametrize("segment", ["", ".", ".."])
def test_api_path_refuses_names_a_server_would_resolve(segment: str) -> None:
    with pytest.raises(InvalidInput, match="invalid name"):
        api_path("apps", segment, "ps")


def _client(paas: Paas, token: str | None = None) -> Client:
    return Client(Credentials(URL, token or paas.api.admin_token), transport=paas.transport)


CALLS: list[tuple[Callable[[Client], Any], str]] = [
    (lambda c: c.app(BAD), f"/v1/apps/{ESCAPED}"),
    (lambda c: c.ps(BAD), f"/v1/apps/{ESCAPED}/ps"),
    (lambda c: c.scale(BAD, ["web=1"]), f"/v1/apps/{ESCAPED}/scale"),
    (lambda c: c.restart(BAD, None), f"/v1/apps/{ESCAPED}/ps/restart"),
    (lambda c: c.addons(BAD), f"/v1/apps/{ESCAPED}/addons"),
    (lambda c: c.create_addon(BAD, "redis"), f"/v1/apps/{ESCAPED}/addons"),
    (lambda c: c.destroy_addon("shop", BAD), f"/v1/apps/shop/addons/{ESCAPED}?backup=0"),
    (lambda c: c.addon_info("shop", BAD), f"/v1/apps/shop/addons/{ESCAPED}/info"),
    (lambda c: c.capture_backup("shop", BAD), f"/v1/apps/shop/addons/{ESCAPED}/backups"),
    (lambda c: c.restore_backup("shop", BAD, None, "shop"),
     f"/v1/apps/shop/addons/{ESCAPED}/restore"),
    (lambda c: c.backups(BAD), f"/v1/apps/{ESCAPED}/backups"),
    (lambda c: c.autoscale(BAD), f"/v1/apps/{ESCAPED}/autoscale"),
    (lambda c: c.set_autoscale("shop", BAD, {}), f"/v1/apps/shop/autoscale/{ESCAPED}"),
    (lambda c: c.unset_autoscale("shop", BAD), f"/v1/apps/shop/autoscale/{ESCAPED}"),
    (lambda c: c.config(BAD), f"/v1/apps/{ESCAPED}/config"),
    (lambda c: c.config_get("shop", BAD), f"/v1/apps/shop/config/{ESCAPED}"),
    (lambda c: c.config_set(BAD, {"A": "1"}), f"/v1/apps/{ESCAPED}/config"),
    (lambda c: c.config_unset(BAD, ["A"]), f"/v1/apps/{ESCAPED}/config"),
    (lambda c: c.releases(BAD), f"/v1/apps/{ESCAPED}/releases"),
    (lambda c: c.rollback(BAD, None), f"/v1/apps/{ESCAPED}/rollback"),
    (lambda c: c.domains(BAD), f"/v1/apps/{ESCAPED}/domains"),
    (lambda c: c.add_domain(BAD, "h.example"), f"/v1/apps/{ESCAPED}/domains"),
    (lambda c: c.remove_domain("shop", BAD), f"/v1/apps/shop/domains/{ESCAPED}"),
    (lambda c: c.destroy_app(BAD, BAD), f"/v1/apps/{ESCAPED}?confirm={ESCAPED}"),
    (lambda c: c.access(BAD), f"/v1/apps/{ESCAPED}/access"),
    (lambda c: c.grant_access(BAD, "bob"), f"/v1/apps/{ESCAPED}/access"),
    (lambda c: c.revoke_access("shop", BAD), f"/v1/apps/shop/access/{ESCAPED}"),
    (lambda c: c.revoke_token(BAD), f"/v1/tokens/{ESCAPED}"),
    (lambda c: list(c.logs(BAD, 10, None, False)), f"/v1/apps/{ESCAPED}/logs?lines=10"),
]


@pytest.mark.parametrize(("call", "path"), CALLS)
def test_every_call_escapes_names(paas: Paas, call: Callable[[Client], Any], path: str
                                  ) -> None:
    paas.api.deployed_app("shop")
    with pytest.raises(PaasError):
        call(_client(paas))
    assert paas.transport.sent[-1][1] == path


def test_an_escaped_name_is_one_unknown_app_on_the_server(paas: Paas) -> None:
    r = paas("ps", "-a", BAD)
    assert r.exit_code == 1 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert paas.transport.sent == [("GET", f"/v1/apps/{ESCAPED}/ps")]


def test_run_escapes_the_app_name(paas: Paas) -> None:
    """``open_run`` writes its own request line on a socket: escaped the same way."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        heads: list[bytes] = []

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(4096)
                heads.append(head)
                body = json.dumps({"error": "app not found"}).encode()
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        port = listener.getsockname()[1]
        client = Client(Credentials(f"http://127.0.0.1:{port}", "t"))
        with pytest.raises(PaasError, match="app not found"):
            client.open_run(BAD, ["ls"], False, 24, 80)
        thread.join(5)
    assert heads[0].split(b"\r\n")[0] == f"POST /v1/apps/{ESCAPED}/run HTTP/1.1".encode()


def _stale_netrc(home: Path) -> Path:
    path = home / ".netrc"
    path.write_text("machine github.com login me password ghp_x\n"
                    "machine paas.test login paas password stale-token\n")
    path.chmod(0o600)
    return path


def test_netrc_would_win_over_a_header_in_a_plain_session(paas: Paas) -> None:
    """Why the client sets auth: requests puts netrc's Basic auth over a set header."""
    _stale_netrc(paas.home)
    session = requests.Session()
    session.headers["Authorization"] = "Bearer right"
    prepared = session.prepare_request(requests.Request("GET", f"{URL}/v1/whoami"))
    assert str(prepared.headers["Authorization"]).startswith("Basic ")


def test_a_stale_netrc_entry_does_not_override_the_token(paas: Paas) -> None:
    _stale_netrc(paas.home)
    assert _client(paas).whoami()["name"] == "admin"
    r = paas("whoami")
    assert (r.exit_code, r.stdout) == (0, "admin (admin)\n"), r.output


def test_login_replaces_the_stale_netrc_entry(paas: Paas) -> None:
    netrc = _stale_netrc(paas.home)
    r = paas("login", URL, "--token", paas.api.admin_token, url="")
    assert (r.exit_code, r.stdout) == (0, f"Logged in to {URL} as admin\n"), r.output
    assert netrc.read_text().splitlines() == [
        "machine github.com login me password ghp_x",
        f"machine paas.test login paas password {paas.api.admin_token}",
    ]
    stored = json.loads((paas.home / ".config" / "paas" / "credentials.json").read_text())
    assert stored == {"url": URL, "token": paas.api.admin_token}


def test_login_with_a_wrong_token_changes_nothing(paas: Paas) -> None:
    netrc = _stale_netrc(paas.home)
    before = netrc.read_text()
    r = paas("login", URL, "--token", "paas_wrong", url="")
    assert r.exit_code == 1 and r.stderr.startswith("error: authentication failed")
    assert netrc.read_text() == before
    assert not (paas.home / ".config" / "paas" / "credentials.json").exists()
