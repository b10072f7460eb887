"""The router container: a real nginx whose config the platform writes and reloads."""

from __future__ import annotations

import http.client
import os
import tempfile
import time
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container

from paas.errors import DeployFailed, RuntimeUnavailable
from paas.router.config import CONTROL_HOST, LISTEN_PORT, Route, render_config
from paas.runtime.docker import labels as L
from paas.settings import Settings

CONF_DIR = "/etc/paas-router"
STATIC_DIR = "/srv/static"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    Path(tmp).chmod(0o644)
    Path(tmp).replace(path)


class Router:
    def __init__(self, client: docker.DockerClient, settings: Settings, network: str) -> None:
        self.client = client
        self.settings = settings
        self.network = network
        self.name = L.router_name(settings.instance)
        self.conf_path = settings.router_dir / "nginx.conf"
        self.static_dir = settings.home / "static"

    @property
    def _probe_host(self) -> str:
        host = self.settings.public_router_host
        return "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104

    def _find(self) -> Container | None:
        found = self.client.containers.list(
            all=True, filters=L.filters(self.settings.instance, **{L.ROLE: L.ROLE_ROUTER})
        )
        return found[0] if found else None

    def ensure(self, routes: list[Route]) -> Container:
        """Start the router when absent or configured differently; keeps a healthy one."""
        port_label = f"{self.settings.public_router_host}:{self.settings.router_port}"
        current = self._find()
        if current is not None and current.labels.get(L.ROUTER_PORT) == port_label:
            if current.status != "running":
                current.start()
            return current
        if current is not None:
            current.remove(force=True)
        if not self.conf_path.exists():
            write_atomic(self.conf_path, render_config(routes, time.time_ns()))
        self.static_dir.mkdir(parents=True, exist_ok=True)
        try:
            container = self.client.containers.run(
                self.settings.stack.router,
                command=["nginx", "-c", f"{CONF_DIR}/nginx.conf", "-g", "daemon off;"],
                name=self.name,
                detach=True,
                network=self.network,
                ports={
                    f"{LISTEN_PORT}/tcp": (
                        self.settings.public_router_host,
                        self.settings.router_port,
                    )
                },
                volumes={
                    str(self.settings.router_dir): {"bind": CONF_DIR, "mode": "ro"},
                    str(self.static_dir): {"bind": STATIC_DIR, "mode": "ro"},
                },
                labels={
                    L.INSTANCE: self.settings.instance,
                    L.ROLE: L.ROLE_ROUTER,
                    L.ROUTER_PORT: port_label,
                },
                restart_policy={"Name": "unless-stopped"},
            )
        except docker.errors.ImageNotFound as e:
            raise RuntimeUnavailable(
                f"router image {self.settings.stack.router} is missing: run `paas stack build`"
            ) from e
        except docker.errors.APIError as e:
            raise RuntimeUnavailable(f"cannot start the router: {e.explanation or e}") from e
        return container

    @staticmethod
    def _worker_pids(container: Container) -> set[str]:
        """Host PIDs of nginx worker processes, from the engine's ``top`` (no ps needed)."""
        top = container.top()
        titles = top.get("Titles", [])
        pid_col, cmd_col = titles.index("PID"), titles.index("CMD")
        return {
            row[pid_col] for row in top.get("Processes") or []
            if "worker process" in row[cmd_col]
        }

    def apply(self, routes: list[Route], timeout: float = 30.0) -> None:
        """Write the config, check it with ``nginx -t``, reload, and wait until it serves.

        Old replicas may be stopped only when no nginx worker can still send them a
        request: ``nginx -s reload`` returns before new workers run, and old workers keep
        accepting connections until they get their QUIT, then drain in-flight requests.
        So we wait for the new generation to answer *and* for every old worker to exit.
        """
        container = self.ensure(routes)
        old_workers = self._worker_pids(container) if container.status == "running" else set()
        generation = time.time_ns()
        previous = self.conf_path.read_text() if self.conf_path.exists() else None
        write_atomic(self.conf_path, render_config(routes, generation))
        test = container.exec_run(["nginx", "-t", "-q", "-c", f"{CONF_DIR}/nginx.conf"])
        if test.exit_code != 0:
            if previous is not None:
                write_atomic(self.conf_path, previous)
            raise DeployFailed(
                "router config rejected by nginx: " + test.output.decode(errors="replace").strip()
            )
        container.exec_run(["nginx", "-s", "reload", "-c", f"{CONF_DIR}/nginx.conf"])
        deadline = time.monotonic() + timeout
        while self.generation() != generation or old_workers & self._worker_pids(container):
            if time.monotonic() > deadline:
                raise DeployFailed("router did not load its new config in time")
            time.sleep(0.05)

    def generation(self) -> int | None:
        conn = http.client.HTTPConnection(self._probe_host, self.settings.router_port, timeout=2)
        try:
            conn.request("GET", "/__paas/generation", headers={"Host": CONTROL_HOST})
            resp = conn.getresponse()
            body = resp.read().decode().strip()
            return int(body) if resp.status == 200 and body.isdigit() else None
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def remove(self) -> None:
        c = self._find()
        if c is not None:
            c.remove(force=True)
