"""The Runtime port: runs releases as process replicas and routes web traffic to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from paas.domain.app import App
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

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        """Run the build's release command once; raise DeployFailed when it fails."""
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
