"""The Runtime port: runs releases as process replicas and routes web traffic to them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from paas.domain.app import App
from paas.domain.logs import LogLine
from paas.domain.release import Release
from paas.logsink import LogSink


@dataclass(frozen=True)
class ProcessInfo:
    """One running (or failed) replica, as ``paas ps`` shows it."""

    process_type: str
    name: str
    release: int
    state: str
    started_at: datetime | None = None
    #: For a replica that exited (a crash loop): its exit code and last log line.
    exit_code: int | None = None
    last_log: str | None = None


#: Output streams of a one-off command, numbered as the Docker engine numbers them.
STDOUT = 1
STDERR = 2


class OneOff(Protocol):
    """An attached one-off command (``paas run``): stdin in, output out, an exit code."""

    @property
    def name(self) -> str: ...
    def send(self, data: bytes) -> None: ...
    def close_stdin(self) -> None: ...
    def recv(self) -> tuple[int, bytes] | None:
        """The next (stream, bytes) of output; None once the command's output ended."""
        ...

    def resize(self, rows: int, cols: int) -> None: ...
    def wait(self) -> int:
        """Block until the command ended; its exit code."""
        ...

    def close(self) -> None:
        """Kill the command if it still runs and remove what it ran in; idempotent."""
        ...


class Runtime(Protocol):
    def deploy(
        self, app: App, release: Release, formation: Mapping[str, int], log: LogSink
    ) -> None:
        """Converge ``app`` to ``release`` with ``formation`` replicas per process type.

        New web replicas take traffic only once healthy; replicas of the previous release
        are removed only after that. On failure raise DeployFailed and leave the previous
        release serving exactly as it was.
        """
        ...

    def settle(self, app: str) -> None:
        """Return once the replicas a finished rollout of ``app`` left to remove after
        it answered (the predecessors of a new release, which nothing routes to any
        more) are gone: a use case that answers with the exact replica set calls it."""
        ...

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        """Run the build's release command once; raise DeployFailed when it fails.

        Only the deploy use case calls it, once per release: ``deploy`` and ``restart``
        never run it, so scaling or restarting never re-runs migrations.
        """
        ...

    def restart(self, app: App, release: Release, formation: Mapping[str, int],
                types: Iterable[str], log: LogSink) -> None:
        """Replace every replica of ``types`` with a fresh one of the same release, with
        the same guarantees as ``deploy`` (web keeps serving throughout)."""
        ...

    def processes(self, app: str) -> list[ProcessInfo]: ...

    def destroy(self, app: str) -> None:
        """Remove every replica and route of ``app``; idempotent."""
        ...

    def reconcile(self, apps: list[tuple[App, Release | None]]) -> None:
        """Bring routes and replicas back in line with stored state after a restart."""
        ...

    def update_routes(self, app: App) -> None:
        """Route ``app``'s current hostnames (its domains changed) to the replicas that
        serve now, without restarting any; a no-op for an app with no web process."""
        ...

    def logs(self, app: str, process_type: str | None = None, lines: int = 100) -> list[str]:
        """The newest ``lines`` lines of the app's replicas, oldest first, each rendered as
        ``TIME TYPE.REPLICA: message`` (see paas.domain.logs)."""
        ...

    def follow_logs(self, app: str, process_type: str | None, since: float,
                    sink: Callable[[LogLine], None], stop: threading.Event) -> None:
        """Send each replica line written from ``since`` (epoch seconds) on to ``sink``,
        including replicas that start meanwhile, until ``stop`` is set."""
        ...

    def start_oneoff(self, app: App, release: Release, command: Sequence[str], tty: bool,
                     rows: int, cols: int) -> OneOff:
        """Start ``command`` once with the release's image and config, attached."""
        ...

    def oneoffs(self, app: str) -> int:
        """How many one-off runs of ``app`` have not ended (they count against a bound)."""
        ...
