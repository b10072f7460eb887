import pytest

from paas.domain.names import (
    APP_NAME_MAX,
    validate_app_name,
    validate_config_key,
    validate_hostname,
    validate_process_type,
)
from paas.errors import InvalidInput


@pytest.mark.parametrize("name", ["a", "web", "my-app", "app2", "9lives", "a" * APP_NAME_MAX])
def test_app_name_accepted(name):
    assert validate_app_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a" * (APP_NAME_MAX + 1),
        "MyApp",
        "my_app",
        "-app",
        "app-",
        "my.app",
        "my app",
        "app\n",
        "ü",
    ],
)
def test_app_name_rejected(name):
    with pytest.raises(InvalidInput) as exc:
        validate_app_name(name)
    assert repr(name) in exc.value.message
    assert exc.value.status == 400


def test_app_name_limit_is_30():
    assert APP_NAME_MAX == 30


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("WWW.Example.COM", "www.example.com"),
        ("example.com.", "example.com"),
        ("a-b.c-d.example", "a-b.c-d.example"),
    ],
)
def test_hostname_normalised(host, expected):
    assert validate_hostname(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "",
        "localhost",
        "-bad.example.com",
        "bad-.example.com",
        "a_b.example.com",
        "a..example.com",
        "example.com;",
        "example.com { }",
        "example.com\n",
        ("a" * 64) + ".example.com",
        ".".join(["abcdefghi"] * 26),  # 259 characters
    ],
)
def test_hostname_rejected(host):
    with pytest.raises(InvalidInput, match="invalid hostname"):
        validate_hostname(host)


def test_hostname_63_char_label_accepted():
    host = ("a" * 63) + ".example.com"
    assert validate_hostname(host) == host


@pytest.mark.parametrize("key", ["A", "DATABASE_URL", "_private", "lower_ok", "X1"])
def test_config_key_accepted(key):
    assert validate_config_key(key) == key


@pytest.mark.parametrize("key", ["", "1ABC", "A-B", "A B", "A=B", "A\nB", "$HOME", "KEY\n"])
def test_config_key_rejected(key):
    with pytest.raises(InvalidInput, match="invalid config key"):
        validate_config_key(key)


@pytest.mark.parametrize("name", ["web", "worker", "beat", "release", "worker-2", "a" * 30])
def test_process_type_accepted(name):
    assert validate_process_type(name) == name


@pytest.mark.parametrize("name", ["", "Web", "my_worker", "-web", "web-", "a" * 31, "w b", "web\n"])
def test_process_type_rejected(name):
    with pytest.raises(InvalidInput, match="invalid process type"):
        validate_process_type(name)


# -- custom domains: what a tenant may claim -----------------------------------------
from paas.domain.names import (  # noqa: E402
    RESERVED_HOSTS,
    ROUTER_CONTROL_HOST,
    reads_as_ip_address,
    validate_custom_domain,
)


@pytest.mark.parametrize("host", [
    "127.0.0.1", "0.0.0.0", "169.254.169.254", "10.1.2.3", "127.1", "0x7f.1",
    "0x7f000001", "0177.0.0.1", "2130706433", "127.0.0.1.", "::1", "[::1]", "fe80::1%eth0",
    "::ffff:127.0.0.1", "2001:db8::1", "[2001:db8::1]", "www.example.0x10", "a.b.123",
])
def test_ip_literals_are_not_custom_domains(host):
    assert reads_as_ip_address(host)
    with pytest.raises(InvalidInput, match="is an IP address"):
        validate_custom_domain(host, "apps.example.net")


@pytest.mark.parametrize("host", [
    "localhost.localdomain", "app.localhost", "a.b.localhost", "LOCALHOST.localdomain.",
    "x.localdomain", ROUTER_CONTROL_HOST, "PAAS-ROUTER.internal", "host.docker.internal",
    "gateway.docker.internal", "anything.internal", "x.invalid",
])
def test_reserved_names_are_not_custom_domains(host):
    with pytest.raises(InvalidInput, match="reserved for the platform or this machine"):
        validate_custom_domain(host, "apps.example.net")


@pytest.mark.parametrize("host", ["localhost", "intranet", "com"])
def test_single_label_names_are_not_custom_domains(host):
    with pytest.raises(InvalidInput, match="invalid hostname"):
        validate_custom_domain(host, "apps.example.net")


@pytest.mark.parametrize("host", ["apps.example.net", "shop.apps.example.net"])
def test_names_under_the_platform_domain_are_not_custom_domains(host):
    with pytest.raises(InvalidInput, match="under the platform domain"):
        validate_custom_domain(host, "apps.example.net")


@pytest.mark.parametrize(("host", "expected"), [
    ("www.example.com", "www.example.com"), ("WWW.Shop.IO.", "www.shop.io"),
    ("1password.com", "1password.com"), ("123.example.com", "123.example.com"),
    ("www.e2e-lifecycle.test", "www.e2e-lifecycle.test"), ("a.b.c.d.e.example.org", None),
])
def test_public_dns_names_are_custom_domains(host, expected):
    assert not reads_as_ip_address(host)
    assert validate_custom_domain(host, "apps.example.net") == (expected or host)


def test_the_router_control_host_is_reserved():
    assert ROUTER_CONTROL_HOST in RESERVED_HOSTS
