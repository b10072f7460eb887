"""The web health check of a release, and the one line that says why it failed.

Dokku's CHECKS in small: a path, the status it must answer and how long a new replica
has to answer it. The app declares it in its source (``[tool.paas.healthcheck]`` in
pyproject.toml, or ``"healthcheck"`` in app.json); ``paas healthcheck:set`` stores the
same three values as config vars, which win over the source, so an operator can fix a
check without a push. The default is Heroku's boot check: any answer below 500 on ``/``.

A failed check is explained from what the runtime saw (the replica's exit code, the last
answer, the ports its container listens on, its last log lines), because "did not
answer within 60s" used to cover an app that answered 500, an app that listened on a
hard-coded port and an app that never started.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from paas.errors import InvalidInput

#: Config vars that override the source's check (set by ``paas healthcheck:set``).
PATH_VAR = "PAAS_HEALTHCHECK_PATH"
STATUS_VAR = "PAAS_HEALTHCHECK_STATUS"
TIMEOUT_VAR = "PAAS_HEALTHCHECK_TIMEOUT"
CONFIG_VARS = (PATH_VAR, STATUS_VAR, TIMEOUT_VAR)

MAX_PATH = 1024
#: Seconds; a check that waits longer than this holds the app's deploy lock for too long.
MAX_TIMEOUT = 600.0
#: Log lines quoted in a failure line (the CLI shows more of the log above it).
QUOTED_LINES = 3
QUOTED_CHARS = 300


@dataclass(frozen=True)
class HealthCheck:
    """What a new web replica must do before it gets traffic."""

    path: str = "/"
    #: The status it must answer; None: any status below 500 (a 404 is an app that runs).
    status: int | None = None
    #: Seconds to answer; None: the platform's default (``paas server --health-timeout``).
    timeout: float | None = None

    def accepts(self, status: int) -> bool:
        return status < 500 if self.status is None else status == self.status

    def describe(self) -> str:
        expected = "any status below 500" if self.status is None else str(self.status)
        within = "" if self.timeout is None else f" within {self.timeout:g}s"
        return f"GET {self.path} answering {expected}{within}"


DEFAULT = HealthCheck()


def _path(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_PATH \
            or not value.isprintable() or " " in value:
        raise InvalidInput(f"{where}: the health check path must start with '/', hold no "
                           f"spaces and be at most {MAX_PATH} characters, got {value!r}")
    return value


def _status(value: object, where: str) -> int:
    # ASCII digits only, at most three: str.isdigit() also passes "²" and digit runs
    # longer than int() converts, which would escape as a ValueError
    if isinstance(value, str) and (digits := value.strip()).isascii() \
            and digits.isdigit() and len(digits) <= 3:
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        shown = repr(value)
        raise InvalidInput(f"{where}: the expected status must be an HTTP status "
                           f"(100-599), got {shown if len(shown) <= 40 else shown[:37] + '...'}")
    return value


def _timeout(value: object, where: str) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value.strip().removesuffix("s"))
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 1 <= value <= MAX_TIMEOUT:
        raise InvalidInput(f"{where}: the health check timeout must be between 1 and "
                           f"{MAX_TIMEOUT:g} seconds, got {value!r}")
    return float(value)


def parse_check(table: object, where: str) -> HealthCheck:
    """A check from a ``[tool.paas.healthcheck]`` table or an app.json object.

    Unknown keys are refused: a typo (``stauts``) would otherwise deploy with a check
    nobody asked for.
    """
    if not isinstance(table, Mapping):
        raise InvalidInput(f"{where} must be a table with path, status and timeout")
    unknown = sorted(str(k) for k in table if k not in ("path", "status", "timeout"))
    if unknown:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(unknown)} "
                           "(use path, status, timeout)")
    return HealthCheck(
        path=_path(table.get("path", "/"), where),
        status=None if table.get("status") is None else _status(table["status"], where),
        timeout=None if table.get("timeout") is None else _timeout(table["timeout"], where),
    )


def with_config(check: HealthCheck, config: Mapping[str, str]) -> HealthCheck:
    """``check`` with the values ``paas healthcheck:set`` stored in the config."""
    where = "config"
    if PATH_VAR in config:
        check = replace(check, path=_path(config[PATH_VAR], f"{where} {PATH_VAR}"))
    if STATUS_VAR in config:
        check = replace(check, status=_status(config[STATUS_VAR], f"{where} {STATUS_VAR}"))
    if TIMEOUT_VAR in config:
        check = replace(check, timeout=_timeout(config[TIMEOUT_VAR],
                                                f"{where} {TIMEOUT_VAR}"))
    return check


def check_config(values: Mapping[str, str]) -> None:
    """Refuse bad health check values at ``config:set``, before any release is made."""
    with_config(DEFAULT, values)


@dataclass(frozen=True)
class Answer:
    """What one probe of a replica got: an HTTP status, or why there was none."""

    status: int | None = None
    #: "connection refused", "timed out", ... when no status came back.
    error: str | None = None
    #: uWSGI replicas are probed by TCP: an accepted connection is all there is.
    accepted: bool = False

    def passes(self, check: HealthCheck) -> bool:
        if self.status is not None:
            return check.accepts(self.status)
        return self.accepted


def listening_ports(proc_net_tcp: str) -> frozenset[int]:
    """TCP ports in LISTEN state in the text of ``/proc/net/tcp`` and ``/proc/net/tcp6``.

    Each row is ``sl local_address rem_address st ...`` with the address as
    ``HEXIP:HEXPORT`` and state ``0A`` for LISTEN; anything else (headers, a ``cat``
    error about a missing tcp6 file) is skipped.
    """
    ports: set[int] = set()
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[0].endswith(":") or fields[3].upper() != "0A":
            continue
        _, _, port = fields[1].rpartition(":")
        try:
            ports.add(int(port, 16))
        except ValueError:
            continue
    return frozenset(ports)


def quoted_tail(log: str, lines: int = QUOTED_LINES) -> str:
    """The last non-blank log lines on one line, ``|``-separated and bounded."""
    kept = [line.strip() for line in log.splitlines() if line.strip()][-lines:]
    text = " | ".join(kept)
    return text if len(text) <= QUOTED_CHARS else "..." + text[-QUOTED_CHARS:]


def _ports(ports: Iterable[int]) -> str:
    return ", ".join(str(p) for p in sorted(ports))


def explain(
    check: HealthCheck,
    port: int,
    timeout: float,
    *,
    process: str = "web",
    exit_code: int | None = None,
    answer: Answer | None = None,
    listening: frozenset[int] | None = None,
    log: str = "",
    serving: str | None = None,
) -> str:
    """One line naming why a new replica failed its check.

    ``exit_code`` is set when the replica's process ended; ``answer`` is its last probe;
    ``listening`` the TCP ports its container listens on (None: unknown); ``serving``
    the release that keeps serving meanwhile (None on a first deploy: nothing does, and
    the line must not pretend otherwise).
    """
    if exit_code is not None:
        cause = f"{process} process exited with code {exit_code}"
    elif answer is not None and answer.status is not None and not check.accepts(
            answer.status):
        # "answered 500" says it all; "answered 404" wants what was expected beside it
        expected = ("" if check.status is None or answer.status >= 500
                    else f", expected {check.status}")
        cause = f"{process} process answered {answer.status} on {check.path}{expected}"
    elif listening is not None and port not in listening:
        where = (f"the app listens on {_ports(listening)}" if listening
                 else "the app listens on no TCP port")
        cause = f"nothing is listening on PORT={port}; {where}"
    else:
        why = f" ({answer.error})" if answer is not None and answer.error else ""
        cause = (f"{process} process did not answer GET {check.path} "
                 f"within {timeout:g}s{why}")
    if serving:
        cause += f" ({serving} keeps serving)"
    tail = quoted_tail(log)
    return f"{cause}: last log lines: {tail}" if tail else f"{cause} (no log output)"
