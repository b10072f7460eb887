"""Add-ons on the Docker engine: a Redis container per app with its data on a volume.

Container and volume carry the instance label (so cleanup of a platform finds them) and
sit on the platform network, where app replicas reach Redis by the container's name.
The platform server, on the host, reaches it by the container's address on that network.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
import time

import docker
import docker.errors
import redis
from docker.models.containers import Container

from paas.domain.addons import REDIS_PORT, Addon
from paas.errors import InvalidInput, RuntimeUnavailable
from paas.runtime.docker import labels as L
from paas.settings import Settings

DATA_DIR = "/data"
#: Outside the data volume: rewritten whenever the container is created.
CONF_DIR = "/etc/paas"
CONF_NAME = "redis.conf"
_SAFE_SECRET = re.compile(r"[A-Za-z0-9_-]{16,128}")


def redis_config(password: str) -> str:
    """redis.conf of an add-on. The password goes in a file, not on the command line,
    where the host's ``ps`` and ``docker inspect`` would show it."""
    if not _SAFE_SECRET.fullmatch(password):
        raise InvalidInput("an add-on password must be 16-128 URL-safe characters")
    return "\n".join([
        "bind 0.0.0.0",  # inside its own network namespace; the password guards it
        f"port {REDIS_PORT}",
        "protected-mode no",
        f'requirepass "{password}"',
        "appendonly yes",
        f"dir {DATA_DIR}",
    ]) + "\n"


def _dir_archive(name: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(info)
    return buf.getvalue()


def _conf_archive(text: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo(CONF_NAME)
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class DockerAddons:
    def __init__(self, client: docker.DockerClient, settings: Settings,
                 ready_timeout: float = 30.0) -> None:
        self.client = client
        self.settings = settings
        self.instance = settings.instance
        self.network = L.network_name(self.instance)
        self.ready_timeout = ready_timeout

    def _labels(self, addon: Addon) -> dict[str, str]:
        return {L.INSTANCE: self.instance, L.ROLE: L.ROLE_ADDON, L.APP: addon.app,
                L.ADDON: addon.kind}

    def _find(self, app: str, kind: str | None = None) -> list[Container]:
        labels = {L.ROLE: L.ROLE_ADDON, L.APP: app, **({L.ADDON: kind} if kind else {})}
        return list(self.client.containers.list(
            all=True, filters=L.filters(self.instance, **labels), ignore_removed=True))

    def _ensure_network(self) -> None:
        if not any(n.name == self.network for n in self.client.networks.list(
                names=[self.network])):
            self.client.networks.create(self.network, driver="bridge",
                                        labels={L.INSTANCE: self.instance})

    def ensure(self, addon: Addon) -> str:
        """Run the add-on (create, or start a stopped one) and wait until it answers.

        Returns the host name app replicas reach it by. Idempotent: the same volume and
        password come back after a restart, so the app's REDIS_URL stays valid.
        """
        name = self.hostname(addon.app, addon.kind)
        self._ensure_network()
        found = self._find(addon.app, addon.kind)
        try:
            if found:
                container = found[0]
                if container.status != "running":
                    container.start()
            else:
                try:
                    self.client.volumes.get(name)  # data of an earlier container: keep it
                except docker.errors.NotFound:
                    self.client.volumes.create(name, labels=self._labels(addon))
                container = self.client.containers.create(
                    self.settings.stack.redis,
                    command=["redis-server", f"{CONF_DIR}/{CONF_NAME}"],
                    name=name,
                    hostname=name,
                    network=self.network,
                    volumes={name: {"bind": DATA_DIR, "mode": "rw"}},
                    labels=self._labels(addon),
                    restart_policy={"Name": "unless-stopped"},
                )
                try:
                    self._install_config(container, addon.password)
                    container.start()
                except BaseException:
                    container.remove(force=True)
                    raise
        except docker.errors.ImageNotFound as e:
            raise RuntimeUnavailable(
                f"redis image {self.settings.stack.redis} is missing: run `paas stack build`"
            ) from e
        except docker.errors.APIError as e:
            raise RuntimeUnavailable(f"cannot start {addon.kind} for {addon.app}: "
                                     f"{e.explanation or e}") from e
        self._wait_ready(container, addon)
        return name

    def _install_config(self, container: Container, password: str) -> None:
        # put_archive needs an existing directory: the stack image has /etc, not /etc/paas
        container.put_archive("/etc", _dir_archive("paas"))
        container.put_archive(CONF_DIR, _conf_archive(redis_config(password)))

    def _wait_ready(self, container: Container, addon: Addon) -> None:
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            ip = self._ip(container)
            if ip:
                client = redis.Redis(host=ip, port=REDIS_PORT, password=addon.password,
                                     socket_timeout=1, socket_connect_timeout=1)
                try:
                    if client.ping():
                        return
                except redis.RedisError as e:
                    last = str(e)
                finally:
                    client.close()
            container.reload()
            if container.status == "exited":
                last = "container exited"
                break
            time.sleep(0.1)
        tail = bytes(container.logs(tail=5)).decode(errors="replace").strip()
        raise RuntimeUnavailable(f"{addon.kind} for {addon.app} did not start ({last}): {tail}")

    def _ip(self, container: Container) -> str | None:
        container.reload()
        nets = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
        ip = (nets.get(self.network) or {}).get("IPAddress")
        return str(ip) if ip else None

    def hostname(self, app: str, kind: str) -> str:
        return L.addon_name(self.instance, app, kind)

    def address(self, app: str, kind: str) -> str | None:
        """Where the platform server (on the host) reaches the add-on: its network IP."""
        found = [c for c in self._find(app, kind) if c.status == "running"]
        return self._ip(found[0]) if found else None

    def remove(self, app: str, kind: str | None = None) -> None:
        """Remove the add-on's container and its data volume; idempotent."""
        for c in self._find(app, kind):
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True)
        labels = {L.ROLE: L.ROLE_ADDON, L.APP: app, **({L.ADDON: kind} if kind else {})}
        for v in self.client.volumes.list(filters=L.filters(self.instance, **labels)):
            with contextlib.suppress(docker.errors.NotFound):
                v.remove(force=True)
