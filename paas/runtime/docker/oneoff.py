"""``paas run``: a one-off container of the current release, attached like ``docker run -i``.

The container gets the release's image and config on the app's own network (so it
reaches the app's add-ons and nothing of other apps), confined like a replica, labelled
``role=run`` so a platform restart removes what a lost session left. It is attached
before it starts, so not a byte of output is missed, and removed however the session
ends.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import Mapping, Sequence
from typing import Any

from paas.errors import DeployFailed, NotFound
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import (
    FRAME,
    Confinement,
    DockerEngine,
    EngineError,
    ImageMissing,
    read_exactly,
)
from paas.runtime.port import STDOUT

_CHUNK = 64 * 1024


def command_argv(command: Sequence[str]) -> list[str]:
    """One argument is a shell line (like a Procfile entry); several are run as they are."""
    return ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)


class DockerOneOff:
    """An attached one-off container: bytes in, (stream, bytes) out, an exit code at the end."""

    def __init__(self, engine: DockerEngine, cid: str, name: str, sock: Any,
                 tty: bool) -> None:
        self.engine = engine
        self.cid = cid
        self._name = name
        self.tty = tty
        self._io = sock
        # docker-py hands back a SocketIO around the connection; half-close needs the socket.
        self.sock: socket.socket = getattr(sock, "_sock", sock)

    @property
    def name(self) -> str:
        return self._name

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close_stdin(self) -> None:
        """EOF on the command's stdin (``stdin_once``: the engine closes it for the process)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def recv(self) -> tuple[int, bytes] | None:
        """The next piece of output and its stream (1 stdout, 2 stderr); None at the end."""
        try:
            if self.tty:
                data = self.sock.recv(_CHUNK)
                return (STDOUT, data) if data else None
            while True:
                header = read_exactly(self.sock, FRAME.size)
                if header is None:
                    return None
                stream, size = FRAME.unpack(header)
                payload = read_exactly(self.sock, size) if size else b""
                if payload is None:
                    return None
                if payload:
                    return stream, payload
        except OSError:
            return None

    def resize(self, rows: int, cols: int) -> None:
        if self.tty:
            self.engine.resize(self.cid, rows, cols)

    def wait(self) -> int:
        """The exit code once the command ended (137 when it was killed)."""
        try:
            return self.engine.wait(self.cid)
        except EngineError:
            return 137

    def close(self) -> None:
        """Kill (if still running) and remove the container; idempotent."""
        with contextlib.suppress(OSError):
            self._io.close()
        with contextlib.suppress(EngineError):
            self.engine.remove(self.cid)


def start(engine: DockerEngine, *, image: str, command: Sequence[str],
          environment: Mapping[str, str], labels: Mapping[str, str], network: str,
          name_prefix: str, tty: bool, rows: int, cols: int,
          confinement: Confinement,
          volumes: Mapping[str, tuple[str, str]] | None = None) -> DockerOneOff:
    """Create, attach and start the container; on any failure nothing is left behind."""
    suffix = secrets.token_hex(3)
    name = f"{name_prefix}-{suffix}"
    try:
        # Attached before it starts, so not a byte of output is missed.
        cid = engine.create_attached(
            image, command_argv(command), name=name, hostname=f"run-{suffix}",
            environment=environment, labels={**labels, L.ROLE: L.ROLE_RUN, L.PROCESS: "run"},
            network=network, tty=tty, confinement=confinement, volumes=volumes or {})
    except ImageMissing as e:
        raise NotFound(f"the image of the current release is gone: {image}") from e
    except EngineError as e:
        raise DeployFailed(e.message) from e
    try:
        oneoff = DockerOneOff(engine, cid, name, engine.attach(cid), tty)
        engine.start(cid)
        oneoff.resize(rows, cols)
        return oneoff
    except EngineError as e:
        with contextlib.suppress(EngineError):
            engine.remove(cid)
        raise DeployFailed(f"cannot start the one-off container: {e.message}") from e
