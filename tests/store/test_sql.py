from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.release import Build, ReleaseStatus, StaticMount, WebProtocol
from paas.errors import Conflict, NotFound
from paas.store.port import User
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    return SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())


def _app(name, **kw):
    return App(name=name, created_at=T0, **kw)


def _build(commit="c" * 40):
    return Build(
        image=f"paas-x/shop:git-{commit[:12]}",
        commit=commit,
        processes={"web": "gunicorn app:app", "worker": "celery worker"},
        release_command="flask db upgrade",
        web_protocol=WebProtocol.UWSGI,
        static=(StaticMount("/static/", "/app/static"),),
        port=8000,
        summary="Flask app detected",
    )


def test_create_get_list_apps(store):
    store.create_app(_app("zeta", owner="bob", domains=("z.example.com",), formation={"web": 2}))
    store.create_app(_app("alpha"))
    got = store.get_app("zeta")
    assert got == _app("zeta", owner="bob", domains=("z.example.com",), formation={"web": 2})
    assert got.created_at.tzinfo is not None
    assert [a.name for a in store.list_apps()] == ["alpha", "zeta"]
    assert store.get_app("alpha").owner == "admin"


def test_duplicate_app_conflicts(store):
    store.create_app(_app("shop"))
    with pytest.raises(Conflict) as exc:
        store.create_app(_app("shop", owner="eve"))
    assert exc.value.message == "app 'shop' already exists"
    assert store.get_app("shop").owner == "admin"


def test_missing_app(store):
    with pytest.raises(NotFound, match="app 'nope' not found"):
        store.get_app("nope")
    with pytest.raises(NotFound):
        store.set_formation("nope", {"web": 1})
    with pytest.raises(NotFound):
        store.set_domains("nope", ())
    with pytest.raises(NotFound):
        store.add_release("nope", None, {}, "x", "admin")


def test_formation_and_domains_round_trip(store):
    store.create_app(_app("shop"))
    app = store.set_formation("shop", {"worker": 3, "web": 0})
    assert app.formation == {"web": 0, "worker": 3}
    app = store.set_domains("shop", ("shop.io", "www.shop.io"))
    assert app.domains == ("shop.io", "www.shop.io")
    assert store.get_app("shop").formation == {"web": 0, "worker": 3}
    assert store.get_app("shop").domains == ("shop.io", "www.shop.io")


def test_versions_increment_per_app(store):
    store.create_app(_app("a"))
    store.create_app(_app("b"))
    assert store.add_release("a", None, {}, "first", "admin").version == 1
    assert store.add_release("a", _build(), {"K": "v"}, "deploy", "admin").version == 2
    assert store.add_release("b", None, {}, "first", "admin").version == 1
    assert store.add_release("a", None, {}, "config", "admin").version == 3
    assert [r.version for r in store.list_releases("a")] == [3, 2, 1]
    assert [r.version for r in store.list_releases("b")] == [1]


def test_release_round_trip(store):
    store.create_app(_app("shop"))
    rel = store.add_release("shop", _build(), {"SECRET": "s3"}, "Deploy ccccccc", "bob")
    assert rel.status is ReleaseStatus.PENDING
    assert rel.label == "v1"
    got = store.get_release("shop", 1)
    assert got.build == _build()
    assert got.config == {"SECRET": "s3"}
    assert got.description == "Deploy ccccccc"
    assert got.created_by == "bob"
    assert got.status is ReleaseStatus.PENDING
    assert got.created_at is not None
    assert got.created_at.tzinfo is not None
    assert got.deployable


def test_release_without_build(store):
    store.create_app(_app("shop"))
    store.add_release("shop", None, {}, "created", "admin")
    got = store.get_release("shop", 1)
    assert got.build is None
    assert not got.deployable


def test_missing_release(store):
    store.create_app(_app("shop"))
    with pytest.raises(NotFound, match="release v7 of 'shop' not found"):
        store.get_release("shop", 7)


