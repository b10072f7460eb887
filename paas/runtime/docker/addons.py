"""Add-ons on the Docker engine: one container per app and kind, its data on a volume.

Everything kind-specific comes from the kind's record (``paas.domain.addons.KINDS``):
image, command, files, environment, data directory and readiness check. Container and
volume carry the instance label (so cleanup of a platform finds them) and sit on the
app's own network only, where its replicas reach the add-on by the container's name and
no other app can reach or even resolve it. The platform server, on the host, reaches it
by the container's address on that network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from paas.domain.addons import Addon, AddonKind, kind_of
from paas.domain.addons import redis_config as redis_config
from paas.errors import RuntimeUnavailable
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import (
    Container,
    DockerEngine,
    Engine,
    EngineError,
    File,
    ImageMissing,
    Spec,
)
from paas.runtime.docker.networks import AppNetworks
from paas.settings import Settings

if TYPE_CHECKING:
    import docker


class DockerAddons:
    def __init__(self, client: docker.DockerClient | None, settings: Settings,
                 ready_timeout: float = 30.0, *, engine: Engine | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        found = engine or (DockerEngine(client) if client is not None else None)
        if found is None:
            raise ValueError("DockerAddons needs a docker client or an engine")
        self.engine: Engine = found
        self.settings = settings
        self.instance = settings.instance
        self.networks = AppNetworks(self.engine, settings)
        self.ready_timeout = ready_timeout
        self.sleep = sleep

    def _labels(self, app: str, kind: str | None = None) -> dict[str, str]:
        return L.selector(self.instance, **{L.ROLE: L.ROLE_ADDON, L.APP: app,
                                            **({L.ADDON: kind} if kind else {})})

    def _find(self, app: str, kind: str | None = None) -> list[Container]:
        return self.engine.containers(self._labels(app, kind))

    def _spec(self, addon: Addon, kind: AddonKind, name: str) -> Spec:
        return Spec(
            image=getattr(self.settings.stack, kind.image),
            command=kind.command,
            name=name,
            hostname=name,
            network=self.networks.name(addon.app),
            environment=kind.environment(addon.password),
            volumes={name: (kind.data_dir, "rw")},
            files=tuple(File(f.path, f.render(addon.password).encode(), f.mode)
                        for f in kind.files),
            labels=self._labels(addon.app, addon.kind),
            restart=True,
        )

    def ensure(self, addon: Addon) -> str:
        """Run the add-on (create, or start a stopped one) and wait until it answers.

        Returns the host name app replicas reach it by. Idempotent: the same volume and
        password come back after a restart, so the app's config vars stay valid.
        """
        kind = kind_of(addon)
        name = self.hostname(addon.app, addon.kind)
        try:
            network = self.networks.ensure(addon.app)
            found = self._find(addon.app, addon.kind)
            if found:
                container = found[0]
                self._move(container, network)
                if not container.running:
                    self.engine.start(container.id)
            else:
                # the volume may hold data of an earlier container: it is kept
                self.engine.ensure_volume(name, self._labels(addon.app, addon.kind))
                container = self.engine.create(self._spec(addon, kind, name))
                try:
                    self.engine.start(container.id)
                except BaseException:
                    self.engine.remove(container.id)
                    raise
        except ImageMissing as e:
            raise RuntimeUnavailable(
                f"{kind.name} image {getattr(self.settings.stack, kind.image)} is missing: "
                "run `paas stack build`") from e
        except EngineError as e:
            raise RuntimeUnavailable(
                f"cannot start {addon.kind} for {addon.app}: {e.message}") from e
        self._wait_ready(container.id, addon, kind)
        return name

    def _move(self, container: Container, network: str) -> None:
        """An add-on started before apps had their own networks moves onto its app's
        network (same name, same data) and off every other."""
        for other in container.networks:
            if other != network:
                self.engine.disconnect(container.id, other)
        if network not in container.networks:
            self.engine.connect(container.id, network)

    def _wait_ready(self, cid: str, addon: Addon, kind: AddonKind) -> None:
        """Run the kind's readiness command inside the container until it passes."""
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer"
        while True:
            try:
                code, output = self.engine.exec(cid, kind.ready,
                                                kind.ready_environment(addon.password))
                if code == 0:
                    return
                last = output.strip() or f"exit code {code}"
            except EngineError as e:
                last = e.message
            now = self.engine.inspect(cid)
            if now is None or now.state == "exited" or time.monotonic() >= deadline:
                if now is None or now.state == "exited":
                    last = "container exited"
                break
            self.sleep(0.1)
        tail = self.engine.logs(cid, 5).strip()
        raise RuntimeUnavailable(f"{addon.kind} for {addon.app} did not start ({last}): {tail}")

    def hostname(self, app: str, kind: str) -> str:
        return L.addon_name(self.instance, app, kind)

    def address(self, app: str, kind: str) -> str | None:
        """Where the platform server (on the host) reaches the add-on: its network IP."""
        found = [c for c in self._find(app, kind) if c.running]
        return self.engine.ip(found[0].id, self.networks.name(app)) if found else None

    def remove(self, app: str, kind: str | None = None) -> None:
        """Remove the add-on's container and its data volume; idempotent."""
        for c in self._find(app, kind):
            self.engine.remove(c.id)
        self.engine.remove_labelled(self._labels(app, kind))
