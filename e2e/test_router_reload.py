"""The router's reload on a real nginx (the stack's router image, on the host's network):

- a config nginx cannot load is refused with nginx's one-line reason; the router keeps
  serving the previous config, which is back on disk;
- a reload answers once every new request gets the new config, but what it returns
  (the wait before a replica the router sent to may stop) waits until the previous
  config's workers finished the requests they had in flight.

The router is this module's own (its own home, instance and ports); it is removed at
the end, as is the upstream server the test runs on the host.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from e2e.harness import free_port, http_get
from paas.errors import DeployFailed
from paas.router.config import Route
from paas.router.tls import TlsSite
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import DockerEngine
from paas.runtime.docker.router import CONF_DIR, Router
from paas.settings import Settings

HOST = "shop.localhost"


@dataclass
class Upstream:
    """An app on the host whose ``/slow`` answers only once ``release`` is set; every
    answer is ``done``, or ``other`` from its twin at ``other_port``."""

    port: int
    other_port: int
    arrived: threading.Event
    release: threading.Event


@dataclass
class Bench:
    router: Router
    sites: dict[str, TlsSite]
    upstream: Upstream

    def routes(self, other: bool = False) -> list[Route]:
        port = self.upstream.other_port if other else self.upstream.port
        return [Route("shop", (HOST,), (f"127.0.0.1:{port}",))]


@pytest.fixture
def bench(tmp_path: Path, stack_images: None) -> Iterator[Bench]:
    arrived, release = threading.Event(), threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        body = b"done"

        def do_GET(self) -> None:
            if self.path == "/slow":
                arrived.set()
                release.wait(60)
            body = self.body
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Other(Handler):
        body = b"other"

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (Handler, Other)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = Settings(home=tmp_path / "home", router_port=free_port(),
                        router_https_port=free_port())
    sites: dict[str, TlsSite] = {}
    router = Router(DockerEngine(docker.from_env()), settings,
                    L.network_name(settings.instance), tls=lambda: dict(sites))
    try:
        yield Bench(router, sites, Upstream(servers[0].server_address[1],
                                            servers[1].server_address[1], arrived, release))
    finally:
        release.set()
        router.remove()
        for server in servers:
            server.shutdown()
            server.server_close()


def test_a_config_nginx_refuses_is_refused_with_its_reason_and_the_old_one_serves(
        bench: Bench) -> None:
    bench.router.apply(bench.routes())
    serving = bench.router.generation()
    assert serving is not None
    assert http_get(bench.router.settings.router_port, HOST) == (200, "done")
    loaded = bench.router.conf_path.read_text()
    # a certificate file the router cannot read: only nginx finds out
    bench.sites["shop"] = TlsSite("shop", (HOST,), cert_file=f"{CONF_DIR}/certs/gone.pem",
                                  key_file=f"{CONF_DIR}/certs/gone.key")
    with pytest.raises(DeployFailed) as refused:
        bench.router.apply(bench.routes())
    message = refused.value.message
    assert message.startswith("router config rejected by nginx: cannot load certificate"), \
        message
    assert "\n" not in message and "gone.pem" in message
    assert bench.router.generation() == serving
    assert bench.router.conf_path.read_text() == loaded
    assert http_get(bench.router.settings.router_port, HOST) == (200, "done")
    # the next good config loads as ever
    del bench.sites["shop"]
    bench.router.apply(bench.routes())
    assert bench.router.generation() not in (None, serving)


def test_the_wait_after_a_reload_lasts_until_old_workers_finished_their_requests(
        bench: Bench) -> None:
    bench.router.apply(bench.routes())
    answer: list[tuple[int, str]] = []
    client = threading.Thread(target=lambda: answer.append(
        http_get(bench.router.settings.router_port, HOST, "/slow", timeout=60)))
    client.start()
    assert bench.upstream.arrived.wait(30)
    before = bench.router.generation()
    drain = bench.router.apply(bench.routes())  # answers with the request in flight
    assert bench.router.generation() not in (None, before)
    assert answer == []
    drained = threading.Event()

    def wait() -> None:
        drain()
        drained.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    # the worker of the previous config still waits for the upstream's answer
    assert not drained.wait(1.0)
    bench.upstream.release.set()
    assert drained.wait(30)
    client.join(30)
    assert answer == [(200, "done")]
    waiter.join(5)


def test_after_a_reload_every_new_request_gets_the_new_routes(bench: Bench) -> None:
    """The old config's workers accept connections until the master's QUIT reaches
    them, some time after the new ones answer: the reload waits for that."""
    port = bench.router.settings.router_port
    for other in (True, False, True):
        bench.router.apply(bench.routes(other=other))
        answers = {http_get(port, HOST) for _ in range(20)}
        assert answers == {(200, "other" if other else "done")}


def test_a_reload_is_a_write_to_the_routers_fifo_and_an_exec_without_its_reader(
        bench: Bench) -> None:
    """An ``nginx -s reload`` exec took 0.2 to 0.4 s of engine calls; the router's own
    reader of the reload FIFO makes it one write. Where the reader is not there (here:
    the FIFO removed), the exec still reloads."""
    port = bench.router.settings.router_port
    bench.router.apply(bench.routes())
    client = docker.from_env()
    (router,) = client.containers.list(filters=L.filters(bench.router.settings.instance,
                                                         **{L.ROLE: L.ROLE_ROUTER}))
    time.sleep(1.1)  # the engine's event filter counts whole seconds
    since = int(time.time())
    for other in (True, False, True, False, True, False):  # back to back
        bench.router.apply(bench.routes(other=other))
        assert {http_get(port, HOST) for _ in range(3)} == {
            (200, "other" if other else "done")}

    def execs() -> list[str]:
        found = client.events(since=since, until=int(time.time()) + 1, decode=True,
                              filters={"container": router.id, "event": "exec_create"})
        return [str(e.get("status", "")) for e in found]

    assert execs() == []
    bench.router.fifo_path.unlink()
    bench.router.apply(bench.routes(other=True))
    assert {http_get(port, HOST) for _ in range(10)} == {(200, "other")}
    assert any("nginx -s reload" in e for e in execs()), execs()
