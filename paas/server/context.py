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
from paas.errors import Forbidden, InvalidInput, NotFound
from paas.server.auth import authenticate
from paas.server.git_http import Repos
from paas.server.receive import Receiver
from paas.services.access import may_manage_access
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
        """The caller and the app, when the caller may act on it (admin, owner, or granted).

        A caller without access hears exactly what a missing app would answer, so app
        names cannot be probed by comparing a 403 with a 404.
        """
        user = self.user(request)
        return user, self.visible_app(user, name)

    def visible_app(self, user: User, name: str) -> App:
        """The app ``user`` may act on; NotFound alike for a missing app and another's."""
        try:
            app = self.store.get_app(name)
        except NotFound:
            app = None
        if app is None or not self.may_access(user, app):
            raise NotFound(app_not_found(name))
        return app

    def owned_app(self, request: Request, name: str, action: str) -> tuple[User, App]:
        """The caller and the app, when the caller owns it or is an admin.

        Destroying and transferring end the owner's control of an app, so a collaborator
        with an access grant may not (Heroku's rule); they are told so, since they can
        see the app anyway.
        """
        user, app = self.app_for(request, name)
        if not may_manage_access(user, app):
            raise Forbidden(f"only the owner of {app.name} ({app.owner}) or an admin can "
                            f"{action} it")
        return user, app

    def may_access(self, user: User, app: App) -> bool:
        return (user.is_admin or app.owner == user.name
                or self.store.has_access(app.name, user.name))


def app_not_found(name: str) -> str:
    """The one answer for a missing app and for an app the caller may not see."""
    return f"app {name} not found"


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


#: Bytes of a request body unless its route says otherwise: every body the API takes is
#: a small JSON object; large uploads go through git, which has its own limit.
MAX_BODY = 1 << 20
#: Nesting of a JSON body: the deepest the API reads is an object of strings (depth 2).
MAX_JSON_DEPTH = 32
#: Digits of a JSON integer: every count the API takes fits in 2**53 (16 digits).
MAX_INT_DIGITS = 16

def json_depth(value: Any) -> int:
    """How deeply a parsed JSON value's arrays and objects nest (walked without recursion)."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            todo += [(x, depth) for x in (item.values() if isinstance(item, dict) else item)]
    return deepest


def _bounded_int(digits: str) -> int:
    # Checked before int(): Python refuses to convert over 4,300 digits with a ValueError.
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise InvalidInput(f"request body has an integer longer than {MAX_INT_DIGITS} digits")
    return int(digits)


def _no_constant(name: str) -> float:
    raise InvalidInput(f"request body is not valid JSON: {name} is not a JSON number")


def parse_json(text: str) -> Any:
    """JSON with bounded nesting and integers; every failure is an InvalidInput.

    Python's json decoder recurses once per level and stops with a RecursionError near
    1,000 levels (it checks, so catching it is safe); shallower bodies are measured after
    parsing, which the size cap keeps cheap.
    """
    too_deep = InvalidInput(f"request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"request body is not valid JSON: {e.msg}") from e
    except RecursionError as e:
        raise too_deep from e
    if json_depth(data) > MAX_JSON_DEPTH:
        raise too_deep
    return data


def read_body(request: Request) -> dict[str, Any]:
    """The JSON object in the body, within the route's size (``request.max_content_length``)."""
    try:
        text = request.get_data(as_text=False).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidInput("request body is not UTF-8") from e
    data = parse_json(text or "{}")
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    return data


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    """One endpoint: a werkzeug rule, its methods and ``handler(ctx, request, **args)``.

    ``max_body`` caps the bytes of its request body: larger only where a use needs it.
    """

    rule: str
    methods: tuple[str, ...]
    handler: Handler
    max_body: int = MAX_BODY
