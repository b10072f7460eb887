from paas.cli.ps import format_formation, format_uptime


def test_uptime():
    assert [format_uptime(s) for s in (None, -1, 5, 61, 3725, 90000)] == [
        "-", "0s", "5s", "1m01s", "1h02m", "1d01h"]


def test_formation():
    assert format_formation({"worker": 2, "web": 3}) == "web=3 worker=2"
    assert format_formation({}) == "(no process types)"
