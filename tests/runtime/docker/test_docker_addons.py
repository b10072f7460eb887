"""DockerAddons provisions any add-on kind from its record, on the in-memory engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from paas.domain import addons as kinds
from paas.domain.addons import Addon, AddonFile, AddonKind
from paas.errors import RuntimeUnavailable
from paas.runtime.docker.addons import DockerAddons
from paas.settings import Settings
from tests.runtime.docker.fakes import FakeEngine

SECRET = "abcDEF123_-xyz-0123456789"


def addon(kind: str = "redis") -> Addon:
    return Addon("shop", kind, SECRET, datetime(2024, 1, 1, tzinfo=UTC))


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def provider(tmp_path: Path, engine: FakeEngine) -> DockerAddons:
    return DockerAddons(None, Settings(home=tmp_path), ready_timeout=0.05, engine=engine,
                        sleep=lambda _s: None)


def test_redis_runs_from_its_record_with_the_password_in_a_file(
        provider: DockerAddons, engine: FakeEngine) -> None:
    host = provider.ensure(addon())
    (cid,) = engine.all
    spec = engine.specs[cid]
    assert host == spec.name == spec.hostname and spec.restart
    assert spec.image == provider.settings.stack.redis
    assert spec.volumes == {host: ("/data", "rw")} and host in engine.volumes
    assert spec.command == ("redis-server", "/etc/paas/redis.conf")
    (conf,) = spec.files
    assert conf.path == "/etc/paas/redis.conf" and conf.mode == 0o600
    assert f'requirepass "{SECRET}"'.encode() in conf.content
    assert SECRET not in repr(spec.command) + repr(spec.environment)
    assert ("exec", (cid, kinds.REDIS.ready, {"REDISCLI_AUTH": SECRET})) in engine.calls
    assert provider.address("shop", "redis") == cid


def test_ensure_starts_a_stopped_addon_and_keeps_it(
        provider: DockerAddons, engine: FakeEngine) -> None:
    provider.ensure(addon())
    (cid,) = engine.all
    engine.all[cid] = engine.all[cid].__class__(cid, "x", engine.all[cid].labels, "exited")
    provider.ensure(addon())
    assert list(engine.all) == [cid] and engine.all[cid].running


def test_not_ready_in_time_is_a_clear_error(provider: DockerAddons, engine: FakeEngine) -> None:
    engine.exec_result = (1, "Could not connect to Redis")
    with pytest.raises(RuntimeUnavailable, match=r"redis for shop did not start \(Could not"):
        provider.ensure(addon())


def test_any_kind_is_provisioned_from_its_record(
        provider: DockerAddons, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    db = AddonKind(
        name="postgres", image="python", port=5432, data_dir="/var/lib/postgresql/data",
        config=lambda host, secret: {"DATABASE_URL": f"postgres://u:{secret}@{host}:5432/d"},
        files=(AddonFile("/run/secrets/pw", lambda s: s),),
        environment=lambda s: {"POSTGRES_PASSWORD_FILE": "/run/secrets/pw"},
        ready=("pg_isready", "-h", "127.0.0.1"),
    )
    monkeypatch.setitem(kinds.KINDS, "postgres", db)
    host = provider.ensure(addon("postgres"))
    spec = engine.specs[next(iter(engine.all))]
    assert spec.volumes == {host: ("/var/lib/postgresql/data", "rw")}
    assert spec.command is None
    assert spec.environment == {"POSTGRES_PASSWORD_FILE": "/run/secrets/pw"}
    assert spec.files[0].content == SECRET.encode()
    assert engine.calls[-1] == ("exec", (next(iter(engine.all)), db.ready, {}))


def test_remove_takes_container_and_volume(provider: DockerAddons, engine: FakeEngine) -> None:
    provider.ensure(addon())
    provider.remove("shop")
    assert engine.all == {} and engine.calls[-1][0] == "remove_labelled"
