from datetime import UTC, datetime, timedelta

from paas.domain.logs import LogLine
from paas.store.logbook import LogBook


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_append_and_read_in_order(tmp_path):
    book = LogBook(tmp_path / "logs", clock=Clock())
    book.append("shop", "build", "-----> Building image")
    book.append("shop", "release", "two\nlines")
    book.append("other", "build", "elsewhere")
    assert book.read("shop") == [
        LogLine("2026-11-21T10:00:01.000000000Z", "build", "-----> Building image"),
        LogLine("2026-11-21T10:00:02.000000000Z", "release", "two lines"),
    ]
    assert book.read("nobody") == []


def test_the_file_is_capped_by_one_rotated_generation(tmp_path):
    book = LogBook(tmp_path, cap=200, clock=Clock())
    for i in range(40):
        book.append("shop", "build", f"line {i}")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["shop.log", "shop.log.1"]
    assert all(p.stat().st_size < 200 + 60 for p in tmp_path.iterdir())
    kept = [x.message for x in book.read("shop")]
    assert kept[-1] == "line 39"
    assert kept == sorted(kept, key=lambda m: int(m.split()[1]))  # still oldest first
    assert "line 0" not in kept


def test_subscribers_get_new_lines_of_their_app_until_they_leave(tmp_path):
    book = LogBook(tmp_path, clock=Clock())
    got: list[str] = []
    with book.subscribe("shop", lambda line: got.append(line.message)):
        book.append("shop", "build", "one")
        book.append("other", "build", "not mine")
    book.append("shop", "build", "after")
    assert got == ["one"]


def test_remove_forgets_the_app(tmp_path):
    book = LogBook(tmp_path, cap=10, clock=Clock())
    book.append("shop", "build", "a long enough line")
    book.append("shop", "build", "another")
    book.remove("shop")
    assert book.read("shop") == []
    assert list(tmp_path.iterdir()) == []
