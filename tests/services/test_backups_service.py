from datetime import UTC, datetime, timedelta

import pytest

from paas.errors import BackupFailed, Conflict, InvalidInput, NotFound
from paas.services.addons import AddonService
from paas.services.backups import BackupService
from paas.services.deploy import Deployer
from paas.store.backups import BackupFiles
from tests.fakes import NoBuilder
from tests.services.conftest import ADMIN, deployed


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def backups(store, provider, tmp_path, clock):
    return BackupService(store, provider, BackupFiles(tmp_path / "backups"), clock)


@pytest.fixture
def addons(store, runtime, provider, locks, backups):
    return AddonService(store, Deployer(store, NoBuilder(), runtime, locks), provider,
                        forget_backups=backups.forget)


def test_capture_restore_and_a_failed_restore_keeps_the_data(addons, backups, provider,
                                                             store):
    deployed(store)
    addons.create("shop", "postgres", ADMIN)
    assert "DATABASE_URL" in store.current_release("shop").config
    provider.data[("shop", "postgres")] = b"DATA v1"
    first = backups.capture("shop", "postgres")
    assert (first.id, first.size) == ("b001", 7)
    provider.data[("shop", "postgres")] = b"DATA v2"
    assert backups.restore("shop", "postgres").id == "b001"  # latest by default
    assert provider.data[("shop", "postgres")] == b"DATA v1"

    folder = backups.files.root / "shop"
    (folder / "b001.dump").write_bytes(b"broken")
    provider.data[("shop", "postgres")] = b"DATA v3"
    with pytest.raises(BackupFailed):
        backups.restore("shop", "postgres", "b001")
    assert provider.data[("shop", "postgres")] == b"DATA v3"


def test_bad_input_is_refused_before_anything_runs(addons, backups, store):
    deployed(store)
    with pytest.raises(NotFound, match="has no postgres add-on"):
        backups.restore("shop", "postgres")
    addons.create("shop", "postgres", ADMIN)
    with pytest.raises(Conflict, match="already has a postgres"):
        addons.create("shop", "postgres", ADMIN)
    with pytest.raises(NotFound, match="no postgres backup yet"):
        backups.restore("shop", "postgres")
    with pytest.raises(NotFound, match="no backup b042"):
        backups.restore("shop", "postgres", "b042")
    with pytest.raises(InvalidInput, match="not a backup id"):
        backups.open("shop", "../../x")
    addons.create("shop", "redis", ADMIN)
    with pytest.raises(InvalidInput, match="redis add-on has no backups"):
        backups.capture("shop", "redis")


def test_one_capture_or_restore_at_a_time(addons, backups, store):
    deployed(store)
    addons.create("shop", "postgres", ADMIN)
    with backups._exclusive("shop"), pytest.raises(Conflict, match="already running"):
        backups.capture("shop", "postgres")
    assert backups.files.ids("shop") == []


def test_schedule_captures_daily_and_keeps_the_last_n(addons, backups, store, clock):
    deployed(store)
    addons.create("shop", "postgres", ADMIN)
    backups.capture("shop", "postgres")
    backups.set_schedule("shop", "postgres", "03:00", 2)
    assert backups.run_due() == []
    for day in range(4):
        clock.now = datetime(2026, 3, 10, 3, 5, tzinfo=UTC) + timedelta(days=day)
        assert len(backups.run_due()) == 1
        assert backups.run_due() == []
    ids = [b.id for b in backups.backups("shop")]
    assert ids == ["b001", "a004", "a005"]


def test_destroy_takes_a_final_backup_and_apps_destroy_forgets_them(addons, backups, store):
    deployed(store)
    addons.create("shop", "postgres", ADMIN)
    kept = addons.destroy("shop", "postgres", ADMIN, final_backup=backups.capture)
    assert kept is not None and [b.id for b in backups.backups("shop")] == [kept.id]
    assert "DATABASE_URL" not in store.current_release("shop").config
    addons.destroy_all("shop")
    assert backups.backups("shop") == []
