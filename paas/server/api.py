"""The platform's HTTP interface: JSON API under /v1, git under /git, the hook callback.

Every error leaves as ``{"error": "one line"}`` with the status of its PaasError class,
which the CLI prints as is.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from paas import __version__
from paas.errors import InvalidInput, NotFound, PaasError, Unauthorized
from paas.server.auth import authenticate
from paas.server.git_http import Repos, run_http_backend
from paas.server.receive import Receiver
from paas.services import apps as app_service
from paas.settings import Settings
from paas.store.port import Store, User

log = logging.getLogger("paas.server")

_GIT_PATH = re.compile(r"^/git/([a-z0-9-]+)\.git(/.*)$")
_GIT_SERVICES = frozenset({"git-receive-pack", "git-upload-pack"})

Handler = Callable[..., Response]


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(message: str, status: int) -> Response:
    return _json({"error": message}, status)


class PlatformAPI:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        repos: Repos,
        receiver: Receiver,
        hook_secret: str,
    ) -> None:
        self.settings = settings
        self.store = store
        self.repos = repos
        self.receiver = receiver
        self.hook_secret = hook_secret
        self.url_map = Map(
            [
                Rule("/v1/health", endpoint="health", methods=["GET"]),
                Rule("/v1/whoami", endpoint="whoami", methods=["GET"]),
                Rule("/v1/apps", endpoint="list_apps", methods=["GET"]),
                Rule("/v1/apps", endpoint="create_app", methods=["POST"]),
                Rule("/v1/apps/<name>", endpoint="get_app", methods=["GET"]),
                Rule("/internal/hooks/pre-receive", endpoint="pre_receive", methods=["POST"]),
            ]
        )

    # plumbing -----------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        try:
            git_match = _GIT_PATH.match(request.path)
            if git_match:
                return self.git(request, git_match.group(1), git_match.group(2))
            adapter = self.url_map.bind_to_environ(request.environ)
            endpoint, args = adapter.match()
            handler: Handler = getattr(self, f"on_{endpoint}")
            return handler(request, **args)
        except PaasError as e:
            resp = _error(e.message, e.status)
            if isinstance(e, Unauthorized):
                resp.headers["WWW-Authenticate"] = 'Bearer realm="paas"'
            return resp
        except MethodNotAllowed:
            return _error(f"method {request.method} not allowed on {request.path}", 405)
        except RouteNotFound:
            return _error(f"no such endpoint: {request.path}", 404)
        except HTTPException as e:
            return _error(e.description or str(e), e.code or 500)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return _error("internal server error (see the server log)", 500)

    def user(self, request: Request) -> User:
        return authenticate(self.store, request.headers.get("Authorization"))

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            data = json.loads(request.get_data(as_text=True) or "{}")
        except json.JSONDecodeError as e:
            raise InvalidInput(f"request body is not valid JSON: {e.msg}") from e
        if not isinstance(data, dict):
            raise InvalidInput("request body must be a JSON object")
        return data

    def _app_json(self, view: app_service.AppView) -> dict[str, Any]:
        a = view.app
        return {
            "name": a.name,
            "owner": a.owner,
            "created_at": a.created_at.isoformat(),
            "release": view.release.label if view.release else None,
            "url": a.url(self.settings.domain, self.settings.router_port),
            "domains": list(a.domains),
            "formation": dict(a.formation),
            "git_url": f"{self.settings.api_url}/git/{a.name}.git",
        }

    # endpoints ----------------------------------------------------------------------
    def on_health(self, request: Request) -> Response:
        return _json({"ok": True, "version": __version__})

    def on_whoami(self, request: Request) -> Response:
        user = self.user(request)
        return _json({"name": user.name, "admin": user.is_admin})

    def on_list_apps(self, request: Request) -> Response:
        self.user(request)
        return _json([self._app_json(v) for v in app_service.list_apps(self.store)])

    def on_create_app(self, request: Request) -> Response:
        user = self.user(request)
        name = self._body(request).get("name")
        if not isinstance(name, str):
            raise InvalidInput("missing app name")
        app = app_service.create_app(self.store, name, user)
        self.repos.ensure(app.name)
        return _json(self._app_json(app_service.AppView(app, None)), 201)

    def on_get_app(self, request: Request, name: str) -> Response:
        self.user(request)
        app = self.store.get_app(name)
        return _json(self._app_json(app_service.AppView(app, self.store.current_release(name))))

    def on_pre_receive(self, request: Request) -> Response:
        secret = request.headers.get("X-Paas-Hook-Secret", "")
        if not hmac.compare_digest(secret, self.hook_secret):
            raise Unauthorized("bad hook secret")
        body = self._body(request)
        stream: Iterator[bytes] = self.receiver.stream(
            str(body["app"]), str(body.get("user", "")), body.get("refs", []),
            {str(k): str(v) for k, v in body.get("env", {}).items()},
        )
        return Response(stream, mimetype="text/plain", direct_passthrough=True)

    # git ------------------------------------------------------------------------------
    def git(self, request: Request, app: str, rest: str) -> Response:
        try:
            user = self.user(request)
        except Unauthorized:
            # git asks for credentials (or reports "Authentication failed") on this.
            resp = Response("authentication required\n", status=401, mimetype="text/plain")
            resp.headers["WWW-Authenticate"] = 'Basic realm="paas"'
            return resp
        service = request.args.get("service") or rest.rsplit("/", 1)[-1]
        if rest not in ("/info/refs", "/git-receive-pack", "/git-upload-pack") or (
            rest == "/info/refs" and service not in _GIT_SERVICES
        ):
            return Response("only smart HTTP is served\n", status=403, mimetype="text/plain")
        try:
            self.store.get_app(app)
        except NotFound:
            return Response(f"app {app} not found: create it with `paas apps:create {app}`\n",
                            status=404, mimetype="text/plain")
        self.repos.ensure(app)
        extra = {
            "REMOTE_USER": user.name,
            "REMOTE_ADDR": request.remote_addr or "",
            "PAAS_APP": app,
            "PAAS_USER": user.name,
            "PAAS_HOOK_URL": f"{self.settings.local_api_url}/internal/hooks/pre-receive",
            "PAAS_HOOK_SECRET": self.hook_secret,
        }
        if request.headers.get("Content-Encoding"):
            extra["HTTP_CONTENT_ENCODING"] = request.headers["Content-Encoding"]
        if request.headers.get("Git-Protocol"):
            extra["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
        cgi = run_http_backend(
            self.settings.repos_dir,
            f"/{app}.git{rest}",
            request.method,
            request.query_string.decode(),
            request.headers.get("Content-Type", ""),
            request.stream,
            extra,
        )
        resp = Response(cgi.body, status=cgi.status, direct_passthrough=True)
        for name, value in cgi.headers:
            resp.headers[name] = value
        return resp
