"""The docker runtime's router: nginx config rendered from the routes of every app.

One ``server`` per app, named by its hosts, with an ``upstream`` of its healthy web
replicas. nginx buffers requests and responses so a slow client never holds a gunicorn
sync worker; it speaks HTTP or uwsgi to the app as the build says; websockets pass
through. A generation number served at ``/__paas/generation`` lets the platform confirm a
reload took effect before it stops old replicas; it answers only the addresses in
``control_from`` (the platform's), never an app container that reaches the router.

The router writes the one access line per request (the apps' servers do not: see
``ACCESS_LOG``), each starting with ``app=NAME`` so ``paas logs`` can pick an app's lines
out of the router's output and merge them with its replicas' lines.

Apps get the headers Heroku's router sends: ``X-Forwarded-For`` with the client's
address appended, ``X-Forwarded-Proto``, ``X-Forwarded-Port`` (the port the client
connected to: the one in its Host header, else its scheme's) and ``X-Request-Start``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paas.domain.names import RESERVED_HOSTS, ROUTER_CONTROL_HOST, reads_as_ip_address
from paas.domain.release import StaticMount, WebProtocol
from paas.router.nginxconf import Block, Directive, render
from paas.router.tls import (
    Https,
    TlsSite,
    acme_challenge,
    hsts_headers,
    tls_defaults,
    tls_hosts,
    tls_server,
)

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


#: The router's access line, Heroku-router style: ``app=`` first, so one app's lines are
#: found by prefix (``app_of``). ``escape=default`` writes quotes and bytes outside
#: printable ASCII in a request path as ``\xHH``: a client cannot forge a line or an app.
ACCESS_FORMAT = (
    'app=$paas_app method=$request_method path="$request_uri" host=$host '
    'fwd="$remote_addr" status=$status bytes=$body_bytes_sent '
    "request_time=$request_time upstream_time=$upstream_response_time "
    "upstream=$upstream_addr"
)
#: Buffered: one pipe write per 32 KiB or second, not one per request. The engine's log
#: driver still stores one record per line (about 5 us of dockerd CPU each, measured on
#: 2 cores): the reason apps behind this router write no access line of their own.
ACCESS_LOG = ("/dev/stdout", "paas_router", "buffer=32k", "flush=1s")
_APP_FIELD = "app="


def app_of(access_line: str) -> tuple[str, str] | None:
    """``(app, rest of the line)`` of a router access line; None for other output
    (nginx's warnings, requests for no app)."""
    if not access_line.startswith(_APP_FIELD):
        return None
    app, _, rest = access_line[len(_APP_FIELD):].partition(" ")
    return (app, rest) if app and app != "-" else None

#: The port the client connected to, as it wrote it in its Host header; without one the
#: scheme's default. nginx's own ``$server_port`` is the router container's port, not
#: the one published on the host.
FORWARDED_PORT = "$paas_forwarded_port"
_HOST_PORT = "~:([0-9]+)$"

#: Idle connections each nginx worker keeps open to an app's replicas.
UPSTREAM_KEEPALIVE = 32


def _proxy(route: Route, upstream: str) -> list[Directive]:
    if route.protocol is WebProtocol.UWSGI:
        return [
            Directive("include", ["/etc/nginx/uwsgi_params"]),
            Directive("uwsgi_param", ["HTTP_X_FORWARDED_PROTO", "$scheme"]),
            Directive("uwsgi_param", ["HTTP_X_FORWARDED_FOR", "$proxy_add_x_forwarded_for"]),
            Directive("uwsgi_param", ["HTTP_X_FORWARDED_PORT", FORWARDED_PORT]),
            Directive("uwsgi_param", ["HTTP_X_REQUEST_START", "t=${msec}"]),
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
        Directive("proxy_set_header", ["X-Forwarded-Port", FORWARDED_PORT]),
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


def _locations(route: Route, upstream: str, headers: Sequence[Directive] = ()
               ) -> list[Block]:
    """``headers`` go into every location: nginx drops the server's ``add_header`` in a
    location that has its own (the static ones set Cache-Control)."""
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
                    *headers,
                    Directive("access_log", ["off"]),
                ],
            )
        )
    if route.upstreams:
        locations.append(Block("location", ["/"], [*headers, *_proxy(route, upstream)]))
    else:
        locations.append(
            Block("location", ["/"], [Directive("return", ["503", "no web process running\n"])])
        )
    return locations


