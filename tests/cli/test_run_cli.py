"""``paas run``: the command's exit code is ours; an error the server sends instead is
one ``error:`` line. The server here is a socket speaking the paas-run frames."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from paas import wire
from paas.cli import cli
from paas.cli.application import Application


@pytest.fixture
def server() -> Iterator[tuple[str, list[bytes]]]:
    """A server that upgrades the connection, then sends the frames in ``frames``."""
    frames: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                         b"Upgrade: " + wire.UPGRADE.encode() + b"\r\n\r\n" + b"".join(frames))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", frames
    thread.join(5)
    listener.close()


def _run(url: str) -> Result:
    return CliRunner().invoke(cli, ["run", "-a", "shop", "--", "ls"], obj=Application(),
                              env={"PAAS_URL": url, "PAAS_TOKEN": "t"})


def test_the_commands_output_and_exit_code(server: tuple[str, list[bytes]]) -> None:
    url, frames = server
    frames += [wire.frame(wire.STDOUT, b"out\n"), wire.frame(wire.STDERR, b"err\n"),
               wire.frame(wire.EXIT, b"7")]
    r = _run(url)
    assert (r.exit_code, r.stdout, r.stderr) == (7, "out\n", "err\n")


def test_an_error_from_the_server_is_one_line(server: tuple[str, list[bytes]]) -> None:
    url, frames = server
    frames.append(wire.frame(wire.ERROR, b"the one-off container could not start"))
    r = _run(url)
    assert (r.exit_code, r.stderr) == (1, "error: the one-off container could not start\n")


def test_a_connection_lost_before_the_exit_code(server: tuple[str, list[bytes]]) -> None:
    url, _ = server
    r = _run(url)
    assert (r.exit_code, r.stderr) == (
        1, "error: lost the connection to the paas server before the command ended\n")
