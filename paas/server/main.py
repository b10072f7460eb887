"""``paas server``: recover state, then serve the assembled platform's API and git.

One process with a thread per request: pushes and log streams are long requests that
each hold a thread, and deploy locks and the runtime's view of live routes are shared
in memory. The API is a control plane for a handful of users, not a hot path.
"""

from __future__ import annotations

import logging
import secrets
import signal
import threading
from types import FrameType

from werkzeug.serving import WSGIRequestHandler, make_server

from paas.logsink import LogSink
from paas.server.api import PlatformAPI
from paas.server.auth import bootstrap_admin
from paas.server.context import ApiContext
from paas.server.platform import Platform
from paas.server.receive import Receiver
from paas.store.secrets import home_lock

log = logging.getLogger("paas.server")


#: Seconds a connection may stay silent while the server waits to read from it: a client
#: that opens a connection and sends its headers (or body) a byte at a time, or never,
#: loses its thread after this. Streams the server writes (push output, followed logs)
#: are not reads; ``paas run`` lifts it once the connection is taken over.
READ_TIMEOUT = 30.0


class TimedRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with a socket timeout (socketserver applies ``timeout``)."""

    timeout = READ_TIMEOUT


def api_context(platform: Platform) -> ApiContext:
    return ApiContext(platform.settings, platform.store, platform.repos,
                      Receiver(platform.settings, platform.services.deploys, platform.store),
                      platform.services, hook_secret=secrets.token_urlsafe(32))


def serve(platform: Platform, say: LogSink) -> None:
    """Serve until SIGTERM or Ctrl-C, holding the home's lock (one server per home; no
    key rotation beside it)."""
    with home_lock(platform.settings.home):
        _serve(platform, say)


def _serve(platform: Platform, say: LogSink) -> None:
    settings = platform.settings
    token = bootstrap_admin(platform.store, settings.home)
    if token:
        say(f"Admin token (also in {settings.home / 'admin-token'}): {token}")
    platform.services.recover(say)
    platform.repos.install_all_hooks()

    stop_background = threading.Event()
    for loop in platform.background:
        threading.Thread(target=loop, args=(stop_background,), name="platform-loop",
                         daemon=True).start()
    api = PlatformAPI(api_context(platform))
    server = make_server(settings.host, settings.port, api, threaded=True,
                         request_handler=TimedRequestHandler)
    # Pushes and log streams may still run at shutdown; they must not block the exit.
    server.daemon_threads = True  # type: ignore[attr-defined]

    def stop(_sig: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    say(f"paas API and git on {settings.api_url}; apps on "
        f"http://*.{settings.domain}:{settings.router_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_background.set()
        server.server_close()
        say("paas server stopped; apps keep running")
