import re
from dataclasses import replace

from paas.domain.release import StaticMount
from paas.router.config import Route, render_config
from paas.router.tls import HTTPS_LISTEN_PORT, Https, TlsSite, host_resolver
from tests.certfactory import CA, key_pem, pem
from tests.router.test_config import _nginx_t, _server_blocks

ROUTE = Route("shop", ("shop.localhost", "shop.example.com", "www.example.com"),
              ("10.0.0.2:5000",),
              static=((StaticMount("/static/", "/app/static"), "shop/v1/static"),))
SITE = TlsSite("shop", ("shop.example.com", "*.example.com"), "/c/shop.crt", "/c/shop.key")


def _blocks(text, head):
    return [b for b in _server_blocks(text) if head in b]


def test_without_https_nothing_changes():
    assert render_config([ROUTE], 1) == render_config([ROUTE], 1, https=None)
    assert "ssl" not in render_config([ROUTE], 1)


def test_tls_server_for_covered_hosts_with_http2_and_modern_tls():
    text = render_config([ROUTE], 1, https=Https(443, {"shop": SITE}))
    assert "    ssl_protocols TLSv1.2 TLSv1.3;\n" in text
    assert "    ssl_session_cache shared:paas_tls:10m;\n" in text
    assert "    ssl_session_tickets off;\n" in text
    assert re.search(r"ssl_ciphers ECDHE-[^;]*;", text)
    assert ":DHE-" not in text and "TLSv1.1" not in text
    default, = _blocks(text, "default_server;\n        ssl_reject_handshake on;")
    assert f"listen {HTTPS_LISTEN_PORT} ssl http2 default_server;" in default
    tls, = _blocks(text, "ssl_certificate /c/shop.crt;")
    assert f"        listen {HTTPS_LISTEN_PORT} ssl http2;\n" in tls
    assert "        server_name shop.example.com www.example.com;\n" in tls
    assert "        ssl_certificate_key /c/shop.key;\n" in tls
    assert "ssl_stapling" not in text  # no responder: nginx would warn


def test_plain_http_redirects_covered_hosts_and_serves_the_rest():
    text = render_config([ROUTE], 1, https=Https(8443, {"shop": SITE}))
    redirect, = _blocks(text, "return 308")
    assert "server_name shop.example.com www.example.com;" in redirect
    assert 'return 308 https://$host:8443$request_uri;' in redirect
    plain, = [b for b in _server_blocks(text) if "listen 8080;\n" in b and "proxy_pass" in b]
    assert "server_name shop.localhost;" in plain
    on_443 = render_config([ROUTE], 1, https=Https(443, {"shop": SITE}))
    assert "return 308 https://$host$request_uri;" in on_443


def test_redirect_off_keeps_plain_http_for_every_host():
    site = TlsSite("shop", SITE.patterns, SITE.cert_file, SITE.key_file, redirect=False)
    text = render_config([ROUTE], 1, https=Https(443, {"shop": site}))
    assert "return 308" not in text
    plain, = [b for b in _server_blocks(text) if "listen 8080;\n" in b and "proxy_pass" in b]
    assert "server_name shop.localhost shop.example.com www.example.com;" in plain


def test_hsts_reaches_every_location_of_the_tls_server_only():
    site = TlsSite("shop", SITE.patterns, SITE.cert_file, SITE.key_file, hsts=True)
    text = render_config([ROUTE], 1, https=Https(443, {"shop": site}))
    tls, = _blocks(text, "ssl_certificate /c/shop.crt;")
    # static locations set their own add_header, which would hide a server-level one
    assert tls.count("add_header Strict-Transport-Security max-age=63072000 always;") == 2
    assert text.count("Strict-Transport-Security") == 2


def test_stapling_only_with_a_responder():
    site = TlsSite("shop", SITE.patterns, SITE.cert_file, SITE.key_file, stapling=True)
    text = render_config([ROUTE], 1, https=Https(443, {"shop": site}))
    assert "        ssl_stapling on;\n" in text
    assert "        ssl_trusted_certificate /c/shop.crt;\n" in text
    assert "    resolver 127.0.0.11 valid=300s ipv6=off;\n" in text


def test_acme_challenges_are_answered_before_any_redirect():
    waiting = TlsSite("shop", acme=True)  # no certificate yet
    text = render_config([ROUTE], 1, https=Https(443, {"shop": waiting}))
    assert "return 308" not in text and "ssl_certificate " not in text
    assert "location ^~ /.well-known/acme-challenge/ {" in text
    assert "alias /etc/paas-router/acme/;" in text
    both = render_config([ROUTE], 1, https=Https(443, {"shop": TlsSite(
        "shop", SITE.patterns, SITE.cert_file, SITE.key_file, acme=True)}))
    redirect, = _blocks(both, "return 308")
    assert redirect.index("acme-challenge") < redirect.index("return 308")


def test_nginx_accepts_the_tls_config_with_real_files(tmp_path):
    ca = CA()
    leaf, k = ca.leaf("shop.example.com", "*.example.com", ocsp="http://ocsp.test/")
    (tmp_path / "shop.crt").write_bytes(pem(leaf, ca.inter))
    (tmp_path / "shop.key").write_bytes(key_pem(k))
    site = TlsSite("shop", SITE.patterns, str(tmp_path / "shop.crt"),
                   str(tmp_path / "shop.key"), hsts=True, stapling=True, acme=True)
    other = Route("blog", ("blog.localhost",), ("10.0.0.3:5000",))
    text = render_config([ROUTE, other], 1, https=Https(8443, {"shop": site}))
    # the rendered paths are the router's; the test runs nginx -t on the host
    result = _nginx_t(tmp_path, text.replace("/tmp/nginx.pid", str(tmp_path / "pid")))
    assert result.returncode == 0, result.stderr


def test_tls_on_the_host_network_listens_on_the_router_address_with_the_host_resolver(
) -> None:
    site = replace(SITE, stapling=True)
    https = Https(443, {"shop": site}, listen="0.0.0.0:443", resolver="192.0.2.53")
    text = render_config([ROUTE], 1, https=https, listen="0.0.0.0:80")
    assert "listen 0.0.0.0:443 ssl http2 default_server;" in text
    assert "        listen 0.0.0.0:443 ssl http2;\n" in text
    assert "resolver 192.0.2.53 valid=300s ipv6=off;" in text
    assert "listen 8443" not in text and "127.0.0.11" not in text


def test_the_host_resolver_is_the_first_ipv4_nameserver() -> None:
    assert host_resolver("# x\nsearch lan\nnameserver fe80::1\nnameserver 10.0.0.2\n"
                         "nameserver 10.0.0.3\n") == "10.0.0.2"
    assert host_resolver("search lan\n") is None
