"""HTTPS journeys on the docker runtime: real nginx, real curl, a real ACME server (Pebble).

An uploaded certificate serves HTTP/2 and plain HTTP redirects to it; bad uploads are
refused with one line each; ``certs:auto:enable`` gets a certificate from Pebble over
HTTP-01 through the router, and the renewal loop replaces it (a one-minute lifetime)
while requests keep flowing without a single failure.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.harness import Platform, free_port, http_get
from e2e.pebble import Pebble
from e2e.tlscerts import PrivateCA, key_pem, pem

#: Lifetime of Pebble's certificates here: the loop renews at two thirds (40 s).
VALIDITY = 60
APP_CODE = '''import os

from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return f"Hello from paas! release={os.environ.get('PAAS_RELEASE', '?')}\\n"


@app.get("/proto")
def proto() -> str:
    return request.headers.get("X-Forwarded-Proto", "none") + "\\n"
'''


# fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pebble, int]]:
    """Pebble validating on the router port the platform below will publish."""
    router_port = free_port()
    p = Pebble(tmp_path_factory.mktemp("pebble"), http_port=router_port, validity=VALIDITY)
    try:
        p.start()
        yield p, router_port
    finally:
        p.stop()


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, stack_images: None,
           pebble: tuple[Pebble, int]) -> Iterator[Platform]:
    server, router_port = pebble
    p = Platform(tmp_path_factory.mktemp("https"), router_port=router_port,
                 https_port=free_port(), server_env={"PAAS_ACME_INTERVAL": "1"},
                 server_args=("--acme-directory", server.directory,
                              "--acme-ca-bundle", str(server.api_ca)))
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


def _deploy(p: Platform, name: str, domain: str) -> Path:
    repo = p.new_repo("flask-hello", name)
    (repo / "app.py").write_text(APP_CODE)
    p.commit_all(repo, "proto endpoint")
    assert p.paas("apps:create", name, cwd=repo).code == 0
    pushed = p.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    added = p.paas("domains:add", domain, "-a", name)
    assert added.code == 0, added.text
    return repo


def _curl(p: Platform, host: str, path: str, cafile: Path, *extra: str
          ) -> subprocess.CompletedProcess[str]:
    port = p.https_port
    return subprocess.run(
        ["curl", "-sS", "--http2", "--cacert", str(cafile),
         "--resolve", f"{host}:{port}:127.0.0.1", *extra, f"https://{host}:{port}{path}"],
        capture_output=True, text=True, timeout=30, check=False)


def _served_fingerprint(port: int, host: str, cafile: Path) -> tuple[str, int, str]:
    """(sha256 of the certificate the router shows for ``host``, status, body)."""
    context = ssl.create_default_context(cafile=str(cafile))
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    # SNI and verification name the host, the socket goes to loopback
    conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                    server_hostname=host)
    try:
        der = conn.sock.getpeercert(binary_form=True) or b""
        conn.request("GET", "/", headers={"Host": host})
        resp = conn.getresponse()
        return hashlib.sha256(der).hexdigest(), resp.status, resp.read().decode()
    finally:
        conn.close()


def _http(p: Platform, host: str, path: str = "/") -> tuple[int, str, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", p.router_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), resp.getheader("Location")
    finally:
        conn.close()


# journeys -------------------------------------------------------------------------------
def test_uploaded_certificate_serves_http2_redirects_and_reaches_the_app(
        secure: Platform, tmp_path: Path) -> None:
    host = "shop.example.test"
    _deploy(secure, "shop", host)
    ca = PrivateCA()
    leaf, key = ca.leaf(host)
    (tmp_path / "chain.pem").write_bytes(pem(leaf, ca.inter, ca.root))
    (tmp_path / "key.pem").write_bytes(key_pem(key))
    (tmp_path / "ca.pem").write_bytes(pem(ca.root))

    added = secure.paas("certs:add", str(tmp_path / "chain.pem"), str(tmp_path / "key.pem"),
                        "-a", "shop")
    assert added.code == 0, added.text
    assert f"Added certificate for {host}" in added.out

    got = _curl(secure, host, "/proto", tmp_path / "ca.pem", "-w", "%{http_version}")
    assert got.returncode == 0, got.stderr
    assert got.stdout == "https\n2", got.stdout

    status, _, location = _http(secure, host, "/proto?x=1")
    assert status == 308
    assert location == f"https://{host}:{secure.https_port}/proto?x=1"
    # the default host has no certificate: plain HTTP as before
    assert http_get(secure.router_port, "shop.localhost", "/proto") == (200, "http\n")

    listed = secure.paas("certs", "-a", "shop")
    assert listed.code == 0, listed.text
    assert host in listed.out and "e2e Intermediate CA" in listed.out
    assert "days left" in listed.out and "uploaded" in listed.out
    shown = secure.paas("certs", "-a", "shop").text + str(list((secure.home / "router" /
                                                                "certs").iterdir()))
    assert "PRIVATE KEY" not in shown
    keys = list((secure.home / "router" / "certs").glob("shop-*.key"))
    assert len(keys) == 1 and keys[0].stat().st_mode & 0o777 == 0o600

    assert secure.paas("certs:redirect", "off", "-a", "shop").code == 0
    assert _http(secure, host, "/proto")[:2] == (200, "http\n")
    assert secure.paas("certs:hsts", "on", "-a", "shop").code == 0
    headers = _curl(secure, host, "/", tmp_path / "ca.pem", "-D", "-", "-o", "/dev/null")
    assert "strict-transport-security: max-age=63072000" in headers.stdout.lower()

    removed = secure.paas("certs:remove", "-a", "shop")
    assert removed.code == 0, removed.text
    assert _curl(secure, host, "/", tmp_path / "ca.pem").returncode != 0
    assert _http(secure, host, "/proto")[:2] == (200, "http\n")
    assert not list((secure.home / "router" / "certs").glob("shop-*"))


def test_bad_certificates_are_refused_with_one_clear_line(secure: Platform,
                                                           tmp_path: Path) -> None:
    host = "bad.example.test"
    _deploy(secure, "bad", host)
    ca = PrivateCA()
    good, good_key = ca.leaf(host)
    expired, expired_key = ca.leaf(host, days=(-90, -1))
    other, other_key = ca.leaf("elsewhere.example.test")
    cases = {
        "wrong key": (pem(good, ca.inter, ca.root), key_pem(other_key),
                      "the private key does not match the certificate"),
        "expired": (pem(expired, ca.inter, ca.root), key_pem(expired_key),
                    "certificate expired on"),
        "other host": (pem(other, ca.inter, ca.root), key_pem(other_key),
                       f"certificate does not cover {host} "
                       "(it names elsewhere.example.test)"),
        "incomplete chain": (pem(good, ca.inter), key_pem(good_key),
                             "chain is incomplete: add the certificate of e2e Root CA"),
    }
    for label, (chain, key, message) in cases.items():
        (tmp_path / "chain.pem").write_bytes(chain)
        (tmp_path / "key.pem").write_bytes(key)
        r = secure.paas("certs:add", str(tmp_path / "chain.pem"), str(tmp_path / "key.pem"),
                        "-a", "bad")
        assert r.code == 1, (label, r.text)
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (label, r.err)
        assert message in lines[0], (label, r.err)
    shown = secure.paas("certs", "-a", "bad")
    assert "No certificate" in shown.out
    assert _http(secure, host, "/proto")[:2] == (200, "http\n")


def test_acme_issues_then_renews_without_a_failed_request(
        secure: Platform, pebble: tuple[Pebble, int], tmp_path: Path) -> None:
    server, _ = pebble
    host = "auto.example.test"
    _deploy(secure, "auto", host)
    enabled = secure.paas("certs:auto:enable", "-a", "auto")
    assert enabled.code == 0, enabled.text + (secure.log_path.read_text()[-3000:])
    assert "Certificate issued for auto.example.test" in enabled.out
    root = tmp_path / "pebble-root.pem"
    root.write_bytes(server.root_pem())

    got = _curl(secure, host, "/proto", root, "-w", "%{http_version}")
    assert got.returncode == 0, got.stderr
    assert got.stdout == "https\n2"
    assert _http(secure, host)[0] == 308
    listed = secure.paas("certs", "-a", "auto")
    assert "Pebble Intermediate CA" in listed.out and "auto" in listed.out

    port = secure.https_port
    assert port is not None
    first, _, _ = _served_fingerprint(port, host, root)
    failures: list[str] = []
    seen: set[str] = set()
    done = threading.Event()
    count = 0

    def load() -> None:
        nonlocal count
        deadline = time.monotonic() + VALIDITY * 2
        while not done.is_set() and time.monotonic() < deadline and count < 20000:
            try:
                fingerprint, status, body = _served_fingerprint(port, host, root)
                seen.add(fingerprint)
                if status != 200 or not body.startswith("Hello from paas!"):
                    failures.append(f"{status} {body[:60]}")
            except (OSError, http.client.HTTPException) as e:
                failures.append(repr(e))
            count += 1
            if len(seen - {first}) >= 1 and count % 50 == 0:
                done.set()

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"{count} HTTPS requests across the renewal, {len(seen)} certificates served")
    assert failures == [], failures[:5]
    assert len(seen) >= 2, f"no renewal served within {VALIDITY * 2}s: {seen}"
    renewed = secure.paas("certs", "-a", "auto")
    assert "Last ACME error" not in renewed.out, renewed.out
