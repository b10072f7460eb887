"""The router's access lines in ``paas logs``: picked by app, shown as source ``router``."""

from paas.domain.logs import LogLine
from paas.runtime.docker.logs import router_line

T = "2026-12-03T08:00:00.123456789Z"


def test_router_line_of_the_app_loses_its_app_field():
    convert = router_line("shop")
    assert convert(f'{T} app=shop method=GET path="/" status=200') == LogLine(
        T, "router", 'method=GET path="/" status=200')


def test_router_lines_of_other_apps_and_nginx_warnings_are_skipped():
    convert = router_line("shop")
    assert convert(f"{T} app=shopping method=GET status=200") is None
    assert convert(f"{T} app=- method=GET status=404") is None
    assert convert(f"{T} 2026/12/03 08:00:00 [warn] 7#7: an upstream is slow") is None