def test_current_release_is_newest_succeeded(store):
    store.create_app(_app("shop"))
    assert store.current_release("shop") is None
    for _ in range(4):
        store.add_release("shop", _build(), {}, "d", "admin")
    store.set_release_status("shop", 1, ReleaseStatus.SUCCEEDED)
    store.set_release_status("shop", 2, ReleaseStatus.SUCCEEDED)
    store.set_release_status("shop", 3, ReleaseStatus.FAILED)
    # v4 stays pending
    current = store.current_release("shop")
    assert current.version == 2
    assert current.status is ReleaseStatus.SUCCEEDED


def test_set_release_status_returns_updated(store):
    store.create_app(_app("shop"))
    store.add_release("shop", None, {}, "d", "admin")
    assert store.set_release_status("shop", 1, ReleaseStatus.FAILED).status is (
        ReleaseStatus.FAILED
    )


def test_fail_pending_releases(store):
    store.create_app(_app("a"))
    store.create_app(_app("b"))
    store.add_release("a", None, {}, "d", "admin")
    store.add_release("a", None, {}, "d", "admin")
    store.add_release("b", None, {}, "d", "admin")
    store.set_release_status("a", 1, ReleaseStatus.SUCCEEDED)
    failed = store.fail_pending_releases()
    assert sorted((r.app, r.version) for r in failed) == [("a", 2), ("b", 1)]
    assert all(r.status is ReleaseStatus.FAILED for r in failed)
    assert store.get_release("a", 1).status is ReleaseStatus.SUCCEEDED
    assert store.get_release("a", 2).status is ReleaseStatus.FAILED
    assert store.get_release("b", 1).status is ReleaseStatus.FAILED
    assert store.fail_pending_releases() == []


def test_delete_app_cascades(store):
    store.create_app(_app("shop"))
    store.create_app(_app("keep"))
    store.add_release("shop", None, {}, "d", "admin")
    store.add_release("keep", None, {}, "d", "admin")
    store.set_policy("shop", AutoscalePolicy("web", 1, 3, Metric.CPU, cpu_percent=70))
    store.delete_app("shop")
    with pytest.raises(NotFound):
        store.get_app("shop")
    assert store.list_releases("shop") == []
    assert store.list_policies("shop") == []
    assert [r.version for r in store.list_releases("keep")] == [1]
    # The name is free again and numbering starts over.
    store.create_app(_app("shop"))
    assert store.add_release("shop", None, {}, "d", "admin").version == 1


def test_policies(store):
    store.create_app(_app("shop"))
    web = AutoscalePolicy("web", 1, 4, Metric.CPU, cpu_percent=60)
    worker = AutoscalePolicy("worker", 0, 10, Metric.QUEUE, queue="celery", per_replica=5)
    store.set_policy("shop", worker)
    store.set_policy("shop", web)
    assert store.list_policies("shop") == [web, worker]
    web2 = AutoscalePolicy("web", 2, 8, Metric.CPU, cpu_percent=50)
    store.set_policy("shop", web2)
    assert store.list_policies("shop") == [web2, worker]
    store.delete_policy("shop", "web")
    assert store.list_policies("shop") == [worker]
    with pytest.raises(NotFound, match="web of 'shop' has no autoscale policy"):
        store.delete_policy("shop", "web")


def test_users_and_tokens(store):
    assert store.list_users() == []
    assert store.add_user("bob") == User("bob", False)
    store.add_user("admin", is_admin=True)
    assert store.list_users() == [User("admin", True), User("bob", False)]
    assert store.get_user("admin") == User("admin", True)
    with pytest.raises(Conflict, match="user 'bob' already exists"):
        store.add_user("bob")
    with pytest.raises(NotFound, match="user 'eve' not found"):
        store.get_user("eve")
    store.add_token("bob", "h1", "laptop")
    store.add_token("admin", "h2", "initial")
    assert store.user_for_token("h1") == User("bob", False)
    assert store.user_for_token("h2") == User("admin", True)
    assert store.user_for_token("h3") is None


def test_state_survives_reopening(tmp_path):
    url = "sqlite:///" + str(tmp_path / "t.db")
    box = SecretBox.generate()
    first = SqlStore(url, secrets=box)
    first.create_app(_app("shop", formation={"web": 2}))
    first.add_release("shop", _build(), {}, "d", "admin")
    first.engine.dispose()
    second = SqlStore(url, secrets=box)
    assert second.get_app("shop").formation == {"web": 2}
    assert second.get_release("shop", 1).build == _build()
