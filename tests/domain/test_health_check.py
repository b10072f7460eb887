"""The health check's parsing and the one line that explains a failed check."""

from __future__ import annotations

import pytest

from paas.domain.health import (
    DEFAULT,
    Answer,
    HealthCheck,
    explain,
    listening_ports,
    parse_check,
    quoted_tail,
    with_config,
)
from paas.errors import InvalidInput

# /proc/net/tcp of a container whose app listens on 0.0.0.0:80 and has one connection
# out to 10.0.0.5:6379; tcp6 listens on [::]:8000; then cat's complaint.
PROC_NET = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0
   1: 0200000A:A1B2 0500000A:18EB 01 00000000:00000000 00:00000000 00000000     0
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 0
cat: /proc/net/tcp6: No such file or directory
"""


def test_listening_ports_reads_listen_rows_of_tcp_and_tcp6() -> None:
    assert listening_ports(PROC_NET) == frozenset({80, 8000})
    assert listening_ports("") == frozenset()


def test_parse_check_reads_path_status_timeout() -> None:
    check = parse_check({"path": "/health", "status": 200, "timeout": 30}, "app.json")
    assert check == HealthCheck("/health", 200, 30.0)
    assert parse_check({}, "x") == DEFAULT


@pytest.mark.parametrize(("table", "message"), [
    ({"path": "health"}, "must start with '/'"),
    ({"path": "/a b"}, "no spaces"),
    ({"status": 700}, "HTTP status"),
    ({"status": True}, "HTTP status"),
    ({"timeout": 0}, "between 1 and 600"),
    ({"timeout": 3600}, "between 1 and 600"),
    ({"stauts": 200}, "unknown key"),
    ("/health", "must be a table"),
])
def test_parse_check_refuses_what_it_cannot_mean(table: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_check(table, "app.json")


def test_config_vars_win_over_the_source() -> None:
    source = HealthCheck("/health", 200, 30.0)
    assert with_config(source, {"PAAS_HEALTHCHECK_PATH": "/ready",
                                "PAAS_HEALTHCHECK_TIMEOUT": "90s"}) == HealthCheck(
        "/ready", 200, 90.0)
    assert with_config(source, {"PAAS_HEALTHCHECK_STATUS": "204"}).status == 204
    with pytest.raises(InvalidInput, match="PAAS_HEALTHCHECK_STATUS"):
        with_config(source, {"PAAS_HEALTHCHECK_STATUS": "ok"})


@pytest.mark.parametrize("status", ["\u00b2", "9" * 5000, "\u0662\u0660\u0660"])
def test_a_status_of_other_digits_is_a_one_line_refusal_not_a_crash(status: str) -> None:
    """str.isdigit() passes superscripts, Arabic-Indic digits and runs too long for int();
    from config:set or a pushed pyproject, each must be InvalidInput, briefly shown."""
    with pytest.raises(InvalidInput, match="PAAS_HEALTHCHECK_STATUS") as refused:
        with_config(DEFAULT, {"PAAS_HEALTHCHECK_STATUS": status})
    assert len(refused.value.message) < 200 and "\n" not in refused.value.message
    with pytest.raises(InvalidInput):
        parse_check({"status": status}, "pyproject.toml")


def test_default_check_accepts_anything_below_500_and_a_set_status_only_itself() -> None:
    assert DEFAULT.accepts(404) and not DEFAULT.accepts(502)
    assert HealthCheck(status=200).accepts(200) and not HealthCheck(status=200).accepts(301)
    assert Answer(accepted=True).passes(DEFAULT) and not Answer(error="refused").passes(
        DEFAULT)


LOG = ("booting\nTraceback (most recent call last):\n  x\n"
       "sqlite3.OperationalError: no such table: post\n")
CHECK = HealthCheck("/health", 200)


def test_an_answer_of_500_names_the_status_and_path() -> None:
    line = explain(CHECK, 5000, 60, answer=Answer(status=500), listening=None, log=LOG,
                   serving="v3")
    assert line == ("web process answered 500 on /health (v3 keeps serving): last log "
                    "lines: Traceback (most recent call last): | x | "
                    "sqlite3.OperationalError: no such table: post")


def test_a_wrong_status_below_500_says_what_was_expected() -> None:
    line = explain(CHECK, 5000, 60, answer=Answer(status=404))
    assert line.startswith("web process answered 404 on /health, expected 200")


def test_a_hard_coded_port_is_named() -> None:
    line = explain(DEFAULT, 5000, 60, answer=Answer(error="connection refused"),
                   listening=frozenset({80}), log="serving on 80")
    assert line == ("nothing is listening on PORT=5000; the app listens on 80: "
                    "last log lines: serving on 80")


def test_no_listener_at_all_is_said_so() -> None:
    line = explain(DEFAULT, 5000, 60, answer=Answer(error="connection refused"),
                   listening=frozenset())
    assert line == ("nothing is listening on PORT=5000; the app listens on no TCP port "
                    "(no log output)")


def test_an_exit_names_its_code_and_wins_over_the_rest() -> None:
    line = explain(DEFAULT, 5000, 60, exit_code=1, answer=Answer(status=500),
                   listening=frozenset(), log="ImportError: No module named 'flask'")
    assert line == ("web process exited with code 1: last log lines: "
                    "ImportError: No module named 'flask'")


def test_a_slow_app_that_listens_did_not_answer_within_the_timeout() -> None:
    line = explain(DEFAULT, 5000, 30, answer=Answer(error="timed out"),
                   listening=frozenset({5000}), log="x")
    assert line == "web process did not answer GET / within 30s (timed out): last log lines: x"


def test_a_first_deploy_never_mentions_a_release_that_keeps_serving() -> None:
    for kwargs in ({"exit_code": 1}, {"answer": Answer(status=500)},
                   {"listening": frozenset({80})}, {}):
        assert "serving" not in explain(DEFAULT, 5000, 60, serving=None, **kwargs)


def test_the_quoted_tail_is_bounded() -> None:
    assert len(quoted_tail("y" * 5000)) <= 303
    assert quoted_tail("\n\n a \n\n") == "a"
