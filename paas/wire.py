"""The byte protocol of ``paas run`` over an upgraded HTTP connection.

After ``101 Switching Protocols`` both sides send frames: a type byte, three zero bytes
and a big-endian length, then the payload (the header layout of the Docker engine's
attach stream). Separate frames for stdin's end, a terminal resize and the exit code let
one connection carry what a plain byte pipe cannot: ``echo hi | paas run -- cat`` needs
EOF on stdin while output still flows back, and the exit code must arrive after it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

#: The ``Upgrade:`` token the server accepts on POST /v1/apps/NAME/run.
UPGRADE = "paas-run"

# client -> server
STDIN = 0
STDIN_EOF = 3
RESIZE = 4
# server -> client (1 and 2 as in the attach stream)
STDOUT = 1
STDERR = 2
EXIT = 5
ERROR = 6

MAX_PAYLOAD = 1 << 20
_HEADER = struct.Struct(">BxxxL")


class ProtocolError(Exception):
    """The peer sent something that is not a frame of this protocol."""


def frame(kind: int, payload: bytes = b"") -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def resize_payload(rows: int, cols: int) -> bytes:
    return f"{rows} {cols}".encode()


def parse_resize(payload: bytes) -> tuple[int, int]:
    try:
        rows, cols = (int(x) for x in payload.split())
    except ValueError as e:
        raise ProtocolError(f"bad resize payload {payload[:40]!r}") from e
    if not (1 <= rows <= 10_000 and 1 <= cols <= 10_000):
        raise ProtocolError(f"terminal size out of range: {rows}x{cols}")
    return rows, cols


def read_frame(read_exactly: Callable[[int], bytes]) -> tuple[int, bytes] | None:
    """The next (type, payload); None on a clean end of stream between frames.

    ``read_exactly(n)`` returns n bytes, or fewer only at the end of the stream (what
    ``BufferedReader.read`` does on a socket).
    """
    header = read_exactly(_HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise ProtocolError("stream ended inside a frame header")
    kind, size = _HEADER.unpack(header)
    if size > MAX_PAYLOAD:
        raise ProtocolError(f"frame of {size} bytes exceeds {MAX_PAYLOAD}")
    payload = read_exactly(size) if size else b""
    if len(payload) < size:
        raise ProtocolError("stream ended inside a frame")
    return kind, payload
