"""Runs a Tornado script natively, as the platform needs it; at /opt/paas/tornado_serve.py.

``python tornado_serve.py app.py [args]`` runs ``app.py`` as ``__main__`` after three
adjustments, so an unmodified script works behind the router:

- the first server the script starts listens on ``$PORT`` on all interfaces, whatever
  port or address it asked for (a second server, say for metrics, keeps its own);
- every HTTPServer trusts ``X-Forwarded-For``/``X-Scheme`` (``xheaders=True``): only the
  platform's router reaches the container;
- SIGTERM stops accepting, lets in-flight requests finish for a moment, then exits,
  instead of dying mid-request. A script's own SIGTERM handler replaces this one;
- behind the platform's router, which writes the access line of every request
  (``PAAS_ACCESS_LOG=router``), Tornado's own line for each answered request is off:
  ``tornado.access`` logs warnings and errors only (4xx and 5xx answers still show). A
  script that sets that logger's level itself keeps its choice.

One process per replica: Tornado apps often keep state in the process (websocket
clients, caches), which forking per CPU would split; scale with ``paas scale web=N``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import runpy
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from tornado import httpserver, tcpserver

PORT = int(os.environ.get("PORT", "5000"))
GRACE_SECONDS = float(os.environ.get("PAAS_TORNADO_GRACE", "5"))
_servers: list[tcpserver.TCPServer] = []
_claimed: list[bool] = []

_listen = tcpserver.TCPServer.listen
_initialize = httpserver.HTTPServer.initialize


def listen(self: tcpserver.TCPServer, port: int, address: str | None = None,
           *args: Any, **kwargs: Any) -> None:
    if not _claimed:
        _claimed.append(True)
        if port != PORT:
            print(f"paas: serving on port {PORT} (the script asked for {port})", flush=True)
        port, address = PORT, None
    _servers.append(self)
    _listen(self, port, address, *args, **kwargs)


def initialize(self: httpserver.HTTPServer, *args: Any, **kwargs: Any) -> None:
    kwargs.setdefault("xheaders", True)
    _initialize(self, *args, **kwargs)


def _drain() -> None:
    for server in _servers:
        server.stop()
    asyncio.get_running_loop().call_later(GRACE_SECONDS, os._exit, 0)


def _on_term(signum: int, frame: FrameType | None) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        sys.exit(0)
    loop.call_soon_threadsafe(_drain)


def quiet_access_log() -> None:
    """A second access line per request cost the one Tornado process a fifth of its
    CPU (100 ms endpoint at 200 connections: 386 vs 313 us a request, README's
    performance section) and the engine's log driver one stored line more."""
    if os.environ.get("PAAS_ACCESS_LOG") == "router":
        logging.getLogger("tornado.access").setLevel(logging.WARNING)


def install() -> None:
    """The adjustments, for this launcher and for serve_script.py, which reuses them."""
    tcpserver.TCPServer.listen = listen  # type: ignore[method-assign]
    httpserver.HTTPServer.initialize = initialize  # type: ignore[method-assign]
    signal.signal(signal.SIGTERM, _on_term)
    quiet_access_log()


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: tornado_serve.py SCRIPT [ARGS...]")
    script = str(Path(argv[1]).resolve())
    install()
    sys.argv = [script, *argv[2:]]
    sys.path.insert(0, str(Path(script).parent))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
