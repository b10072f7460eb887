import os
from datetime import UTC, datetime, time

import pytest

from paas.domain.backups import Backup, Schedule
from paas.errors import InvalidInput, NotFound
from paas.store.backups import BackupFiles

WHEN = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def capture(files: BackupFiles, backup_id: str, data: bytes = b"PGDMP...") -> Backup:
    with files.open_new("shop", backup_id) as f:
        f.write(data)
    return files.complete(Backup(backup_id, "shop", "postgres", WHEN, 0, 1.5))


def test_a_backup_is_private_whole_and_listed_with_its_size(tmp_path):
    files = BackupFiles(tmp_path / "backups")
    b = capture(files, "b001")
    assert b.size == 8
    folder = tmp_path / "backups" / "shop"
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert ((tmp_path / "backups").stat().st_mode & 0o777) == 0o700
    assert (folder / "b001.dump").stat().st_mode & 0o777 == 0o600
    assert files.backups("shop") == [b]
    with files.open(b) as f:
        assert f.read() == b"PGDMP..."


def test_an_unfinished_capture_is_not_listed_but_keeps_its_id(tmp_path):
    files = BackupFiles(tmp_path)
    with files.open_new("shop", "b001") as f:
        f.write(b"half")
    assert files.backups("shop") == []
    assert files.ids("shop") == ["b001"]
    files.discard("shop", "b001")
    assert files.ids("shop") == []


def test_nothing_is_written_through_a_link(tmp_path):
    files = BackupFiles(tmp_path / "b")
    capture(files, "b001")
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    os.symlink(target, tmp_path / "b" / "shop" / "b002.partial")
    with files.open_new("shop", "b002") as f:  # the stale link is removed, not followed
        f.write(b"x")
    assert target.read_text() == "keep"


def test_unknown_and_crafted_ids_and_names(tmp_path):
    files = BackupFiles(tmp_path)
    with pytest.raises(NotFound, match="no backup b404"):
        files.get("shop", "b404")
    with pytest.raises(InvalidInput):
        files.get("shop", "../../etc/passwd")
    with pytest.raises(InvalidInput):
        files.backups("../shop")


def test_schedule_round_trip_and_delete_app(tmp_path):
    files = BackupFiles(tmp_path)
    s = Schedule("shop", "postgres", time(3, 30), 5, set_at=WHEN)
    files.set_schedule(s)
    files.set_schedule(s)
    assert files.schedule("shop") == s and files.schedules() == [s]
    capture(files, "b001")
    files.delete_app("shop")
    assert files.schedules() == [] and files.backups("shop") == []
