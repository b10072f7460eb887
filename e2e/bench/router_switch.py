"""How long the router takes to switch routes, by how it reloads and sees its workers.

A real router (the stack's nginx image, on the host's network, its own instance, home
and ports) in front of two upstream servers on the host; each round applies routes
that alternate between them, so every apply changes the config, in these ways,
interleaved (the order rotates each round):

- ``fifo+proc``: the platform's way: one write to the router's reload FIFO, its
  workers read from the host's ``/proc``;
- ``exec+top``: as before: ``nginx -s reload`` exec'd in the container, workers from
  the engine's ``top`` (the FIFO write and the ``/proc`` read turned off in this
  process only);
- ``fifo+top`` and ``exec+proc``: one change at a time.

Printed: the median seconds of ``Router.apply`` (until every new request gets the new
routes) per way, and each against ``exec+top``. Asserts nothing; the router and the
upstreams are removed at the end.

    python -m e2e.bench.router_switch [--rounds 15]
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker

from e2e.harness import free_port, http_get
from paas.router.config import Route
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import Container, DockerEngine
from paas.runtime.docker.router import Router
from paas.settings import Settings

HOST = "switch.localhost"
WAYS = ("fifo+proc", "exec+top", "fifo+top", "exec+proc")


def _server(body: bytes) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _no_proc(container: Container) -> list[tuple[str, str]] | None:
    return None


@contextmanager
def _way(router: Router, way: str) -> Iterator[None]:
    """``router`` reloading and looking at its workers as ``way`` says (instance
    attributes over the class's methods, removed after)."""
    reload, workers = way.split("+")
    if reload == "exec":
        router._write_fifo = lambda: False  # type: ignore[method-assign]
    if workers == "top":
        router._host_children = _no_proc  # type: ignore[method-assign]
    try:
        yield
    finally:
        vars(router).pop("_write_fifo", None)
        vars(router).pop("_host_children", None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    if not 1 <= args.rounds <= 200:
        raise SystemExit("--rounds must be between 1 and 200")
    servers = [_server(b"one"), _server(b"two")]
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        settings = Settings(home=Path(tmp) / "home", router_port=free_port())
        router = Router(DockerEngine(docker.from_env()), settings,
                        L.network_name(settings.instance))
        try:
            routes = [[Route("switch", (HOST,), (f"127.0.0.1:{s.server_address[1]}",))]
                      for s in servers]
            router.apply(routes[0])
            taken: dict[str, list[float]] = {way: [] for way in WAYS}
            flip = 1
            for i in range(args.rounds):
                for way in WAYS[i % len(WAYS):] + WAYS[:i % len(WAYS)]:
                    with _way(router, way):
                        start = time.monotonic()
                        drain = router.apply(routes[flip])
                        taken[way].append(time.monotonic() - start)
                    expected = (200, "two" if flip else "one")
                    if http_get(settings.router_port, HOST) != expected:
                        raise SystemExit(f"{way}: the new routes did not serve")
                    drain()
                    flip = 1 - flip
            base = statistics.median(taken["exec+top"])
            print(f"Router.apply, median of {args.rounds} (rounds interleaved):")
            for way in WAYS:
                median = statistics.median(taken[way])
                print(f"  {way:10s} {median:.3f} s  ({min(taken[way]):.3f} to "
                      f"{max(taken[way]):.3f})  {median / base:.2f}x of exec+top")
        finally:
            router.remove()
            for server in servers:
                server.shutdown()
                server.server_close()


if __name__ == "__main__":
    main()
