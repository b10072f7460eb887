from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.errors import Conflict, NotFound
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore


@pytest.fixture
def store(tmp_path):
    s = SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())
    s.add_user("alice")
    s.add_user("bob")
    s.create_app(App(name="shop", created_at=datetime(2024, 5, 1, tzinfo=UTC), owner="alice"))
    return s


def test_token_ids_are_hash_heads_and_revocation_stops_login(store):
    store.add_token("bob", "ab" * 32, "laptop")
    store.add_token("bob", "cd" * 32, "ci")
    store.add_token("alice", "ef" * 32, "alice")
    bob = store.list_tokens("bob")
    assert [(t.id, t.label, t.revoked) for t in bob] == [
        ("ab" * 6, "laptop", False), ("cd" * 6, "ci", False)]
    assert len(store.list_tokens()) == 3

    revoked = store.revoke_token("ab" * 6)
    assert (revoked.id, revoked.revoked) == ("ab" * 6, True)
    assert store.user_for_token("ab" * 32) is None
    assert store.user_for_token("cd" * 32).name == "bob"
    # revoking twice is harmless; the token stays listed as revoked
    assert store.revoke_token("ab" * 6).revoked
    assert [t.revoked for t in store.list_tokens("bob")] == [True, False]


@pytest.mark.parametrize("bad", ["", "ab", "ab" * 6 + "a", "ABABABABABAB", "ab%", "zz" * 6])
def test_revoke_unknown_or_malformed_ids(store, bad):
    store.add_token("bob", "ab" * 32, "laptop")
    with pytest.raises(NotFound):
        store.revoke_token(bad)
    assert store.user_for_token("ab" * 32).name == "bob"


def test_grants(store):
    assert not store.has_access("shop", "bob")
    store.grant_access("shop", "bob", "alice")
    assert store.has_access("shop", "bob")
    assert store.list_access("shop") == ["bob"]
    with pytest.raises(Conflict):
        store.grant_access("shop", "bob", "alice")
    with pytest.raises(NotFound, match="user 'ghost'"):
        store.grant_access("shop", "ghost", "alice")
    with pytest.raises(NotFound, match="app 'nope'"):
        store.grant_access("nope", "bob", "alice")
    store.revoke_access("shop", "bob")
    assert not store.has_access("shop", "bob")
    with pytest.raises(NotFound):
        store.revoke_access("shop", "bob")


def test_deleting_an_app_drops_its_grants(store):
    store.grant_access("shop", "bob", "alice")
    store.delete_app("shop")
    store.create_app(App(name="shop", created_at=datetime(2024, 5, 2, tzinfo=UTC), owner="x"))
    assert store.list_access("shop") == []
