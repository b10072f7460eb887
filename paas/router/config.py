"""The docker runtime's router: nginx config rendered from the routes of every app.

One ``server`` per app, named by its hosts, with an ``upstream`` of its healthy web
replicas. nginx buffers requests and responses so a slow client never holds a gunicorn
sync worker; it speaks HTTP or uwsgi to the app as the build says; websockets pass
through. A generation number served at ``/__paas/generation`` lets the platform confirm a
reload took effect before it stops old replicas; it answers only the addresses in
``control_from`` (the platform's), never an app container that reaches the router.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paas.domain.names import RESERVED_HOSTS, ROUTER_CONTROL_HOST, reads_as_ip_address
from paas.domain.release import StaticMount, WebProtocol
from paas.router.nginxconf import Block, Directive, render

#: Host name the platform uses to talk to the router itself (generation checks); a
#: reserved name, which no app may claim as a domain.
CONTROL_HOST = ROUTER_CONTROL_HOST
LISTEN_PORT = 8080
STATIC_ROOT = "/srv/static"
#: Static names carrying a content hash (Django's ManifestStaticFilesStorage
#: ``app.3f2a9c1b7d4e.css``, bundlers' ``main.3f2a9c1b.js``) never change content.
#: Eight or more hex digits between dots, spelled without braces: a map key is a bare
#: word in nginx's syntax (nginxconf quotes arguments, not names).
HASHED_NAME = "~[.]" + "[0-9a-f]" * 7 + "[0-9a-f]+[.][A-Za-z0-9]+$"


@dataclass(frozen=True)
class Route:
    app: str
    hosts: tuple[str, ...]
    #: ``ip:port`` of each healthy web replica.
    upstreams: tuple[str, ...]
    protocol: WebProtocol = WebProtocol.HTTP
    #: Static mounts with the router-side directory (relative to STATIC_ROOT) they map to.
    static: tuple[tuple[StaticMount, str], ...] = ()


#: Idle connections each nginx worker keeps open to an app's replicas.
UPSTREAM_KEEPALIVE = 32


def _proxy(route: Route, upstream: str) -> list[Directive]:
    if route.protocol is WebProtocol.UWSGI:
        return [
            Directive("include", ["/etc/nginx/uwsgi_params"]),
            Directive("uwsgi_param", ["HTTP_X_FORWARDED_PROTO", "$scheme"]),
            Directive("uwsgi_param", ["HTTP_X_FORWARDED_FOR", "$proxy_add_x_forwarded_for"]),
            Directive("uwsgi_pass", [upstream]),
            Directive("uwsgi_read_timeout", ["60s"]),
        ]
    return [
        Directive("proxy_pass", [f"http://{upstream}"]),
        Directive("proxy_http_version", ["1.1"]),
        Directive("proxy_set_header", ["Host", "$host"]),
        Directive("proxy_set_header", ["X-Real-IP", "$remote_addr"]),
        Directive("proxy_set_header", ["X-Forwarded-For", "$proxy_add_x_forwarded_for"]),
        Directive("proxy_set_header", ["X-Forwarded-Proto", "$scheme"]),
        Directive("proxy_set_header", ["X-Forwarded-Host", "$host"]),
        Directive("proxy_set_header", ["X-Request-Start", "t=${msec}"]),
        Directive("proxy_set_header", ["Upgrade", "$http_upgrade"]),
        Directive("proxy_set_header", ["Connection", "$connection_upgrade"]),
        Directive("proxy_read_timeout", ["60s"]),
        # Buffer whole responses so a slow client is fed by nginx, not by a worker.
        Directive("proxy_buffering", ["on"]),
        Directive("proxy_next_upstream", ["error", "timeout", "http_502"]),
    ]


def routable_hosts(hosts: Sequence[str]) -> list[str]:
    """The names an app's server may carry: never an IP address (requests by bare address
    belong to the default server's "no app" answer) nor a name reserved for the
    platform, even when a database from before these rules still holds one."""
    return [h for h in hosts
            if not reads_as_ip_address(h) and h.lower().rstrip(".") not in RESERVED_HOSTS]


def _server(route: Route) -> list[Block]:
    hosts = routable_hosts(route.hosts)
    if not hosts:
        return []
    upstream = f"app_{route.app.replace('-', '_')}"
    locations: list[Block] = []
    for mount, directory in route.static:
        locations.append(
            Block(
                "location",
                [mount.url_prefix],
                [
                    Directive("alias", [f"{STATIC_ROOT}/{directory}/"]),
                    # A year for content-hashed names (they change when the file
                    # does), an hour for the rest; see STATIC_CACHE.
                    Directive("add_header", ["Cache-Control", "$paas_static_cache"]),
                    Directive("access_log", ["off"]),
                ],
            )
        )
    if route.upstreams:
        locations.append(Block("location", ["/"], _proxy(route, upstream)))
    else:
        locations.append(
            Block("location", ["/"], [Directive("return", ["503", "no web process running\n"])])
        )
    blocks: list[Block] = []
    if route.upstreams:
        blocks.append(
            Block(
                "upstream",
                [upstream],
                [*(Directive("server", [u, "max_fails=1", "fail_timeout=5s"])
                   for u in route.upstreams),
                 # Reused connections to the app: no TCP handshake per request, and a
                 # gthread/uvicorn worker serves them from its poller, not a blocked thread.
                 Directive("keepalive", [str(UPSTREAM_KEEPALIVE)]),
                 # Shorter than the app servers' idle timeouts (our gunicorn: 5 s), so
                 # nginx never reuses a connection the app is closing (a 502 on POST).
                 Directive("keepalive_timeout", ["1s"])],
            )
        )
    blocks.append(
        Block(
            "server",
            [],
            [
                Directive("listen", [str(LISTEN_PORT)]),
                Directive("server_name", hosts),
                *locations,
            ],
        )
    )
    return blocks


#: Who may read the control endpoint unless told otherwise: nginx itself.
CONTROL_FROM = ("127.0.0.1",)


def render_config(routes: Sequence[Route], generation: int,
                  control_from: Sequence[str] = CONTROL_FROM) -> str:
    """The whole nginx config; ``control_from`` are the source addresses (or CIDRs)
    allowed to read the generation, every other source gets 403."""
    http: list[Directive | Block] = [
        Directive("include", ["/etc/nginx/mime.types"]),
        Directive("default_type", ["application/octet-stream"]),
        # Buffered: one write per 32 KiB or second, not a pipe write per request.
        Directive("access_log", ["/dev/stdout", "combined", "buffer=32k", "flush=1s"]),
        Directive("error_log", ["/dev/stderr", "warn"]),
        Directive("sendfile", ["on"]),
        Directive("tcp_nopush", ["on"]),
        Directive("keepalive_timeout", ["65s"]),
        Directive("server_tokens", ["off"]),
        Directive("client_max_body_size", ["100m"]),
        Directive("server_names_hash_bucket_size", ["128"]),
        Directive("gzip", ["on"]),
        Directive("gzip_types", ["text/css", "application/javascript", "application/json",
                                 "image/svg+xml", "text/plain"]),
        Block("map", ["$uri", "$paas_static_cache"],
              [Directive(HASHED_NAME, ["public, max-age=31536000, immutable"]),
               Directive("default", ["public, max-age=3600"])]),
        Block("map", ["$http_upgrade", "$connection_upgrade"],
              # '' keeps the upstream connection alive; websockets ask for an upgrade.
              [Directive("default", ["upgrade"]), Directive("''", [""])]),
        Block(
            "server",
            [],
            [
                Directive("listen", [str(LISTEN_PORT), "default_server"]),
                Directive("server_name", [CONTROL_HOST]),
                # allow/deny run in nginx's access phase, after any ``return`` in the
                # same location: the answer comes from a named location that only a
                # request past the access check reaches (try_files' fallback).
                Block("location", ["=", "/__paas/generation"],
                      [Directive("access_log", ["off"]),
                       *(Directive("allow", [source]) for source in control_from),
                       Directive("deny", ["all"]),
                       Directive("try_files", ["/.paas-no-such-file", "@paas_generation"])]),
                Block("location", ["@paas_generation"],
                      [Directive("access_log", ["off"]),
                       Directive("return", ["200", str(generation)])]),
                Block("location", ["/"],
                      [Directive("return", ["404", "no app answers for this host\n"])]),
            ],
        ),
    ]
    for route in sorted(routes, key=lambda r: r.app):
        http += _server(route)
    return render(
        [
            Directive("worker_processes", ["auto"]),
            Directive("pid", ["/tmp/nginx.pid"]),
            Directive("error_log", ["/dev/stderr", "warn"]),
            Block("events", [], [Directive("worker_connections", ["4096"])]),
            Block("http", [], http),
        ]
    )
