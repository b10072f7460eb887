"""``paas server``: wire the adapters, recover state, serve the API and git.

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

from werkzeug.serving import make_server

from paas.adapters import adapters, connect, docker_scaling
from paas.domain.logs import RELEASE
from paas.logsink import LogSink
from paas.server.api import PlatformAPI
from paas.server.auth import bootstrap_admin
from paas.server.context import ApiContext
from paas.server.git_http import Repos
from paas.server.receive import Receiver
from paas.services.deploy import AppLocks, Deployer
from paas.settings import Settings
from paas.store.logbook import LogBook
from paas.store.sql import SqlStore

log = logging.getLogger("paas.server")


def serve(settings: Settings, say: LogSink, *, build_missing_stack: bool = True) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.home.chmod(0o700)
    store = SqlStore(settings.db_url)
    token = bootstrap_admin(store, settings.home)
    if token:
        say(f"Admin token (also in {settings.home / 'admin-token'}): {token}")

    client = connect()
    runtime, builder = adapters(settings, client, say, build_missing_stack)
    logbook = LogBook(settings.home / "logs")
    for rel in store.fail_pending_releases():
        say(f"{rel.app} {rel.label} was interrupted by a server stop: marked failed")
        logbook.append(rel.app, RELEASE,
                       f"{rel.label} was interrupted by a server stop: marked failed")
    locks = AppLocks()
    deployer = Deployer(store, builder, runtime, locks, logbook)
    # Add-ons and the autoscaling loop exist on the Docker runtime (None on Kubernetes).
    addons, autoscaler = docker_scaling(settings, client, runtime, store, deployer)
    say("Reconciling running apps with stored state")
    if addons is not None:
        addons.reconcile(say)  # brokers first: workers connect at start
    runtime.reconcile([(a, store.current_release(a.name)) for a in store.list_apps()])

    repos = Repos(settings.repos_dir)
    repos.install_all_hooks()
    ctx = ApiContext(settings, store, repos, Receiver(settings, deployer), deployer, runtime,
                     hook_secret=secrets.token_urlsafe(32), logbook=logbook, addons=addons,
                     autoscaler=autoscaler)
    stop_autoscaling = threading.Event()
    if autoscaler is not None:
        threading.Thread(target=autoscaler.run, args=(stop_autoscaling,), name="autoscaler",
                         daemon=True).start()
    api = PlatformAPI(ctx)
    server = make_server(settings.host, settings.port, api, threaded=True)
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
        stop_autoscaling.set()
        server.server_close()
        say("paas server stopped; apps keep running")
