"""``paas run``: a one-off container of the current release, attached like ``docker run -i``.

The container gets the release's image and config on the platform network (so it reaches
add-ons), labelled ``role=run`` so a platform restart removes what a lost session left.
It is attached before it starts, so not a byte of output is missed, and removed however
the session ends.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from paas.errors import DeployFailed, NotFound
from paas.runtime.docker import labels as L
from paas.runtime.port import STDOUT

_HEADER = struct.Struct(">BxxxL")
_CHUNK = 64 * 1024


def command_argv(command: Sequence[str]) -> list[str]:
    """One argument is a shell line (like a Procfile entry); several are run as they are."""
    return ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


class DockerOneOff:
    """An attached one-off container: bytes in, (stream, bytes) out, an exit code at the end."""

    def __init__(self, client: docker.DockerClient, container: Container, sock: Any,
                 tty: bool) -> None:
        self.client = client
        self.container = container
        self.tty = tty
        self._io = sock
        # docker-py hands back a SocketIO around the connection; half-close needs the socket.
        self.sock: socket.socket = getattr(sock, "_sock", sock)

    @property
    def name(self) -> str:
        return self.container.name or ""

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
                header = _read_exactly(self.sock, _HEADER.size)
                if not header:
                    return None
                stream, size = _HEADER.unpack(header)
                payload = _read_exactly(self.sock, size) if size else b""
                if size and not payload:
                    return None
                if payload:
                    return stream, payload
        except OSError:
            return None

    def resize(self, rows: int, cols: int) -> None:
        if self.tty:
            with contextlib.suppress(docker.errors.APIError):
                self.client.api.resize(self.container.id, height=rows, width=cols)

    def wait(self) -> int:
        """The exit code once the command ended (137 when it was killed)."""
        try:
            return int(self.container.wait().get("StatusCode", 1))
        except (docker.errors.NotFound, docker.errors.APIError):
            return 137

    def close(self) -> None:
        """Kill (if still running) and remove the container; idempotent."""
        with contextlib.suppress(OSError):
            self._io.close()
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            self.container.remove(force=True)


def start(client: docker.DockerClient, *, image: str, command: Sequence[str],
          environment: Mapping[str, str], labels: Mapping[str, str], network: str,
          name_prefix: str, tty: bool, rows: int, cols: int) -> DockerOneOff:
    """Create, attach and start the container; on any failure nothing is left behind."""
    suffix = secrets.token_hex(3)
    api = client.api
    try:
        # detach=False with stdin_open sets StdinOnce (and the Attach* flags): EOF on the
        # attach stream then closes the command's stdin, which `echo hi | paas run -- cat`
        # needs to end.
        created = api.create_container(
            image,
            command=command_argv(command),
            name=f"{name_prefix}-{suffix}",
            hostname=f"run-{suffix}",
            environment=dict(environment),
            labels={**labels, L.ROLE: L.ROLE_RUN, L.PROCESS: "run"},
            stdin_open=True,
            detach=False,
            tty=tty,
            host_config=api.create_host_config(init=True),
            networking_config=api.create_networking_config(
                {network: api.create_endpoint_config()}),
        )
        container = client.containers.get(created["Id"])
    except docker.errors.ImageNotFound as e:
        raise NotFound(f"the image of the current release is gone: {e.explanation}") from e
    except docker.errors.APIError as e:
        raise DeployFailed(f"cannot create the one-off container: {e.explanation or e}") from e
    try:
        sock = client.api.attach_socket(
            container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        oneoff = DockerOneOff(client, container, sock, tty)
        container.start()
        oneoff.resize(rows, cols)
        return oneoff
    except docker.errors.APIError as e:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
        raise DeployFailed(f"cannot start the one-off container: {e.explanation or e}") from e
