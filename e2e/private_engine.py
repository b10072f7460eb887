"""A private Docker engine that a test may stop and start, beside the shared one.

Restarting the host's engine would stop every other paas instance on it, so a test that
proves data survives an engine restart gets a dockerd of its own:

- its own ``--data-root``, ``--exec-root``, ``--pidfile``, socket and (empty) config
  file, all under one temporary folder; it starts its own containerd there too;
- in a network namespace of its own, so the bridges and iptables chains it makes never
  touch the host's (whose ``DOCKER``, ``DOCKER-USER`` and NAT rules belong to the
  shared engine): the namespace of a sleeping "sandbox" container on the shared engine,
  which also gives it the way out (the shared engine's NAT) that builds need for PyPI.
  dockerd runs on the host and only enters that namespace (``nsenter --net``), so its
  mounts, cgroups and files are the host's;
- the stack images it needs, copied from the shared engine (one ``docker save`` of them
  all streamed into ``docker load``: shared layers travel once).

A platform server that drives it runs in the same namespace (``launcher``) and listens
on the sandbox's address, which the host (the CLI, git, HTTP) reaches directly.
``restart`` stops dockerd with SIGTERM, waits for it, and starts it again with the same
arguments, as ``systemctl restart docker`` does; containers come back only by their
restart policies. ``close`` stops dockerd, removes the sandbox and the folder.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docker
import docker.errors

#: Label of the sandbox containers (on the shared engine), for finding leftovers.
LABEL = "paas.e2e.private-engine"
#: The private engine's default bridge: away from the shared engine's pools and from
#: the platform's app network pool.
BRIDGE_IP = "172.31.254.1/24"


class PrivateEngine:
    def __init__(self, sandbox_image: str, start_timeout: float = 60.0) -> None:
        self.shared = docker.from_env()
        # a short path: a unix socket path has at most 107 bytes
        self.root = Path(tempfile.mkdtemp(prefix="paas-engine-", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.pidfile = self.root / "docker.pid"
        self.log = self.root / "dockerd.log"
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        config = self.root / "daemon.json"
        config.write_text("{}\n")  # never the host's /etc/docker/daemon.json
        self.sandbox: Any = None
        try:
            self.sandbox = self.shared.containers.run(
                sandbox_image, ["sleep", "infinity"], detach=True,
                name=f"paas-e2e-engine-{uuid.uuid4().hex[:8]}", labels={LABEL: "1"},
                auto_remove=False)
            self.sandbox.reload()
            self.address = str(self.sandbox.attrs["NetworkSettings"]["IPAddress"])
            self.netns = f"/proc/{self.sandbox.attrs['State']['Pid']}/ns/net"
            self.args = [
                "dockerd", "--config-file", str(config),
                "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
                "--pidfile", str(self.pidfile), "-H", f"unix://{self.socket}",
                "--bip", BRIDGE_IP, "--ip6tables=false", "--log-level", "warn",
            ]
            self.start()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """``DOCKER_HOST`` of the private engine."""
        return f"unix://{self.socket}"

    @property
    def launcher(self) -> tuple[str, ...]:
        """Prefix of a command that must run in the engine's network namespace."""
        return ("nsenter", f"--net={self.netns}", "--")

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([*self.launcher, *self.args], stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"private dockerd exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(docker.errors.DockerException, OSError):
                client = self.client()
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"private dockerd did not answer within "
                                   f"{self.start_timeout:.0f}s: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self, timeout: float = 120.0) -> None:
        """SIGTERM, as an init system stops the engine: it stops its containers (their
        own stop timeouts), its containerd, and exits."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def load(self, images: Sequence[str]) -> None:
        """Copy ``images`` from the shared engine: one save of them all, streamed into
        this engine's load."""
        api = self.shared.api
        saved = api._get(api._url("/images/get"), params={"names": list(images)}, stream=True)
        api._raise_for_status(saved)
        client = self.client()
        try:
            for _ in client.api.load_image(saved.iter_content(1024 * 1024)):
                pass  # the load ends when its progress stream does
            missing = [i for i in images if not _has(client, i)]
        finally:
            client.close()
            saved.close()
        if missing:
            raise RuntimeError(f"images not loaded into the private engine: {missing}")

    def close(self) -> None:
        """Stop dockerd, remove the sandbox and every file; nothing stays mounted."""
        self.stop()
        if self.sandbox is not None:
            with contextlib.suppress(docker.errors.NotFound):
                self.sandbox.remove(force=True)
            self.sandbox = None
        with contextlib.suppress(FileNotFoundError):
            mounts = Path("/proc/mounts").read_text().splitlines()
            for line in sorted(mounts, key=len, reverse=True):  # a leftover mount, if any
                where = line.split()[1]
                if where.startswith(f"{self.root}/"):
                    subprocess.run(["umount", "-l", where], check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.shared.close()


def _has(client: docker.DockerClient, image: str) -> bool:
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False

