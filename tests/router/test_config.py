import http.client
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from paas.domain.release import StaticMount, WebProtocol
from paas.router.config import (
    CONTROL_HOST,
    LISTEN_PORT,
    STATIC_ROOT,
    Route,
    app_of,
    listen_on,
    render_config,
)


def _server_blocks(text):
    """The text of each top-level ``server { ... }`` inside ``http``, by indentation."""
    return re.findall(r"^    server \{\n(.*?)^    \}$", text, flags=re.M | re.S)


def _upstreams(text):
    return dict(
        re.findall(r"^    upstream (\S+) \{\n(.*?)^    \}$", text, flags=re.M | re.S)
    )


WEB = Route("shop", ("shop.example.com", "www.shop.io"), ("10.0.0.2:5000", "10.0.0.3:5000"))


def test_listen_port():
    assert LISTEN_PORT == 8080


def test_control_server_serves_generation():
    text = render_config([], 42)
    servers = _server_blocks(text)
    assert len(servers) == 1
    control = servers[0]
    assert "        listen 8080 default_server;\n" in control
    assert f"        server_name {CONTROL_HOST};\n" in control
    assert (
        "        location = /__paas/generation {\n"
        "            access_log off;\n"
        "            allow 127.0.0.1;\n"
        "            deny all;\n"
        "            try_files /.paas-no-such-file @paas_generation;\n"
        "        }\n"
        "        location @paas_generation {\n"
        "            access_log off;\n"
        "            return 200 42;\n"
        "        }\n"
    ) in control
    assert 'return 404 "no app answers for this host\\n";' in control


def test_top_level_structure():
    text = render_config([], 1)
    # an old worker's long-lived connections end, so a reload's drain ends too
    assert text.startswith("worker_processes auto;\nworker_shutdown_timeout 20s;\n"
                           "pid /tmp/nginx.pid;\n")
    assert "events {\n    worker_connections 4096;\n}\n" in text
    assert text.count("\nhttp {\n") == 1
    assert text.endswith("}\n")
    assert text.count("{") == text.count("}")
    assert "    include /etc/nginx/mime.types;\n" in text
    assert "    map $http_upgrade $connection_upgrade {\n" in text
    # an empty Connection header keeps upstream connections alive (keepalive below)
    assert "        '' \"\";\n" in text
    assert "    access_log /dev/stdout paas_router buffer=32k flush=1s;\n" in text
    assert '    log_format paas_router escape=default "app=$paas_app method=' in text


def test_each_server_names_its_app_for_the_access_line():
    text = render_config([WEB], 3)
    control, shop = _server_blocks(text)
    assert "        set $paas_app -;\n" in control
    assert "        set $paas_app shop;\n" in shop


def test_app_of_an_access_line():
    assert app_of('app=shop method=GET path="/" status=200') == (
        "shop", 'method=GET path="/" status=200')
    assert app_of("app=- method=GET") is None  # a request for no app
    assert app_of("2026/12/03 08:00:00 [warn] 7#7: something") is None
    assert app_of("app= method=GET") is None


def test_route_gets_upstream_with_its_replicas():
    text = render_config([WEB], 3)
    ups = _upstreams(text)
    assert list(ups) == ["app_shop"]
    assert ups["app_shop"] == (
        "        server 10.0.0.2:5000 max_fails=1 fail_timeout=5s;\n"
        "        server 10.0.0.3:5000 max_fails=1 fail_timeout=5s;\n"
        "        keepalive 32;\n"
        "        keepalive_timeout 1s;\n"
    )
    servers = _server_blocks(text)
    assert len(servers) == 2
    app = servers[1]
    assert "        listen 8080;\n" in app
    assert "        server_name shop.example.com www.shop.io;\n" in app
    assert "            proxy_pass http://app_shop;\n" in app
    assert "            proxy_buffering on;\n" in app
    assert "            proxy_http_version 1.1;\n" in app
    assert "            proxy_set_header Connection $connection_upgrade;\n" in app
    assert '            proxy_set_header X-Request-Start "t=${msec}";\n' in app
    assert "uwsgi_pass" not in text


def test_dashes_in_app_name_become_underscores_in_upstream():
    text = render_config([Route("my-shop", ("my-shop.local.test",), ("10.0.0.9:5000",))], 1)
    assert list(_upstreams(text)) == ["app_my_shop"]
    assert "proxy_pass http://app_my_shop;" in text


