"""Add-ons on the Docker engine: one container per app and kind, its data on a volume.

Everything kind-specific comes from the kind's record (``paas.domain.addons.KINDS``):
image, command, files, environment, data directory and readiness check. Container and
volume carry the instance label (so cleanup of a platform finds them) and sit on the
app's own network only, where its replicas reach the add-on by the container's name and
no other app can reach or even resolve it. The platform server, on the host, reaches it
by the container's address on that network.

Backups, restores, reports and consoles are the kind's own commands run inside the
running add-on container (``docker exec``), their streams piped to files or to the
user's terminal; the password reaches them in the exec's environment, never argv.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from paas.domain.addons import LOOPBACK, Addon, AddonKind, kind_of
from paas.domain.addons import redis_config as redis_config
from paas.errors import BackupFailed, InvalidInput, RuntimeUnavailable
from paas.runtime.docker import confine
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import (
    ByteSink,
    Container,
    DockerEngine,
    Engine,
    EngineError,
    File,
    ImageMissing,
    Spec,
)
from paas.runtime.docker.networks import AppNetworks
from paas.runtime.docker.oneoff import DockerOneOff
from paas.runtime.port import OneOff
from paas.settings import Settings

if TYPE_CHECKING:
    import docker


class ExecStreams(Protocol):
    """Commands in a running container with their streams (``DockerEngine`` has them)."""

    def exec_stream(self, cid: str, argv: Sequence[str], environment: Mapping[str, str],
                    stdin: BinaryIO | None, stdout: ByteSink) -> tuple[int, str]: ...
    def exec_attached(self, cid: str, argv: Sequence[str], environment: Mapping[str, str],
                      tty: bool) -> tuple[str, Any]: ...
    def exec_resize(self, exec_id: str, rows: int, cols: int) -> None: ...
    def exec_exit_code(self, exec_id: str, timeout: float = 10.0) -> int: ...


class ConsoleSession(DockerOneOff):
    """An add-on's console (psql) attached like ``paas run``, but a command inside the
    add-on's container: it ends with the command, and the container stays."""

    def __init__(self, streams: ExecStreams, exec_id: str, name: str, sock: Any,
                 tty: bool) -> None:
        super().__init__(None, exec_id, name, sock, tty)  # type: ignore[arg-type]
        self.streams = streams

    def resize(self, rows: int, cols: int) -> None:
        if self.tty:
            self.streams.exec_resize(self.cid, rows, cols)

    def wait(self) -> int:
        try:
            return self.streams.exec_exit_code(self.cid)
        except EngineError:
            return 137

    def close(self) -> None:
        """Hang up: the closed stream is EOF on the console's stdin, and it exits."""
        with contextlib.suppress(OSError):
            self._io.close()


class DockerAddons:
    def __init__(self, client: docker.DockerClient | None, settings: Settings,
                 ready_timeout: float = 30.0, *, engine: Engine | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        #: The streaming side (backups, consoles), only on a real engine.
        real = DockerEngine(client) if client is not None else None
        found = engine or real
        if found is None:
            raise ValueError("DockerAddons needs a docker client or an engine")
        self.engine: Engine = found
        self.streams: ExecStreams | None = real if engine is None else None
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
            confinement=confine.for_addon(capabilities=kind.capabilities),
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
                                                kind.client_environment(addon.password))
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

    # commands of the kind inside the running add-on -----------------------------------
    def _running(self, addon: Addon) -> str:
        found = [c for c in self._find(addon.app, addon.kind) if c.running]
        if not found:
            raise RuntimeUnavailable(f"the {addon.kind} add-on of {addon.app} is not running")
        return found[0].id

    def _streams(self) -> ExecStreams:
        if self.streams is None:
            raise RuntimeUnavailable("add-on backups and consoles need a Docker engine")
        return self.streams

    def _exec(self, addon: Addon, argv: Sequence[str], stdin: BinaryIO | None,
              stdout: ByteSink, what: str) -> None:
        kind = kind_of(addon)
        code, errors = self._streams().exec_stream(
            self._running(addon), argv, kind.client_environment(addon.password), stdin, stdout)
        if code != 0:
            tail = errors.strip().splitlines()[-1:] or [f"exit code {code}"]
            raise BackupFailed(f"{what} failed: {tail[0]}", errors.strip())

    def backup(self, addon: Addon, sink: ByteSink) -> None:
        """Write a backup of the add-on's data to ``sink``, while the app keeps serving."""
        kind = kind_of(addon)
        if kind.backup is None:
            raise InvalidInput(f"the {kind.name} add-on has no backups")
        self._exec(addon, kind.backup(LOOPBACK), None, sink, f"the {kind.name} backup")

    def restore(self, addon: Addon, source: BinaryIO) -> None:
        """Replace the add-on's data with a backup; on failure the data is as it was."""
        kind = kind_of(addon)
        if kind.restore is None:
            raise InvalidInput(f"the {kind.name} add-on has no restore")
        self._exec(addon, kind.restore(LOOPBACK), source, _Discard(),
                   f"the {kind.name} restore (the data is unchanged)")

    def info(self, addon: Addon) -> dict[str, str]:
        """What the kind reports about itself (version, size, connections...)."""
        kind = kind_of(addon)
        if kind.info is None:
            return {}
        out = _Collect()
        self._exec(addon, kind.info, None, out, f"reading {kind.name}")
        found = {}
        for line in out.text().splitlines():
            key, sep, value = line.partition("\t")
            if sep:
                found[key.strip()] = value.strip()
        return found

    def console(self, addon: Addon, command: str | None, tty: bool, rows: int, cols: int
                ) -> OneOff:
        """The kind's interactive client inside the add-on, attached like ``paas run``."""
        kind = kind_of(addon)
        if kind.console is None:
            raise InvalidInput(f"the {kind.name} add-on has no console")
        streams = self._streams()
        exec_id, sock = streams.exec_attached(
            self._running(addon), kind.console(command), kind.client_environment(
                addon.password), tty)
        session = ConsoleSession(streams, exec_id, f"{addon.kind}-console", sock, tty)
        session.resize(rows, cols)
        return session


class _Discard:
    """A sink for output nobody reads (pg_restore prints nothing on stdout)."""

    def write(self, data: bytes) -> int:
        return len(data)


class _Collect:
    """A bounded sink for a report: enough for a few lines, never a flood."""

    LIMIT = 64 * 1024

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        if len(self.data) < self.LIMIT:
            self.data += data[: self.LIMIT - len(self.data)]
        return len(data)

    def text(self) -> str:
        return self.data.decode(errors="replace")
