"""A requests transport that answers from a WSGI app in this process.

The idea of httpx's ``MockTransport``: the client is the real one and does everything a
request does (auth, ~/.netrc, escaping, JSON); only the socket is replaced. Mounted on
the server's URL by ``Client(transport=...)``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import Client

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class WSGITransport(requests.adapters.BaseAdapter):
    def __init__(self, app: WSGIApplication) -> None:
        super().__init__()
        self.wsgi = Client(app)
        #: What was sent, in order: method and path with its query, as on the wire.
        self.sent: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float, float] | tuple[float, None] | None = None,
             verify: bool | str = True, cert: Any = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        assert request.url is not None and request.method is not None
        self.sent.append((request.method, request.path_url))
        url = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.wsgi.open(
            url.path, method=request.method, query_string=url.query,
            headers=list(request.headers.items()), data=body or b"",
            base_url=f"{url.scheme}://{url.netloc}",
        )
        resp = requests.Response()
        resp.status_code = answer.status_code
        resp.reason = answer.status.partition(" ")[2]
        resp.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        resp.encoding = get_encoding_from_headers(resp.headers)
        resp.raw = io.BytesIO(answer.get_data())
        resp.url = request.url
        resp.request = request
        return resp

    def close(self) -> None:
        return None