def test_one_upstream_and_server_per_app_sorted_by_name():
    routes = [
        Route("zeta", ("zeta.example.com",), ("10.0.0.5:5000",)),
        Route("alpha", ("alpha.example.com",), ("10.0.0.4:5000",)),
    ]
    text = render_config(routes, 1)
    assert list(_upstreams(text)) == ["app_alpha", "app_zeta"]
    names = [re.search(r"server_name (.*);", s).group(1) for s in _server_blocks(text)]
    assert names == [CONTROL_HOST, "alpha.example.com", "zeta.example.com"]


def test_no_upstreams_means_503_and_no_upstream_block():
    text = render_config([Route("idle", ("idle.example.com",), ())], 1)
    assert _upstreams(text) == {}
    app = _server_blocks(text)[1]
    assert (
        "        location / {\n"
        '            return 503 "no web process running\\n";\n'
        "        }\n"
    ) in app
    assert "proxy_pass" not in text


def test_uwsgi_protocol():
    route = Route("u", ("u.example.com",), ("10.0.0.7:5000",), protocol=WebProtocol.UWSGI)
    app = _server_blocks(render_config([route], 1))[1]
    assert "            include /etc/nginx/uwsgi_params;\n" in app
    assert "            uwsgi_pass app_u;\n" in app
    assert "            uwsgi_param HTTP_X_FORWARDED_PROTO $scheme;\n" in app
    assert "proxy_pass" not in app


def test_static_locations_alias_before_root_location():
    route = Route(
        "s",
        ("s.example.com",),
        ("10.0.0.8:5000",),
        static=((StaticMount("/static/", "/app/static"), "s/v3/static"),),
    )
    app = _server_blocks(render_config([route], 1))[1]
    assert (
        "        location /static/ {\n"
        f"            alias {STATIC_ROOT}/s/v3/static/;\n"
        "            add_header Cache-Control $paas_static_cache;\n"
        "            access_log off;\n"
        "        }\n"
    ) in app
    assert app.index("location /static/") < app.index("location / {")


HOSTILE_HOST = 'evil.com; } server { listen 8080; server_name pwned; location / { return 200 "x"'


def test_hostile_server_name_cannot_add_a_server():
    route = Route("h", ("h.example.com", HOSTILE_HOST), ("10.0.0.2:5000",))
    text = render_config([route], 1)
    assert len(_server_blocks(text)) == 2
    assert len(re.findall(r"^\s*server \{", text, flags=re.M)) == 2
    line = next(ln for ln in text.splitlines() if ln.startswith("        server_name h."))
    # The whole hostile value is one quoted argument, its quotes escaped.
    assert line == (
        '        server_name h.example.com "evil.com; } server { listen 8080; server_name pwned;'
        ' location / { return 200 \\"x\\"";'
    )


def test_hostile_static_prefix_and_directory_stay_one_argument():
    route = Route(
        "p",
        ("p.example.com",),
        ("10.0.0.2:5000",),
        static=((StaticMount("/s/ {\n}\nlocation /x", "/app/s"), 'd";\ninclude /etc/passwd;'),),
    )
    text = render_config([route], 1)
    assert "\ninclude /etc/passwd" not in text
    assert len(_server_blocks(text)) == 2
    assert '        location "/s/ {\\n}\\nlocation /x" {\n' in text
    assert f'            alias "{STATIC_ROOT}/d\\";\\ninclude /etc/passwd;/";\n' in text


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _nginx_t(tmp_path, text):
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    # scripts/test installs nginx: a missing one is a broken set-up, not a skip.
    assert NGINX is not None, "nginx not found (scripts/test installs it)"
    return subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_nginx_accepts_rendered_config(tmp_path):
    routes = [
        WEB,
        Route("idle", ("idle.example.com",), ()),
        Route("u", ("u.example.com",), ("10.0.0.7:5000",), protocol=WebProtocol.UWSGI),
        Route(
            "s",
            ("s.example.com", HOSTILE_HOST),
            ("10.0.0.8:5000",),
            static=((StaticMount("/static/", "/app/static"), "s/v1/static"),),
        ),
    ]
    result = _nginx_t(tmp_path, render_config(routes, 7))
    assert result.returncode == 0, result.stderr


def test_nginx_check_can_fail(tmp_path):
    # The check above means something: nginx -t does reject a broken config here.
    result = _nginx_t(tmp_path, render_config([], 1) + "bogus_directive on;\n")
    assert result.returncode != 0
    assert "bogus_directive" in result.stderr


