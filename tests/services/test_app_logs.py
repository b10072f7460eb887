from datetime import UTC, datetime, timedelta

from paas.domain.logs import LogLine
from paas.services.logs import AppLogs
from paas.store.logbook import LogBook
from tests.fakes import FakeRuntime


def _t(s: int) -> str:
    return f"2026-11-21T10:00:{s:02d}.000000000Z"


class Clock:
    def __init__(self, start: int) -> None:
        self.now = datetime(2026, 11, 21, 10, 0, start, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_recent_merges_phases_and_replicas_in_time_order(tmp_path):
    book = LogBook(tmp_path, clock=Clock(0))  # build at :01, release at :02
    book.append("shop", "build", "built")
    book.append("shop", "release", "released")
    runtime = FakeRuntime(lines=[LogLine(_t(0), "web.a", "early"), LogLine(_t(3), "web.a", "late"),
                           LogLine(_t(4), "worker.b", "task")])
    logs = AppLogs(runtime, book)
    got = [(x.source, x.message) for x in logs.recent("shop", None, 10)]
    assert got == [("web.a", "early"), ("build", "built"), ("release", "released"),
                   ("web.a", "late"), ("worker.b", "task")]
    assert [x.message for x in logs.recent("shop", None, 2)] == ["late", "task"]
    assert [x.message for x in logs.recent("shop", "web", 10)] == ["early", "late"]
    # a phase asks the runtime nothing
    runtime.logs_asked.clear()
    assert [x.message for x in logs.recent("shop", "build", 10)] == ["built"]
    assert runtime.logs_asked == []


def test_follow_shows_history_then_new_lines_once_and_stops_on_close(tmp_path):
    book = LogBook(tmp_path, clock=Clock(10))
    runtime = FakeRuntime(lines=[LogLine(_t(5), "web.a", "old")])
    # the follow window overlaps the history: "old" comes again and must not repeat
    runtime.live = [LogLine(_t(5), "web.a", "old"), LogLine(_t(6), "web.a", "new")]
    logs = AppLogs(runtime, book, keepalive=0.05)
    stream = logs.follow("shop", None, 10)
    assert next(stream) == LogLine(_t(5), "web.a", "old")
    assert next(stream) == LogLine(_t(6), "web.a", "new")
    assert runtime.following.wait(5)
    book.append("shop", "build", "pushed meanwhile")
    book.append("elsewhere", "build", "not this app")
    got = next(stream)
    assert got is not None and (got.source, got.message) == ("build", "pushed meanwhile")
    assert next(stream) is None  # a keep-alive while nothing happens
    stream.close()
    assert runtime.stopped_following.wait(5)
    book.append("shop", "build", "after close")  # nobody subscribed any more: no error


def test_follow_of_a_phase_does_not_follow_replicas(tmp_path):
    book = LogBook(tmp_path, clock=Clock(0))
    runtime = FakeRuntime(lines=[])
    logs = AppLogs(runtime, book, keepalive=0.05)
    stream = logs.follow("shop", "release", 10)
    assert next(stream) is None
    book.append("shop", "build", "skipped")
    book.append("shop", "release", "kept")
    got = next(stream)
    assert got is not None and got.message == "kept"
    stream.close()
    assert not runtime.following.is_set()
