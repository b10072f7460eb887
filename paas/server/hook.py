"""The pre-receive hook of every app repository: hands the push to the platform server.

git runs this inside ``git http-backend``; whatever it prints reaches the pusher as
``remote:`` lines, and a non-zero exit rejects the push, so a failed build changes
nothing. It imports only the standard library, and little of it: it starts on every
push, and the push waits for its imports (urllib.request's, ssl and email among them,
took longer than all the rest of the hook), so it speaks HTTP on a plain socket to the
platform's own loopback address.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

STATUS_PREFIX = "\x00paas-status:"
_QUARANTINE_ENV = ("GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                   "GIT_QUARANTINE_PATH")
#: Seconds the hook waits for the server's next bytes: a build streams output often.
TIMEOUT = 3600
#: The longest status line, header line or chunk-size line read from the server.
_LINE = 64 * 1024


def _line(stream: io.BufferedIOBase) -> bytes:
    line = stream.readline(_LINE + 1)
    if len(line) > _LINE:
        raise OSError("the server sent an over-long line")
    return line


def _chunks(stream: io.BufferedIOBase) -> Iterator[bytes]:
    """The body of a ``Transfer-Encoding: chunked`` answer, chunk by chunk."""
    while True:
        size_line = _line(stream).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise OSError(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            return
        data = stream.read(size)
        if len(data) != size:
            raise OSError("the server closed the connection mid-answer")
        stream.read(2)  # the CRLF after each chunk
        yield data


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode(errors="replace")
    if pending:
        yield pending.decode(errors="replace")


def post_lines(url: str, headers: dict[str, str], body: bytes) -> Iterator[str]:
    """POST ``body`` to ``url`` (``http://host:port/path``) and yield the answer's lines
    as they arrive; OSError when the server cannot be reached or does not answer 200."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise OSError(f"not an http URL: {url}")
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    head = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {netloc}:{parts.port or 80}",
            f"Content-Length: {len(body)}", "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((host, parts.port or 80), timeout=TIMEOUT) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        with sock.makefile("rb") as stream:
            status = _line(stream).decode("latin-1").split(None, 2)
            if len(status) < 2 or status[1] != "200":
                raise OSError(f"the server answered {' '.join(status[1:]) or 'nothing'}")
            chunked = False
            while (line := _line(stream)) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "transfer-encoding":
                    chunked = "chunked" in value.lower()
            yield from _lines(_chunks(stream) if chunked else iter(
                lambda: stream.read1(65536), b""))


def main() -> int:
    refs = [line.split() for line in sys.stdin.read().splitlines() if line.strip()]
    payload = {
        "app": os.environ["PAAS_APP"],
        "user": os.environ.get("PAAS_USER", ""),
        "refs": refs,
        "env": {k: os.environ[k] for k in _QUARANTINE_ENV if k in os.environ},
    }
    headers = {"Content-Type": "application/json",
               "X-Paas-Hook-Secret": os.environ["PAAS_HOOK_SECRET"]}
    ok = False
    try:
        for line in post_lines(os.environ["PAAS_HOOK_URL"], headers,
                               json.dumps(payload).encode()):
            if line.startswith(STATUS_PREFIX):
                ok = line[len(STATUS_PREFIX):] == "ok"
            else:
                print(line, flush=True)
    except OSError as e:
        print(f"-----> paas: the platform server could not be reached ({e})", flush=True)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