def test_bare_ip_requests_get_the_default_no_app_answer():
    """An app server never names an IP address or a reserved host, even when an older
    database holds one: requests by bare address reach the default server's 404."""
    hijack = Route("evil", ("evil.localhost", "127.0.0.1", "0x7f.1", "[::1]", CONTROL_HOST,
                            "www.evil.com"), ("10.0.0.9:5000",))
    text = render_config([hijack, WEB], 1)
    servers = _server_blocks(text)
    default = [s for s in servers if "default_server" in s]
    assert len(default) == 1
    assert f"server_name {CONTROL_HOST};" in default[0]
    assert 'location / {\n            return 404 "no app answers for this host\\n";' in default[0]
    names = re.findall(r"^        server_name (.*);$", text, flags=re.M)
    assert names == [CONTROL_HOST, "evil.localhost www.evil.com",
                     "shop.example.com www.shop.io"]
    assert all("default_server" not in s for s in servers if s not in default)


def test_an_app_left_with_no_routable_host_gets_no_server():
    text = render_config([Route("ip", ("127.0.0.1",), ("10.0.0.9:5000",))], 1)
    assert len(_server_blocks(text)) == 1


def test_control_endpoint_answers_only_the_given_sources():
    text = render_config([WEB], 5, control_from=("192.0.2.1",))
    control = _server_blocks(text)[0]
    assert "            allow 192.0.2.1;\n            deny all;\n" in control
    # the generation is only ever returned from the named location behind the check:
    # a ``return`` beside allow/deny would run before them and answer everyone
    assert text.count("return 200 5;") == 1
    assert re.search(r"location @paas_generation \{\n[^}]*return 200 5;", control)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _generation_over_nginx(tmp_path, control_from):
    """Run the rendered config in a real nginx; (status, body) of the control endpoint
    for a client at 127.0.0.1."""
    assert NGINX is not None, "nginx not found (scripts/test installs it)"
    port = _free_port()
    text = render_config([WEB], 9, control_from=control_from)
    text = text.replace(f"listen {LISTEN_PORT}", f"listen 127.0.0.1:{port}")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    (tmp_path / "logs").mkdir(exist_ok=True)
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-e", "stderr", "-c", str(conf),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/__paas/generation", headers={"Host": CONTROL_HOST})
                resp = conn.getresponse()
                return resp.status, resp.read().decode()
            except ConnectionRefusedError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(("control_from", "expected"), [
    (("127.0.0.1",), (200, "9")),
    (("10.255.0.1",), (403, None)),  # an app container's address is not the platform's
])
def test_nginx_serves_the_generation_only_to_the_platform(tmp_path, control_from, expected):
    status, body = _generation_over_nginx(tmp_path, control_from)
    assert status == expected[0]
    if expected[1] is not None:
        assert body == expected[1]
    else:
        assert "9" not in body


def test_apps_get_the_forwarded_headers_herokus_router_sends():
    text = render_config([Route("shop", ("shop.local.test",), ("10.0.0.2:5000",))], 1)
    app = _server_blocks(text)[1]
    # the client's address appended to what it sent, the scheme, and the port it used
    assert "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n" in app
    assert "            proxy_set_header X-Forwarded-Proto $scheme;\n" in app
    assert "            proxy_set_header X-Forwarded-Port $paas_forwarded_port;\n" in app
    # the port from the Host header (the router's own is the container's, not the
    # host's), else the scheme's default
    assert ("    map $http_host $paas_forwarded_port {\n"
            "        ~:([0-9]+)$ $1;\n"
            "        default $paas_scheme_port;\n    }\n") in text
    assert "        https 443;\n        default 80;\n" in text


def test_uwsgi_apps_get_the_same_headers():
    text = render_config([Route("shop", ("shop.local.test",), ("10.0.0.2:5000",),
                                WebProtocol.UWSGI)], 1)
    assert "uwsgi_param HTTP_X_FORWARDED_PORT $paas_forwarded_port;" in text
    assert 'uwsgi_param HTTP_X_REQUEST_START "t=${msec}";' in text


def test_a_router_on_the_host_network_listens_on_its_address_only() -> None:
    """On the host's network nginx binds the router address itself: every server
    listens there, never on a bare port (every address of the host)."""
    route = Route("shop", ("shop.localhost",), ("10.213.0.2:5000",))
    text = render_config([route], 1, control_from=("127.0.0.1",),
                         listen=listen_on("127.0.0.1", 18080))
    listens = [line.strip() for line in text.splitlines() if line.strip().startswith("listen")]
    assert listens == ["listen 127.0.0.1:18080 default_server;", "listen 127.0.0.1:18080;"]
    assert listen_on("::1", 80) == "[::1]:80" and listen_on("0.0.0.0", 80) == "0.0.0.0:80"