def _server(route: Route, site: TlsSite | None = None, https: Https | None = None,
            listen: str = str(LISTEN_PORT)) -> list[Block]:
    hosts = routable_hosts(route.hosts)
    if not hosts:
        return []
    upstream = f"app_{route.app.replace('-', '_')}"
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
    secure = tls_hosts(hosts, site, https)
    redirected = secure if site is not None and site.redirect else ()
    challenge = [acme_challenge()] if site is not None and site.acme else []
    plain = tuple(h for h in hosts if h not in redirected)
    if plain:
        blocks.append(Block("server", [], [
            Directive("listen", [listen]),
            Directive("server_name", list(plain)),
            Directive("set", ["$paas_app", route.app]),
            *challenge,
            *_locations(route, upstream),
        ]))
    if redirected and https is not None:
        port = "" if https.public_port == 443 else f":{https.public_port}"
        blocks.append(Block("server", [], [
            Directive("listen", [listen]),
            Directive("server_name", list(redirected)),
            Directive("set", ["$paas_app", route.app]),
            *challenge,
            # 308, not 301: a POST stays a POST with its body.
            Block("location", ["/"], [
                Directive("return", ["308", f"https://$host{port}$request_uri"])]),
        ]))
    if secure and site is not None and https is not None:
        blocks.append(tls_server(site, secure,
                                 _locations(route, upstream, hsts_headers(site)),
                                 head=[Directive("set", ["$paas_app", route.app])],
                                 listen=https.listen))
    return blocks


def listen_on(address: str, port: int) -> str:
    """An nginx ``listen`` argument for ``address:port`` on the host (IPv6 bracketed)."""
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{port}"


#: Who may read the control endpoint unless told otherwise: nginx itself.
CONTROL_FROM = ("127.0.0.1",)


#: Seconds a worker of an earlier config may keep its connections after a reload: one
#: long-lived connection (a websocket, a long download) would keep it, and with it the
#: replicas it sends to, forever; the platform waits for those workers (up to 30 s)
#: before it stops a release's predecessors or a scale-down's surplus.
WORKER_SHUTDOWN_SECONDS = 20


def render_config(routes: Sequence[Route], generation: int,
                  control_from: Sequence[str] = CONTROL_FROM, https: Https | None = None,
                  listen: str = str(LISTEN_PORT)) -> str:
    """The whole nginx config; ``control_from`` are the source addresses (or CIDRs)
    allowed to read the generation, every other source gets 403. With ``https``, a TLS
    listener and the apps' TLS servers. ``listen``: the plain HTTP listener, a port in a
    bridged router container or ``address:port`` on the host's network (``listen_on``)."""
    http: list[Directive | Block] = [
        Directive("include", ["/etc/nginx/mime.types"]),
        Directive("default_type", ["application/octet-stream"]),
        Directive("log_format", ["paas_router", "escape=default", ACCESS_FORMAT]),
        Directive("access_log", list(ACCESS_LOG)),
        Directive("error_log", ["/dev/stderr", "warn"]),
        Directive("sendfile", ["on"]),
        Directive("tcp_nopush", ["on"]),
        # Static files' descriptors stay open between requests (5-6 % more 200 KB files
        # a second, e2e/bench/router_path.py). Safe across deploys: each release's files
        # live in a folder of their own, and a reload starts workers with an empty cache.
        Directive("open_file_cache", ["max=1000", "inactive=20s"]),
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
        Block("map", ["$scheme", "$paas_scheme_port"],
              [Directive("https", ["443"]), Directive("default", ["80"])]),
        Block("map", ["$http_host", FORWARDED_PORT],
              [Directive(_HOST_PORT, ["$1"]), Directive("default", ["$paas_scheme_port"])]),
        Block("map", ["$http_upgrade", "$connection_upgrade"],
              # '' keeps the upstream connection alive; websockets ask for an upgrade.
              [Directive("default", ["upgrade"]), Directive("''", [""])]),
        Block(
            "server",
            [],
            [
                Directive("listen", [listen, "default_server"]),
                Directive("server_name", [CONTROL_HOST]),
                Directive("set", ["$paas_app", "-"]),
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
    if https is not None:
        http += tls_defaults(https)
    for route in sorted(routes, key=lambda r: r.app):
        site = https.sites.get(route.app) if https is not None else None
        http += _server(route, site, https, listen)
    return render(
        [
            Directive("worker_processes", ["auto"]),
            Directive("worker_shutdown_timeout", [f"{WORKER_SHUTDOWN_SECONDS}s"]),
            Directive("pid", ["/tmp/nginx.pid"]),
            Directive("error_log", ["/dev/stderr", "warn"]),
            Block("events", [], [Directive("worker_connections", ["4096"])]),
            Block("http", [], http),
        ]
    )
