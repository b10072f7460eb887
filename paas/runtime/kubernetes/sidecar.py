"""The nginx sidecar of web pods: buffering for sync servers, static files, HTTP -> uwsgi.

Gateways and Ingress controllers proxy HTTP but have no uwsgi backend protocol, cannot
read files baked into the app image, and buffer or not as their implementation pleases:
the Gateway API has no portable buffering field, and ingress-nginx turned buffering off.
A pre-fork WSGI server (gunicorn, uWSGI) holds a worker or thread for as long as a slow
client trickles its request or reads its response, so it must sit behind a buffering
nginx whatever the cluster's gateway does. So when a build serves static mounts, speaks
uwsgi or runs a pre-fork WSGI server, each web pod runs nginx next to the app: init
containers (the app image) copy the static directories into a shared emptyDir, nginx
serves them, buffers requests and responses and passes the rest to the app over
localhost, with ``uwsgi_pass`` or ``proxy_pass``. Event-loop servers (uvicorn workers,
Tornado) need none of this, and the Service targets the app directly.
"""

from __future__ import annotations

import re
import shlex

from paas.domain.release import Build, WebProtocol
from paas.errors import InvalidInput
from paas.runtime.kubernetes.settings import KubernetesSettings

#: Port nginx listens on; above 1024 because the pod runs without root.
PORT = 8080
STATIC_ROOT = "/paas-static"
CONF_DIR = "/etc/paas-nginx"
CONF_FILE = "nginx.conf"
_SAFE = re.compile(r"^/[A-Za-z0-9._~/-]*$")


#: gunicorn worker classes that run an event loop: a slow client costs them no worker.
_EVENT_LOOP_WORKERS = ("uvicorn", "gevent", "eventlet", "tornado", "aiohttp")


def prefork_wsgi(command: str) -> bool:
    """True when the web command runs gunicorn with sync or thread workers, or uWSGI.

    The command is a Procfile line: words are checked, not run. gunicorn is pre-fork
    unless its worker class (``-k``/``--worker-class``) names an event loop.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    names = [w.rsplit("/", 1)[-1] for w in words]
    if any(n in ("uwsgi", "uwsgi_python3") for n in names):
        return True
    if "gunicorn" not in names:
        return False
    worker = ""
    for i, w in enumerate(words):
        if w in ("-k", "--worker-class") and i + 1 < len(words):
            worker = words[i + 1]
        elif w.startswith("--worker-class="):
            worker = w.split("=", 1)[1]
    return not any(loop in worker.lower() for loop in _EVENT_LOOP_WORKERS)


def needed(build: Build) -> bool:
    web = build.processes.get("web", "")
    return (bool(build.static) or build.web_protocol is WebProtocol.UWSGI
            or prefork_wsgi(web))


def _safe(kind: str, value: str) -> str:
    """Refuse characters that would let a path end an nginx directive."""
    if not _SAFE.match(value) or ".." in value.split("/"):
        raise InvalidInput(f"invalid static {kind} {value!r}: use an absolute path")
    return value


def static_dir(index: int) -> str:
    return f"{STATIC_ROOT}/{index}"


def render(build: Build, settings: KubernetesSettings) -> str:
    """nginx.conf for the sidecar; temp paths under /tmp so it runs as non-root."""
    timeout = f"{settings.proxy_timeout}s"
    lines = [
        "worker_processes 2;",
        "pid /tmp/nginx.pid;",
        "error_log stderr warn;",
        "events { worker_connections 1024; }",
        "http {",
        "  include /etc/nginx/mime.types;",
        "  default_type application/octet-stream;",
        "  access_log off;",
        "  sendfile on;",
        "  client_body_temp_path /tmp/client_body;",
        "  proxy_temp_path /tmp/proxy;",
        "  uwsgi_temp_path /tmp/uwsgi;",
        "  fastcgi_temp_path /tmp/fastcgi;",
        "  scgi_temp_path /tmp/scgi;",
        f"  client_max_body_size {settings.body_size};",
        "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }",
        "  server {",
        f"    listen {PORT};",
    ]
    # Longest prefix first, so /static/admin/ wins over /static/ as nginx would anyway.
    mounts = sorted(enumerate(build.static), key=lambda im: -len(im[1].url_prefix))
    for index, mount in mounts:
        prefix = _safe("url prefix", mount.url_prefix).rstrip("/") + "/"
        _safe("path", mount.path)
        lines += [
            f"    location {prefix} {{",
            f"      alias {static_dir(index)}/;",
            "      expires 1h;",
            "    }",
        ]
    upstream = f"127.0.0.1:{build.port}"
    lines.append("    location / {")
    if build.web_protocol is WebProtocol.UWSGI:
        lines += [
            "      include /etc/nginx/uwsgi_params;",
            f"      uwsgi_pass {upstream};",
            f"      uwsgi_read_timeout {timeout};",
            f"      uwsgi_send_timeout {timeout};",
            "      uwsgi_buffering on;",
            "      uwsgi_request_buffering on;",
        ]
    else:
        lines += [
            f"      proxy_pass http://{upstream};",
            "      proxy_http_version 1.1;",
            "      proxy_set_header Host $host;",
            "      proxy_set_header Upgrade $http_upgrade;",
            "      proxy_set_header Connection $connection_upgrade;",
            # The gateway already set these; pass its values on, not the pod's view.
            "      proxy_set_header X-Forwarded-For $http_x_forwarded_for;",
            "      proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;",
            "      proxy_set_header X-Forwarded-Host $http_x_forwarded_host;",
            f"      proxy_read_timeout {timeout};",
            f"      proxy_send_timeout {timeout};",
            # Whole requests and responses, so a slow client never holds a sync worker;
            # a streaming response opts out with X-Accel-Buffering: no.
            "      proxy_buffering on;",
            "      proxy_request_buffering on;",
        ]
    lines += ["    }", "  }", "}", ""]
    return "\n".join(lines)
