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

One process per replica by default: Tornado apps often keep state in the process
(websocket clients, caches), which forking per CPU would split; scale with ``paas scale
web=N``. An app that keeps none sets ``WEB_CONCURRENCY=N`` (at most ``MAX_PROCESSES``):
the launcher then forks N processes before the script runs, each listening on ``$PORT``
with SO_REUSEPORT, so the kernel spreads connections over them. One event loop on a
100 ms endpoint at 200 connections used half a core and reached 0.7 of the endpoint's
limit: requests that arrive together are answered one after another by one loop. The
launcher stays the replica's main process: SIGTERM goes to every process, and when one
exits on its own the others are stopped and the launcher exits with its code, so the
engine restarts the replica whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import runpy
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from tornado import httpserver, netutil, tcpserver

PORT = int(os.environ.get("PORT", "5000"))
GRACE_SECONDS = float(os.environ.get("PAAS_TORNADO_GRACE", "5"))
#: Processes a replica may run (``WEB_CONCURRENCY``): more only queue for its cores.
MAX_PROCESSES = 16
_servers: list[tcpserver.TCPServer] = []
_claimed: list[bool] = []
#: Whether servers share their ports with sibling processes (SO_REUSEPORT).
_shared_port: list[bool] = []

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
    if _shared_port:
        # every server of every process: a second one (metrics) on its own port too,
        # which each process would otherwise fail to bind
        kwargs["reuse_port"] = True
        self.add_sockets(netutil.bind_sockets(port, address, *args, **kwargs))
        return
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


def processes(value: str | None) -> int:
    """Tornado processes for ``WEB_CONCURRENCY``: a positive number, at most
    ``MAX_PROCESSES``; 1 for anything else (unset, empty, not a number)."""
    if value and value.strip().isdigit() and int(value) > 0:
        return min(int(value), MAX_PROCESSES)
    return 1


def _run(script: str, args: list[str]) -> None:
    install()
    sys.argv = [script, *args]
    sys.path.insert(0, str(Path(script).parent))
    runpy.run_path(script, run_name="__main__")


def _supervise(count: int, script: str, args: list[str]) -> int:
    """Fork ``count`` processes running the script on a shared port; the exit code of
    the first to exit on its own (0 after a SIGTERM the launcher passed on)."""
    _shared_port.append(True)
    children: set[int] = set()
    stopping: list[bool] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(True)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(count):
        if stopping:  # a SIGTERM while forking: no more
            break
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _run(script, args)
            except SystemExit as e:
                if isinstance(e.code, str):
                    print(e.code, file=sys.stderr, flush=True)
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:
                traceback.print_exc()
                code = 1
            os._exit(code)
        children.add(pid)
    if stopping:
        stop(signal.SIGTERM, None)  # the ones forked after it did not get it
    code = 0
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.discard(pid)
        if not stopping:
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code  # killed by a signal: as a shell says
            print(f"paas: Tornado process {pid} exited ({code}); stopping the others",
                  flush=True)
            stop(signal.SIGTERM, None)
            _reap(children, time.monotonic() + GRACE_SECONDS + 5)
    return code


def _reap(children: set[int], deadline: float) -> None:
    """Wait for ``children`` until ``deadline``, then kill what is left."""
    while children and time.monotonic() < deadline:
        pid, _status = os.waitpid(-1, os.WNOHANG)
        if pid:
            children.discard(pid)
        else:
            time.sleep(0.05)
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        children.discard(pid)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: tornado_serve.py SCRIPT [ARGS...]")
    script = str(Path(argv[1]).resolve())
    count = processes(os.environ.get("WEB_CONCURRENCY"))
    if count == 1:
        _run(script, argv[2:])
        return
    print(f"paas: {count} Tornado processes on port {PORT} (WEB_CONCURRENCY)", flush=True)
    sys.exit(_supervise(count, script, argv[2:]))


if __name__ == "__main__":
    main(sys.argv)
