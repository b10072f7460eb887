from datetime import UTC, datetime, time

import pytest

from paas.domain.addons import KINDS, LOOPBACK, POSTGRES, postgres_url
from paas.domain.backups import (
    Backup,
    Schedule,
    is_due,
    next_id,
    parse_at,
    to_prune,
    validate_id,
    validate_keep,
)
from paas.errors import InvalidInput


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_ids_number_on_across_manual_and_scheduled():
    assert next_id([], scheduled=False) == "b001"
    assert next_id(["b001", "a002"], scheduled=True) == "a003"
    assert next_id(["b999"], scheduled=False) == "b1000"


@pytest.mark.parametrize("bad", ["", "../b001", "b001/../x", "b1", "c001", "b001.dump",
                                 "B001", "b0001\n", "a" * 40])
def test_an_id_that_could_name_another_path_is_refused(bad):
    with pytest.raises(InvalidInput, match="not a backup id"):
        validate_id(bad)


def test_times_of_day_and_keep_are_bounded():
    assert parse_at("03:30") == time(3, 30)
    for bad in ("24:00", "3:30", "03:60", "noon", ""):
        with pytest.raises(InvalidInput, match="HH:MM"):
            parse_at(bad)
    assert validate_keep(7) == 7
    bad_keeps: tuple[object, ...] = (0, 101, True, "7", 2.5)
    for bad_keep in bad_keeps:
        with pytest.raises(InvalidInput, match="keep"):
            validate_keep(bad_keep)


def test_due_once_a_day_after_its_time_and_not_for_a_moment_before_it_was_set():
    s = Schedule("shop", "postgres", time(3, 0), 7, set_at=at(2))
    assert not is_due(s, None, at(2, 30))
    assert is_due(s, None, at(3, 0))
    assert not is_due(s, at(3, 0), at(23, 0))
    assert is_due(s, at(3, 0), at(3, 0, day=11))
    late = Schedule("shop", "postgres", time(3, 0), 7, set_at=at(4))
    assert not is_due(late, None, at(5))  # 03:00 today passed before it was set
    assert is_due(late, None, at(3, 1, day=11))


def test_prune_keeps_the_newest_scheduled_and_every_manual_capture():
    def b(i: str) -> Backup:
        return Backup(i, "shop", "postgres", at(1), 1, 0.1)

    found = [b("a001"), b("b002"), b("a003"), b("a004")]
    assert [x.id for x in to_prune(found, 2)] == ["a001"]
    assert to_prune(found, 5) == []


def test_the_postgres_record_fits_django_sqlalchemy_and_both_images():
    assert KINDS["postgres"] is POSTGRES
    url = postgres_url("db", "s3cret-password_123")
    assert url == "postgresql://app:s3cret-password_123@db:5432/app"
    secret = "abcDEF123_-xyz-0123456789"
    (pw_file,) = POSTGRES.files
    assert pw_file.mode == 0o600 and pw_file.render(secret) == secret
    env = POSTGRES.environment(secret)
    assert env["POSTGRES_PASSWORD_FILE"] == pw_file.path and secret not in str(env)
    assert POSTGRES.backup is not None and POSTGRES.restore is not None
    backup, restore = POSTGRES.backup(LOOPBACK), POSTGRES.restore("db.paas-shop")
    argv = " ".join([*(POSTGRES.command or ()), *POSTGRES.ready, *backup, *restore,
                     *(POSTGRES.info or ()),
                     *(POSTGRES.console(None) if POSTGRES.console else ())])
    assert secret not in argv
    assert POSTGRES.client_environment(secret) == {"PGPASSWORD": secret}
    assert POSTGRES.data_dir == "/var/lib/postgresql/data"  # the official image's PGDATA
    assert "--single-transaction" in restore and "--format=custom" in backup
    # each connects where it is told: itself inside its container, the Service otherwise
    assert backup[backup.index("-h") + 1] == LOOPBACK
    assert restore[restore.index("-h") + 1] == "db.paas-shop"
    with pytest.raises(InvalidInput):
        pw_file.render("short")


def test_dj_database_url_and_sqlalchemy_accept_the_url_unchanged():
    dj = pytest.importorskip("dj_database_url")
    sa = pytest.importorskip("sqlalchemy")
    url = postgres_url("paas-x-shop-postgres", "abcDEF123_-xyz-0123456789")
    cfg = dj.parse(url)
    assert cfg["ENGINE"] == "django.db.backends.postgresql"
    assert (cfg["NAME"], cfg["USER"], cfg["PORT"]) == ("app", "app", 5432)
    parsed = sa.engine.make_url(url)
    assert parsed.get_backend_name() == "postgresql" and parsed.database == "app"
