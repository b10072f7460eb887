from datetime import UTC, datetime

import pytest

from paas.domain.addons import Addon
from paas.domain.app import App
from paas.errors import Conflict, NotFound
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    s = SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())
    s.create_app(App(name="shop", created_at=T0))
    s.create_app(App(name="blog", created_at=T0))
    return s


def test_add_list_delete(store):
    store.add_addon(Addon("shop", "redis", "pw", T0))
    store.add_addon(Addon("blog", "redis", "pw2", T0))
    assert store.list_addons("shop") == [Addon("shop", "redis", "pw", T0)]
    assert [a.app for a in store.list_addons()] == ["blog", "shop"]
    store.delete_addon("shop", "redis")
    assert store.list_addons("shop") == []
    with pytest.raises(NotFound):
        store.delete_addon("shop", "redis")


def test_one_addon_of_a_kind_per_app(store):
    store.add_addon(Addon("shop", "redis", "pw", T0))
    with pytest.raises(Conflict, match="shop already has a redis add-on"):
        store.add_addon(Addon("shop", "redis", "other", T0))
    assert store.list_addons("shop")[0].password == "pw"


def test_unknown_app_and_cascade_on_app_delete(store):
    with pytest.raises(NotFound):
        store.add_addon(Addon("nope", "redis", "pw", T0))
    store.add_addon(Addon("shop", "redis", "pw", T0))
    store.delete_app("shop")
    assert store.list_addons() == []
