"""POST /v1/apps/NAME/run with ``Upgrade: paas-run``: a one-off command, attached.

Checks and the container start happen as a normal request, so bad input gets the usual
JSON error. Then the response takes the connection over from werkzeug's threaded server
(``werkzeug.socket``), answers ``101 Switching Protocols`` and pipes paas.wire frames both
ways until the command ends.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from paas import wire
from paas.errors import InvalidInput
from paas.runtime.port import OneOff
from paas.server.context import ApiContext, Route, read_body
from paas.services.oneoff import pipe

log = logging.getLogger("paas.server")


class UpgradedRun(Response):
    """A response that is a connection takeover, not a body."""

    def __init__(self, oneoff: OneOff, app: str, user: str) -> None:
        super().__init__(status=101)
        self.oneoff = oneoff
        self.app = app
        self.user = user

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        conn: socket.socket | None = environ.get("werkzeug.socket")
        rfile = environ.get("wsgi.input")
        if conn is None or rfile is None:
            self.oneoff.close()
            raise RuntimeError("paas run needs werkzeug's server (no werkzeug.socket)")
        # Commands may carry secrets: the log names the app and user, never the command.
        log.info("run %s on %s for %s", self.oneoff.name, self.app, self.user)
        try:
            # An attached command may wait on its user for long: the server's read
            # timeout guards request headers and bodies, not this session.
            conn.settimeout(None)
            conn.sendall(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: {wire.UPGRADE}\r\n"
                         "Connection: Upgrade\r\n\r\n".encode())
            # rfile, not the socket: bytes the server already buffered are not lost.
            code = pipe(self.oneoff, rfile.read, conn.sendall)
        except OSError:
            code = None
        finally:
            self.oneoff.close()
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        log.info("run %s ended with %s", self.oneoff.name,
                 "a lost client" if code is None else f"exit code {code}")
        # werkzeug's way out for a taken-over connection: it writes nothing more and
        # closes the socket.
        raise ConnectionAbortedError("connection was upgraded to paas-run")


def run(ctx: ApiContext, request: Request, name: str) -> Response:
    user, app = ctx.app_for(request, name)
    if request.headers.get("Upgrade", "").strip().lower() != wire.UPGRADE:
        raise InvalidInput(f"paas run needs 'Upgrade: {wire.UPGRADE}'; use the paas CLI")
    started = ctx.services.oneoff.start(app, read_body(request))
    return UpgradedRun(started, app.name, user.name)


ROUTES = [Route("/v1/apps/<name>/run", ("POST",), run)]
