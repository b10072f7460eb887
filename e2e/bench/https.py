"""HTTPS vs HTTP through the platform's router, the Flask app, keep-alive on, one run.

A platform with an HTTPS listener serves the bench Flask app on a custom domain with an
uploaded certificate (a private CA made here); ``wrk`` loads ``/`` over plain HTTP (with
the redirect off, so both answer 200 from the app) and over HTTPS (TLS 1.3, keep-alive:
the handshake is paid once per connection, then each request costs symmetric crypto).
The ratio HTTPS / HTTP is the figure. Prints; asserts nothing.

    python -m e2e.bench.https [--seconds 10] [--connections 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from e2e.bench.serving import _deploy, wrk
from e2e.harness import Platform, free_port
from e2e.tlscerts import PrivateCA, key_pem, pem

HOST = "bench.example.test"


def _wait_https(port: int, cafile: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(cafile),
             "--resolve", f"{HOST}:{port}:127.0.0.1", f"https://{HOST}:{port}/"],
            capture_output=True, text=True, check=False)
        if got.stdout == "200":
            return
        time.sleep(0.2)
    raise SystemExit(f"HTTPS did not answer on {port}")


#: wrk sends the URL's host as SNI and connects where it resolves; the router refuses a
#: handshake without a known name, and the test domain resolves nowhere: this script
#: makes wrk connect to loopback while it keeps the name for SNI and Host.
LOOPBACK_LUA = """function wrk.resolve(host, service)
   wrk.addrs = wrk.lookup("127.0.0.1", service)
end
"""


def wrk_loopback(url: str, connections: int, seconds: int, tmp: Path) -> float:
    script = tmp / "loopback.lua"
    script.write_text(LOOPBACK_LUA)
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}",
                          f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None:
        raise SystemExit(f"wrk printed no rate:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    if errors:
        print(f"    ({errors.group(0)} from {url})")
    return float(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    subprocess.run(["paas", "stack", "build"], check=True)
    with tempfile.TemporaryDirectory(prefix="paas-bench-https-") as tmp:
        p = Platform(Path(tmp), https_port=free_port())
        try:
            p.start()
            p.login()
            _deploy(p, "bench-flask", "bflask")
            assert p.paas("domains:add", HOST, "-a", "bflask").code == 0
            ca = PrivateCA()
            leaf, key = ca.leaf(HOST)
            (Path(tmp) / "chain.pem").write_bytes(pem(leaf, ca.inter, ca.root))
            (Path(tmp) / "key.pem").write_bytes(key_pem(key))
            (Path(tmp) / "ca.pem").write_bytes(pem(ca.root))
            added = p.paas("certs:add", str(Path(tmp) / "chain.pem"),
                           str(Path(tmp) / "key.pem"), "-a", "bflask")
            if added.code != 0:
                raise SystemExit(added.text)
            assert p.paas("certs:redirect", "off", "-a", "bflask").code == 0
            assert p.https_port is not None
            _wait_https(p.https_port, Path(tmp) / "ca.pem")

            c, secs = args.connections, args.seconds
            print(f"wrk, {secs} s per run, {c} connections, keep-alive; 2 cores shared by "
                  "the router, the app, wrk and other work on the machine")
            # Interleaved rounds: load from other work on the machine falls on both.
            http, https = [], []
            for _ in range(args.rounds):
                http.append(wrk(f"http://127.0.0.1:{p.router_port}/", c, secs, HOST))
                https.append(wrk_loopback(f"https://{HOST}:{p.https_port}/", c, secs,
                                          Path(tmp)))
            for i, (a, b) in enumerate(zip(http, https, strict=True), 1):
                print(f"  round {i}: HTTP {a:,.0f} req/s, HTTPS {b:,.0f} req/s")
            print(f"Flask /: HTTP {max(http):,.0f} req/s; HTTPS (HTTP/1.1 over TLS 1.3) "
                  f"{max(https):,.0f} req/s (best rounds); ratio HTTPS/HTTP "
                  f"{max(https) / max(http):.2f}")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
