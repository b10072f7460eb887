"""Secrets at rest: sealed in the database, key outside it, state files the owner's only."""

import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from paas.composition import rotate_secret_key
from paas.domain.addons import Addon
from paas.domain.app import App
from paas.settings import Settings
from paas.store.logbook import LogBook
from paas.store.secrets import (
    KEY_ENV,
    KEY_FILE,
    PREFIX,
    SecretBox,
    SecretKeyError,
    home_lock,
    load_secret_box,
)
from paas.store.sql import SqlStore
from tests.server.platform import make_platform

CONFIG_SECRET = "s3cr3t-config-value-0f9a7c"


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_config_values_and_addon_passwords_never_reach_the_database_files(tmp_path):
    api = make_platform(tmp_path)
    api.deployed_app("shop", config={"DATABASE_PASSWORD": CONFIG_SECRET})
    assert api.call("POST", "/v1/apps/shop/addons", json={"kind": "redis"})[0] == 201
    password = api.store.list_addons("shop")[0].password
    assert api.call("GET", "/v1/apps/shop/config")[1]["DATABASE_PASSWORD"] == CONFIG_SECRET

    db = api.ctx.settings.home / "paas.db"
    files = [p for p in (db, db.with_name("paas.db-wal")) if p.exists()]
    assert db.with_name("paas.db-wal") in files  # the WAL holds the newest rows
    for path in files:
        raw = path.read_bytes()
        assert CONFIG_SECRET.encode() not in raw, path
        assert password.encode() not in raw, path
    with sqlite3.connect(db) as conn:
        stored = [r[0] for r in conn.execute("SELECT config FROM releases")]
        stored += [r[0] for r in conn.execute("SELECT password FROM addons")]
    assert stored and all(s.startswith(PREFIX) for s in stored)


def test_the_database_files_are_the_owners_only(tmp_path, loose_umask):
    store = SqlStore("sqlite:///" + str(tmp_path / "paas.db"), secrets=SecretBox.generate())
    store.add_user("bob")
    with store.engine.connect():
        for name in ("paas.db", "paas.db-wal", "paas.db-shm"):
            assert _mode(tmp_path / name) == 0o600, name


def test_an_older_world_readable_database_is_tightened(tmp_path, loose_umask):
    db = tmp_path / "paas.db"
    sqlite3.connect(db).close()
    db.chmod(0o644)
    SqlStore("sqlite:///" + str(db), secrets=SecretBox.generate())
    assert _mode(db) == 0o600


def test_clear_text_rows_of_an_older_database_are_read_then_sealed(tmp_path):
    url = "sqlite:///" + str(tmp_path / "t.db")
    box = SecretBox.generate()
    first = SqlStore(url, secrets=box)
    first.create_app(App(name="shop", owner="admin", created_at=datetime.now(UTC)))
    first.add_release("shop", None, {"K": CONFIG_SECRET}, "d", "admin")
    first.add_addon(Addon(app="shop", kind="redis", password="clear-password-123456",
                          created_at=datetime.now(UTC)))
    with first.engine.begin() as c:  # what an older version wrote
        c.execute(sa.text("UPDATE releases SET config = :c"), {"c": f'{{"K": "{CONFIG_SECRET}"}}'})
        c.execute(sa.text("UPDATE addons SET password = 'clear-password-123456'"))
    first.engine.dispose()

    second = SqlStore(url, secrets=box)
    assert second.get_release("shop", 1).config == {"K": CONFIG_SECRET}
    assert second.list_addons("shop")[0].password == "clear-password-123456"
    with second.engine.begin() as c:
        assert c.execute(sa.text("SELECT config FROM releases")).scalar().startswith(PREFIX)
        assert c.execute(sa.text("SELECT password FROM addons")).scalar().startswith(PREFIX)


def test_the_key_file_is_made_once_0600_and_the_variable_wins(tmp_path, loose_umask):
    box = load_secret_box(tmp_path, {})
    assert _mode(tmp_path / KEY_FILE) == 0o600
    assert load_secret_box(tmp_path, {}).keys == box.keys
    other = SecretBox.generate()
    from_env = load_secret_box(tmp_path, {KEY_ENV: other.keys[0].decode()})
    assert from_env.keys == other.keys
    assert from_env.open(other.seal("x")) == "x"


def test_a_wrong_key_is_a_clear_error_not_garbage():
    sealed = SecretBox.generate().seal("x")
    with pytest.raises(SecretKeyError, match="does not open with the configured key"):
        SecretBox.generate().open(sealed)


def test_rotation_reseals_every_row_and_retires_the_old_key(tmp_path):
    settings = Settings(home=tmp_path / "home")
    settings.home.mkdir()
    old = load_secret_box(settings.home, {})
    store = SqlStore(settings.db_url, secrets=old)
    store.create_app(App(name="shop", owner="admin", created_at=datetime.now(UTC)))
    store.add_release("shop", None, {"K": CONFIG_SECRET}, "d", "admin")
    store.add_addon(Addon(app="shop", kind="redis", password="p" * 32,
                          created_at=datetime.now(UTC)))
    store.engine.dispose()

    lines: list[str] = []
    assert rotate_secret_key(settings, lines.append) == 2
    assert lines == ["Resealed 2 secrets with a new key; the old key is retired"]
    new = load_secret_box(settings.home, {})
    assert new.keys != old.keys and len(new.keys) == 1
    reopened = SqlStore(settings.db_url, secrets=new)
    assert reopened.get_release("shop", 1).config == {"K": CONFIG_SECRET}
    assert reopened.list_addons("shop")[0].password == "p" * 32
    with pytest.raises(SecretKeyError):
        SqlStore(settings.db_url, secrets=old).get_release("shop", 1)


def test_rotation_refuses_to_run_beside_a_server(tmp_path):
    settings = Settings(home=tmp_path)
    with home_lock(tmp_path), pytest.raises(Exception, match="stop it first"):
        rotate_secret_key(settings, print)


def test_log_files_are_the_owners_only(tmp_path, loose_umask):
    book = LogBook(tmp_path / "logs")
    book.append("shop", "build", "hello")
    assert _mode(tmp_path / "logs") == 0o700
    assert _mode(tmp_path / "logs" / "shop.log") == 0o600
