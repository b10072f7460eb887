"""Drives a real platform the way a user does: the `paas` CLI, `git push`, HTTP through nginx.

Each platform gets its own home, ports and user HOME, so the suite runs beside another
paas on the same engine, and removes every container, network and image it created.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from paas.runtime.docker import firewall
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import DockerEngine, children_first
from paas.settings import Settings, StackImages

ROOT = Path(__file__).resolve().parent.parent
APPS = Path(__file__).resolve().parent / "apps"
PAAS = str(Path(sys.executable).parent / "paas")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(check: Callable[[], Any], timeout: float = 120.0, every: float = 0.5) -> Any:
    """Poll until ``check`` returns something truthy; the deadline only bounds a hang."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:.0f}s")
        time.sleep(every)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def http_get(port: int, host: str, path: str = "/", timeout: float = 5.0,
             address: str = "127.0.0.1") -> tuple[int, str]:
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def network_gateway(client: docker.DockerClient, network: str) -> str:
    """The host's address on ``network``: its gateway, the subnet's first address when
    the network was created with a subnet only (as app networks are)."""
    config = client.networks.get(network).attrs["IPAM"]["Config"][0]
    if config.get("Gateway"):
        return str(config["Gateway"]).split("/")[0]
    return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


@dataclass
class Platform:
    """One running `paas server` with its own state, ports and CLI user."""

    base: Path
    port: int = field(default_factory=free_port)
    router_port: int = field(default_factory=free_port)
    #: Extra environment of the server process (PAAS_REGISTRY and friends).
    server_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    #: Extra `paas server` flags, e.g. a short autoscaling window for a quick test.
    server_args: tuple[str, ...] = ()
    #: The router's HTTPS port (``--router-https-port``); None: HTTP only.
    https_port: int | None = None
    #: Where the API listens and the router is reached (``--host``; the router then
    #: listens on every address).
    address: str = "127.0.0.1"
    #: Run before ``paas server`` (e.g. ``nsenter --net=...``: a server in another
    #: network namespace, beside a private engine; e2e/private_engine.py).
    launcher: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.home = self.base / "paas-home"
        self.user_home = self.base / "user"
        self.user_home.mkdir(parents=True, exist_ok=True)
        self.log_path = self.base / "server.log"
        self.instance = Settings(home=self.home).instance

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAAS_", "GIT_"))}
        env.update(
            HOME=str(self.user_home),
            XDG_CONFIG_HOME=str(self.user_home / ".config"),
            GIT_TERMINAL_PROMPT="0",
            GIT_AUTHOR_NAME="e2e", GIT_AUTHOR_EMAIL="e2e@localhost",
            GIT_COMMITTER_NAME="e2e", GIT_COMMITTER_EMAIL="e2e@localhost",
            GIT_CONFIG_NOSYSTEM="1",
        )
        env.update(extra)
        return env

    def start(self, timeout: float = 300.0) -> None:
        log = self.log_path.open("ab")
        # The router on every address (the server probes it on loopback, through the
        # engine's proxy, as its control endpoint requires), reached at ``address``.
        hosts = () if self.address == "127.0.0.1" else (
            "--host", self.address, "--router-host", "0.0.0.0")
        self.proc = subprocess.Popen(
            [*self.launcher, PAAS, "server", "--home", str(self.home), "--port", str(self.port),
             *hosts, "--router-port", str(self.router_port),
             *(("--router-https-port", str(self.https_port)) if self.https_port else ()),
             *self.server_args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env(**self.server_env),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"paas server exited: {self.log_path.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection(self.address, self.port, timeout=1)
                conn.request("GET", "/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("paas server did not answer in time")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def token(self) -> str:
        return (self.home / "admin-token").read_text().strip()

    def paas(self, *args: str, cwd: Path | None = None, **env: str) -> Result:
        p = subprocess.run([PAAS, *args], cwd=cwd or self.user_home, env=self.env(**env),
                           capture_output=True, text=True, timeout=600, check=False)
        return Result(p.returncode, p.stdout, p.stderr)

    def git(self, *args: str, cwd: Path) -> Result:
        p = subprocess.run(["git", *args], cwd=cwd, env=self.env(), capture_output=True,
                           text=True, timeout=900, check=False)
        return Result(p.returncode, p.stdout, p.stderr)

    def login(self) -> None:
        r = self.paas("login", self.url, "--token", self.token())
        assert r.code == 0, r.text

    def new_repo(self, template: str, name: str) -> Path:
        """A fresh git repo with the files of ``e2e/apps/<template>``, committed."""
        repo = self.base / "repos" / name
        shutil.copytree(APPS / template, repo)
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
            r = self.git(*args, cwd=repo)
            assert r.code == 0, r.text
        return repo

    def commit_all(self, repo: Path, message: str) -> None:
        for args in (["add", "-A"], ["commit", "-qm", message]):
            r = self.git(*args, cwd=repo)
            assert r.code == 0, r.text

    def get(self, app: str, path: str = "/") -> tuple[int, str]:
        return http_get(self.router_port, f"{app}.localhost", path, address=self.address)

    def cleanup(self) -> None:
        """Remove everything this platform created on the engine."""
        self.stop()
        client = docker.from_env()
        label = f"paas.instance={self.instance}"
        for c in client.containers.list(all=True, filters={"label": label}):
            try:
                c.remove(force=True)
            except docker.errors.APIError as e:
                # gone, or being removed by the platform already (an install's)
                if e.status_code not in (404, 409):
                    raise
        for n in client.networks.list(filters={"label": label}):
            n.remove()
        for v in client.volumes.list(filters={"label": label}):  # add-on data
            with contextlib.suppress(docker.errors.NotFound):
                v.remove(force=True)
        for img in children_first(client.images.list(all=True, filters={"label": label})):
            # an image may have gone already, with a child removed just before
            with contextlib.suppress(docker.errors.NotFound):
                client.images.remove(img.id, force=True)


def _firewall_helper() -> tuple[DockerEngine, str, dict[str, str]]:
    return (DockerEngine(docker.from_env()), StackImages().router,
            {L.INSTANCE: "e2e-firewall", L.ROLE: L.ROLE_HELPER})


def metadata_rule_present() -> bool:
    """Whether the host's metadata firewall rule (shared by every paas instance) is in."""
    return firewall.metadata_block_present(*_firewall_helper())


def remove_metadata_rule_if_unused() -> None:
    """Remove the shared metadata rule when no app network on the host still uses it:
    what the suite put there goes, what protects another instance stays."""
    if not list(Path("/sys/class/net").glob(firewall.BLOCKED_BRIDGE_PREFIX + "*")):
        firewall.remove_metadata_block(*_firewall_helper())
