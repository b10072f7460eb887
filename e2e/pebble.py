"""Let's Encrypt's Pebble, a real ACME server, for the HTTPS journeys.

Built from the Go module proxy once per version into a cache outside the repository
(``$XDG_CACHE_HOME/paas/pebble/VERSION``, with GOPATH, GOMODCACHE and GOCACHE under it),
so CI builds it on a fresh machine and never commits a binary. pebble-challtestsrv,
from the same module, is the DNS server Pebble asks: it answers 127.0.0.1 for every
name, so Pebble validates HTTP-01 by connecting to the router's HTTP port on loopback.
Pebble's CAs (its API's minica and the issuing root it makes at start) are trusted
only by the processes of the test that are told about them.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from e2e.harness import free_port

VERSION = "v2.10.3"
MODULE = "github.com/letsencrypt/pebble/v2"


def cache_dir(version: str = VERSION) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paas" / "pebble" / version


def go() -> str:
    found = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(found).exists():
        raise RuntimeError("Go is needed to build Pebble: install it (/usr/local/go/bin/go)")
    return found


def build(version: str = VERSION) -> Path:
    """The directory holding ``pebble`` and ``pebble-challtestsrv``; built when missing
    (about a minute cold on 2 cores: mostly module downloads)."""
    root = cache_dir(version)
    bin_dir = root / "bin"
    if all((bin_dir / b).exists() for b in ("pebble", "pebble-challtestsrv")):
        return bin_dir
    env = {**os.environ, "GOPATH": str(root / "gopath"),
           "GOMODCACHE": str(root / "gopath" / "pkg" / "mod"),
           "GOCACHE": str(root / "gocache"), "GOBIN": str(bin_dir),
           # module files read-only by default would make the cache undeletable
           "GOFLAGS": "-modcacherw"}
    started = time.monotonic()
    subprocess.run([go(), "install", f"{MODULE}/cmd/pebble@{version}",
                    f"{MODULE}/cmd/pebble-challtestsrv@{version}"],
                   env=env, check=True, capture_output=True, timeout=1800)
    print(f"built Pebble {version} in {time.monotonic() - started:.0f}s into {bin_dir}")
    return bin_dir


def module_dir(version: str = VERSION) -> Path:
    return cache_dir(version) / "gopath" / "pkg" / "mod" / f"{MODULE}@{version}"


@dataclass
class Pebble:
    """Pebble and its DNS, on loopback; ``http_port`` is where it validates HTTP-01."""

    base: Path
    http_port: int
    #: Lifetime of issued certificates, in seconds (short: renewal comes quickly).
    validity: int = 90 * 86400
    port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    dns_port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def directory(self) -> str:
        return f"https://localhost:{self.port}/dir"

    @property
    def api_ca(self) -> Path:
        """The minica that signed Pebble's own HTTPS certificate."""
        return module_dir() / "test" / "certs" / "pebble.minica.pem"

    def start(self) -> None:
        bin_dir = build()
        certs = module_dir() / "test" / "certs" / "localhost"
        config = self.base / "pebble.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(certs / "cert.pem"), "privateKey": str(certs / "key.pem"),
            "httpPort": self.http_port, "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
            "retryAfter": {"authz": 1, "order": 1},
            "profiles": {"default": {"description": "test", "validityPeriod": self.validity}},
        }}))
        log = (self.base / "pebble.log").open("ab")
        self.procs.append(subprocess.Popen(
            [str(bin_dir / "pebble-challtestsrv"), "-dnsserver", f"127.0.0.1:{self.dns_port}",
             "-management", f"127.0.0.1:{free_port()}", "-defaultIPv4", "127.0.0.1",
             "-defaultIPv6", "", "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", ""],
            stdout=log, stderr=subprocess.STDOUT))
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
               # validate again on each order: a renewal proves control like the first time
               "PEBBLE_AUTHZREUSE": "0", "PEBBLE_VA_ALWAYS_VALID": "0"}
        self.procs.append(subprocess.Popen(
            [str(bin_dir / "pebble"), "-config", str(config),
             "-dnsserver", f"127.0.0.1:{self.dns_port}"],
            stdout=log, stderr=subprocess.STDOUT, env=env))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._get(self.directory)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Pebble did not start: {(self.base / 'pebble.log').read_text()}")

    def _get(self, url: str) -> bytes:
        context = ssl.create_default_context(cafile=str(self.api_ca))
        with urllib.request.urlopen(url, context=context, timeout=5) as resp:
            return bytes(resp.read())

    def root_pem(self) -> bytes:
        """The root Pebble issues under (made fresh at each start)."""
        return self._get(f"https://localhost:{self.management_port}/roots/0")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()
