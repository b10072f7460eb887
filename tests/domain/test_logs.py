from datetime import UTC, datetime, timedelta, timezone

import pytest

from paas.domain.logs import (
    LogLine,
    display,
    merge_last,
    newer_than,
    normalize_time,
    parse,
    redact,
    replica_line,
    replica_source,
    stamp,
    validate_request,
    wanted,
)
from paas.errors import InvalidInput


def test_stamp_is_fixed_width_utc():
    when = datetime(2026, 11, 21, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert stamp(when) == "2026-11-21T10:00:00.000005000Z"


@pytest.mark.parametrize(("raw", "want"), [
    ("2026-11-21T10:00:00.123456789Z", "2026-11-21T10:00:00.123456789Z"),
    ("2026-11-21T10:00:00.1Z", "2026-11-21T10:00:00.100000000Z"),
    ("2026-11-21T10:00:00Z", "2026-11-21T10:00:00.000000000Z"),
    ("not-a-time", "not-a-time"),
    ("2026-11-21T10:00:00+01:00", "2026-11-21T10:00:00+01:00"),
])
def test_normalize_time(raw, want):
    assert normalize_time(raw) == want


def test_normalized_times_sort_as_strings():
    # Docker trims trailing zeros in some versions: unpadded, ".5Z" would sort after ".45Z"
    a = normalize_time("2026-11-21T10:00:00.45Z")
    b = normalize_time("2026-11-21T10:00:00.5Z")
    assert a < b


def test_render_and_parse_round_trip_with_colons_in_the_message():
    line = LogLine("2026-11-21T10:00:00.000000000Z", "web.1a2b3c", "GET /: 200: ok")
    assert parse(line.render()) == line
    assert line.process_type == "web"


@pytest.mark.parametrize("text", ["", "no-source-here", "T x y: z", "T source"])
def test_parse_rejects_other_text(text):
    assert parse(text) is None


def test_display_cuts_the_time_to_seconds():
    assert display("2026-11-21T10:00:00.123456789Z web.1a2b3c: hi") == (
        "2026-11-21T10:00:00Z web.1a2b3c: hi")
    assert display("garbage") == "garbage"


def test_replica_line_and_source():
    assert replica_source("web", "paas-abc-shop-web-v3-1a2b3c") == "web.1a2b3c"
    got = replica_line("2026-11-21T10:00:00.5Z hello world\r", "web.1a2b3c")
    assert got == LogLine("2026-11-21T10:00:00.500000000Z", "web.1a2b3c", "hello world")


@pytest.mark.parametrize(("source", "process_type", "want"), [
    ("web.1a2b3c", None, True), ("web.1a2b3c", "web", True), ("worker.1", "web", False),
    ("build", "build", True), ("build", "web", False), ("web-admin.1", "web", False),
])
def test_wanted(source, process_type, want):
    assert wanted(source, process_type) is want


def _l(t: int, source: str) -> LogLine:
    return LogLine(f"2026-11-21T10:00:{t:02d}.000000000Z", source, f"m{t}")


def test_merge_last_interleaves_sources_and_keeps_the_newest():
    build = [_l(1, "build"), _l(2, "build")]
    web = [_l(3, "web.a"), _l(5, "web.a")]
    worker = [_l(4, "worker.b"), _l(0, "worker.b")]  # out of order input is sorted
    merged = merge_last([build, web, worker], 4)
    assert [x.message for x in merged] == ["m2", "m3", "m4", "m5"]
    assert merge_last([build], 0) == []


def test_newer_than_drops_what_history_showed():
    seen = {"web.a": _l(5, "web.a").time}
    assert not newer_than(_l(5, "web.a"), seen)
    assert not newer_than(_l(4, "web.a"), seen)
    assert newer_than(_l(6, "web.a"), seen)
    assert newer_than(_l(1, "web.b"), seen)


def test_redact_masks_config_values_longest_first():
    config = {"SECRET": "hunter22", "LONG": "hunter22-and-more", "FLAG": "on"}
    assert redact("pw=hunter22-and-more x=hunter22 on", config) == "pw=***** x=***** on"
    assert redact("nothing here", {}) == "nothing here"


def test_validate_request():
    validate_request(1, None)
    validate_request(10_000, "web")
    for lines in (0, -1, 10_001):
        with pytest.raises(InvalidInput, match="-n must be between 1 and 10000"):
            validate_request(lines, None)
    with pytest.raises(InvalidInput, match="invalid process type"):
        validate_request(10, "Web;rm")


def test_stamp_now_is_parseable():
    assert parse(LogLine(stamp(datetime.now(UTC)), "build", "x").render()) is not None
