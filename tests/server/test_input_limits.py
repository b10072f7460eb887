"""Hostile request bodies get a one-line 4xx, never a 500 or unbounded work."""

import io
import json
import socket
import threading
import time

import pytest
from werkzeug.serving import make_server

from paas.server import main
from paas.server.context import MAX_BODY, MAX_JSON_DEPTH, json_depth, parse_json
from paas.server.routes.lifecycle import CONFIG_BODY


def _raw(api, method, path, data, **headers):
    resp = api.client.open(path, method=method, data=data,
                           headers={**api.headers(), "Content-Type": "application/json",
                                    **headers})
    return resp.status_code, resp.get_json(silent=True)


def test_a_five_thousand_digit_integer_is_a_400(api):
    api.deployed_app("shop")
    body = '{"version": ' + "9" * 5000 + "}"
    assert _raw(api, "POST", "/v1/apps/shop/rollback", body) == (
        400, {"error": "request body has an integer longer than 16 digits"})


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_brackets_are_a_400(api, depth):
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    assert _raw(api, "POST", "/v1/apps", body) == (
        400, {"error": f"request body nests deeper than {MAX_JSON_DEPTH} levels"})
    assert _raw(api, "POST", "/v1/apps", "[" * depth)[0] == 400


def test_non_json_numbers_are_refused():
    for text in ("[NaN]", "[Infinity]", "[-Infinity]"):
        with pytest.raises(Exception, match="is not a JSON number"):
            parse_json(text)


def test_json_depth_counts_containers_only():
    assert json_depth({"a": ["]]]", {"b": 1}]}) == 3
    assert json_depth("[[[") == 0


def test_a_body_over_the_cap_is_a_413_before_it_is_parsed(api):
    big = json.dumps({"name": "x" * (10 << 20)})
    status, body = _raw(api, "POST", "/v1/apps", big)
    assert (status, body) == (413, {"error": f"request body is larger than {MAX_BODY} bytes"})
    assert api.store.list_apps() == []


def test_a_chunked_body_without_length_is_capped_too(api):
    # What werkzeug's server hands over for Transfer-Encoding: chunked: no length, a
    # stream that ends where the body does.
    body = b'{"name": "' + b"x" * (2 << 20) + b'"}'
    resp = api.client.post("/v1/apps", input_stream=io.BytesIO(body),
                           environ_overrides={"wsgi.input_terminated": True},
                           headers={**api.headers(), "Content-Type": "application/json"})
    assert (resp.status_code, resp.get_json()) == (
        413, {"error": f"request body is larger than {MAX_BODY} bytes"})
    assert api.store.list_apps() == []


def test_config_changes_may_be_larger_than_the_default_cap(api):
    api.deployed_app("shop")
    values = {f"CERT_{i}": "x" * 32 * 1024 for i in range(40)}  # 1.3 MB
    status, body = api.call("PATCH", "/v1/apps/shop/config", json={"set": values})
    assert status == 200, body
    too_big = {f"CERT_{i}": "x" * 32 * 1024 for i in range(CONFIG_BODY // (32 * 1024) + 1)}
    assert api.call("PATCH", "/v1/apps/shop/config", json={"set": too_big})[0] == 413


def test_creating_an_app_refuses_unknown_fields_and_long_names(api):
    assert api.call("POST", "/v1/apps", json={"name": "shop", "owner": "x"}) == (
        400, {"error": "unknown field(s): owner"})
    status, body = api.call("POST", "/v1/apps", json={"name": "x" * 5000})
    assert (status, body) == (400, {"error": "field name is longer than 240 characters"})
    # a name just too long for the rules gets the rules' own explanation
    status, body = api.call("POST", "/v1/apps", json={"name": "a" * 31})
    assert status == 400 and body["error"].startswith("invalid app name")
    assert api.store.list_apps() == []


def test_the_api_server_drops_a_connection_that_stops_sending(monkeypatch):
    """A client that never finishes its headers loses its thread after the read timeout."""
    monkeypatch.setattr(main.TimedRequestHandler, "timeout", 0.5)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=main.TimedRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as s:
            s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")  # no blank line, ever
            started = time.monotonic()
            assert s.recv(1024) == b""  # the server closed it
            assert time.monotonic() - started < 5
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            assert s.recv(1024).startswith(b"HTTP/1.")
    finally:
        server.shutdown()
        server.server_close()


def test_list_and_object_fields_are_bounded_before_any_work(api):
    api.deployed_app("shop")
    keys = [f"K{i}" for i in range(501)]
    assert api.call("PATCH", "/v1/apps/shop/config", json={"unset": keys}) == (
        400, {"error": "field unset has more than 500 entries"})
    assert api.call("PATCH", "/v1/apps/shop/config", json={"set": dict.fromkeys(keys, "")}) == (
        400, {"error": "field set has more than 500 entries"})
