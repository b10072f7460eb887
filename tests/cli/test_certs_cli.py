"""``paas certs*``: uploads checked by the server, one error line each, no key shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.certfactory import CA, key, key_pem, pem
from tests.cli.conftest import Paas

HOST = "shop.example.com"


def leaf_start() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)


def leaf_end() -> datetime:
    return datetime.now(UTC) + timedelta(days=90)


def _files(tmp: Path, chain: bytes, k: bytes) -> tuple[str, str]:
    (tmp / "c.pem").write_bytes(chain)
    (tmp / "k.pem").write_bytes(k)
    return str(tmp / "c.pem"), str(tmp / "k.pem")


def _app(paas: Paas) -> None:
    paas.api.deployed_app("shop")
    assert paas("domains:add", HOST, "-a", "shop").exit_code == 0


def test_upload_list_switch_remove(paas: Paas, tmp_path: Path) -> None:
    _app(paas)
    ca = CA()
    leaf, k = ca.leaf(HOST, start=leaf_start(), end=leaf_end())
    added = paas("certs:add", *_files(tmp_path, pem(leaf, ca.inter, ca.root), key_pem(k)),
                 "-a", "shop")
    assert added.exit_code == 0, added.output
    assert added.output == f"Added certificate for {HOST} to shop\n"
    shown = paas("certs", "-a", "shop")
    assert shown.exit_code == 0
    assert f"Hosts:    {HOST}" in shown.output
    assert "Issuer:   Test Intermediate" in shown.output
    assert "days left" in shown.output and "Source:   uploaded" in shown.output
    assert "HTTPS:    off (start the server with --router-https-port)" in shown.output
    assert "PRIVATE" not in shown.output
    assert paas("certs:hsts", "on", "-a", "shop").exit_code == 0
    assert "HSTS:     on" in paas("certs", "-a", "shop").output
    assert paas("certs:redirect", "off", "-a", "shop").exit_code == 0
    assert "Redirect: off" in paas("certs", "-a", "shop").output
    assert paas("certs:remove", "-a", "shop").exit_code == 0
    assert "No certificate" in paas("certs", "-a", "shop").output


def test_refusals_are_one_error_line(paas: Paas, tmp_path: Path) -> None:
    _app(paas)
    ca = CA()
    leaf, _ = ca.leaf(HOST, start=leaf_start(), end=leaf_end())
    r = paas("certs:add", *_files(tmp_path, pem(leaf, ca.inter, ca.root), key_pem(key())),
             "-a", "shop")
    assert r.exit_code == 1
    assert r.output == "error: the private key does not match the certificate\n"
    missing = paas("certs:add", str(tmp_path / "nope.pem"), str(tmp_path / "k.pem"),
                   "-a", "shop")
    assert missing.exit_code == 2 and "cannot read certificate" in missing.output


def test_auto_needs_the_https_listener(paas: Paas) -> None:
    _app(paas)
    r = paas("certs:auto:enable", "-a", "shop")
    assert r.exit_code == 1
    assert "start the server with --router-https-port" in r.output
