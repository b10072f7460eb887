"""What every API handler gets: the platform's adapters and the caller checks.

Route modules stay independent of each other by depending only on this context; the
authorization rules live here once, so a new endpoint cannot forget them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from paas.domain.app import App
from paas.errors import Forbidden, InvalidInput
from paas.server.auth import authenticate
from paas.server.git_http import Repos
from paas.server.receive import Receiver
from paas.services.platform import Services
from paas.settings import Settings
from paas.store.port import Store, User


@dataclass
class ApiContext:
    settings: Settings
    #: Users, tokens and grants, for the checks below; use cases go through ``services``.
    store: Store
    repos: Repos
    receiver: Receiver
    services: Services
    hook_secret: str

    def user(self, request: Request) -> User:
        return authenticate(self.store, request.headers.get("Authorization"))

    def admin(self, request: Request) -> User:
        user = self.user(request)
        if not user.is_admin:
            raise Forbidden("only an admin can do this")
        return user

    def app_for(self, request: Request, name: str) -> tuple[User, App]:
        """The caller and the app, when the caller may act on it (admin, owner, or granted)."""
        user = self.user(request)
        app = self.store.get_app(name)
        if not self.may_access(user, app):
            raise Forbidden(f"you ({user.name}) have no access to app {name}")
        return user, app

    def may_access(self, user: User, app: App) -> bool:
        return (user.is_admin or app.owner == user.name
                or self.store.has_access(app.name, user.name))


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def read_body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except json.JSONDecodeError as e:
        raise InvalidInput(f"request body is not valid JSON: {e.msg}") from e
    except UnicodeDecodeError as e:
        raise InvalidInput("request body is not UTF-8") from e
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    return data


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    """One endpoint: a werkzeug rule, its methods and ``handler(ctx, request, **args)``."""

    rule: str
    methods: tuple[str, ...]
    handler: Handler
