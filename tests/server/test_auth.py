import base64
import hashlib
import stat

import pytest

from paas.errors import Unauthorized
from paas.server.auth import (
    ADMIN,
    authenticate,
    bootstrap_admin,
    hash_token,
    new_token,
    token_from_header,
)
from paas.store.port import User
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore


@pytest.fixture
def store(tmp_path):
    return SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())


def _basic(userpass: str) -> str:
    return "Basic " + base64.b64encode(userpass.encode()).decode()


def test_hash_token_is_stable_sha256_and_not_the_token():
    h = hash_token("paas_secret")
    assert h == hash_token("paas_secret")
    assert h == hashlib.sha256(b"paas_secret").hexdigest()
    assert h != "paas_secret"
    assert "paas_secret" not in h
    assert hash_token("paas_secreT") != h


def test_new_token_random_and_prefixed():
    a, b = new_token(), new_token()
    assert a != b
    assert a.startswith("paas_")
    assert len(a) > 40


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc ", "abc"),
        ("BEARER abc", "abc"),
        (_basic("paas:tok"), "tok"),
        (_basic("anyone:tok"), "tok"),
        (_basic(":tok"), "tok"),
        (_basic("u:tok:with:colons"), "tok:with:colons"),
    ],
)
def test_token_from_header(header, token):
    assert token_from_header(header) == token


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token abc",
        "abc",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        _basic("user:"),
        _basic("justuser"),
    ],
)
def test_token_from_header_none(header):
    assert token_from_header(header) is None


def test_bootstrap_admin_once(store, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    token = bootstrap_admin(store, home)
    assert token is not None
    assert token.startswith("paas_")
    path = home / "admin-token"
    assert path.read_text() == token + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.list_users() == [User(ADMIN, True)]
    assert store.user_for_token(hash_token(token)) == User("admin", True)

    assert bootstrap_admin(store, home) is None
    assert path.read_text() == token + "\n"
    assert store.list_users() == [User("admin", True)]


def test_authenticate(store, tmp_path):
    token = bootstrap_admin(store, tmp_path)
    assert authenticate(store, f"Bearer {token}") == User("admin", True)
    assert authenticate(store, _basic(f"git:{token}")) == User("admin", True)


@pytest.mark.parametrize("header", [None, "", "Bearer wrong", "Basic xyz"])
def test_authenticate_refuses(store, tmp_path, header):
    bootstrap_admin(store, tmp_path)
    with pytest.raises(Unauthorized) as exc:
        authenticate(store, header)
    assert exc.value.status == 401
    assert "authentication failed" in exc.value.message


def test_raw_hash_is_not_a_token(store, tmp_path):
    token = bootstrap_admin(store, tmp_path)
    assert token is not None
    with pytest.raises(Unauthorized):
        authenticate(store, f"Bearer {hash_token(token)}")
