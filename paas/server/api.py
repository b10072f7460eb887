"""The platform's HTTP interface: JSON API under /v1, git under /git, the hook callback.

Every error leaves as ``{"error": "one line"}`` with the status of its PaasError class,
which the CLI prints as is.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from paas.errors import NotFound, PaasError, Unauthorized
from paas.server.context import (
    MAX_BODY,
    ApiContext,
    Handler,
    Route,
    app_not_found,
    json_response,
    read_body,
)
from paas.server.git_http import run_http_backend
from paas.server.routes import all_routes

log = logging.getLogger("paas.server")

_GIT_PATH = re.compile(r"^/git/([a-z0-9-]+)\.git(/.*)$")
_GIT_SERVICES = frozenset({"git-receive-pack", "git-upload-pack"})

class PlatformAPI:
    def __init__(self, ctx: ApiContext, routes: list[Route] | None = None) -> None:
        self.ctx = ctx
        table = routes if routes is not None else all_routes()
        rules = [Rule("/internal/hooks/pre-receive", endpoint="pre_receive", methods=["POST"])]
        self.handlers: dict[str, Handler] = {"pre_receive": self.on_pre_receive}
        self.max_body: dict[str, int] = {"pre_receive": MAX_BODY}
        for i, route in enumerate(table):
            key = f"r{i}"
            rules.append(Rule(route.rule, endpoint=key, methods=list(route.methods)))
            self.handlers[key] = partial(route.handler, ctx)
            self.max_body[key] = route.max_body
        self.url_map = Map(rules)

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
            # werkzeug stops reading there and answers 413, with or without a length.
            request.max_content_length = self.max_body[endpoint]
            return self.handlers[endpoint](request, **args)
        except PaasError as e:
            body = {"error": e.message}
            failure_log = e.log
            if failure_log:
                # Why a build or rollout failed: the last lines of its output.
                body["log"] = failure_log
            resp = json_response(body, e.status)
            if isinstance(e, Unauthorized):
                resp.headers["WWW-Authenticate"] = 'Bearer realm="paas"'
            return resp
        except MethodNotAllowed:
            return json_response(
                {"error": f"method {request.method} not allowed on {request.path}"}, 405)
        except RouteNotFound:
            return json_response({"error": f"no such endpoint: {request.path}"}, 404)
        except RequestEntityTooLarge:
            return json_response({"error": "request body is larger than "
                                  f"{request.max_content_length} bytes"}, 413)
        except HTTPException as e:
            return json_response({"error": e.description or str(e)}, e.code or 500)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return json_response({"error": "internal server error (see the server log)"}, 500)

    def on_pre_receive(self, request: Request) -> Response:
        secret = request.headers.get("X-Paas-Hook-Secret", "")
        if not hmac.compare_digest(secret, self.ctx.hook_secret):
            raise Unauthorized("bad hook secret")
        body = read_body(request)
        stream: Iterator[bytes] = self.ctx.receiver.stream(
            str(body["app"]), str(body.get("user", "")), body.get("refs", []),
            {str(k): str(v) for k, v in body.get("env", {}).items()},
        )
        return Response(stream, mimetype="text/plain", direct_passthrough=True)

    # git ------------------------------------------------------------------------------
    def git(self, request: Request, app: str, rest: str) -> Response:
        try:
            user = self.ctx.user(request)
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
            self.ctx.visible_app(user, app)
        except NotFound:
            # The same answer for another's app as for a missing one: names stay private.
            return Response(f"{app_not_found(app)}: create it with `paas apps:create {app}`\n",
                            status=404, mimetype="text/plain")
        self.ctx.repos.ensure(app)
        extra = {
            "REMOTE_USER": user.name,
            "REMOTE_ADDR": request.remote_addr or "",
            "PAAS_APP": app,
            "PAAS_USER": user.name,
            "PAAS_HOOK_URL": f"{self.ctx.settings.local_api_url}/internal/hooks/pre-receive",
            "PAAS_HOOK_SECRET": self.ctx.hook_secret,
        }
        if request.headers.get("Content-Encoding"):
            extra["HTTP_CONTENT_ENCODING"] = request.headers["Content-Encoding"]
        if request.headers.get("Git-Protocol"):
            extra["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
        cgi = run_http_backend(
            self.ctx.settings.repos_dir,
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
