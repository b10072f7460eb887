"""GET /v1/apps/NAME/logs: recent lines, or a live stream with ``follow=1``.

The body is text, one ``TIME SOURCE: MESSAGE`` line each; a followed stream also carries
empty lines as keep-alives, which clients skip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from werkzeug.wrappers import Request, Response

from paas.domain.logs import validate_request
from paas.errors import InvalidInput
from paas.server.context import ApiContext, Route

DEFAULT_LINES = 100


def _lines_arg(request: Request) -> int:
    raw = request.args.get("lines", str(DEFAULT_LINES))
    try:
        return int(raw)
    except ValueError as e:
        raise InvalidInput(f"lines must be a whole number, not {raw[:40]!r}") from e


def get_logs(ctx: ApiContext, request: Request, name: str) -> Response:
    _, app = ctx.app_for(request, name)
    lines = _lines_arg(request)
    process_type = request.args.get("process") or None
    validate_request(lines, process_type)
    follow = request.args.get("follow", "") in ("1", "true", "yes")
    logs = ctx.services.logs
    if not follow:
        text = "".join(x.render() + "\n" for x in logs.recent(app.name, process_type, lines))
        return Response(text, mimetype="text/plain")

    def stream() -> Iterator[bytes]:
        # closing(): the follower's threads and engine streams end with the response.
        with contextlib.closing(logs.follow(app.name, process_type, lines)) as followed:
            for line in followed:
                yield b"\n" if line is None else (line.render() + "\n").encode()

    return Response(stream(), mimetype="text/plain", direct_passthrough=True)


ROUTES = [Route("/v1/apps/<name>/logs", ("GET",), get_logs)]
