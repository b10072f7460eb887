"""The one fake runtime of the unit tests, typed against the Runtime port, and a
recording scaling strategy.

It remembers what it was asked to run and can be told to fail; tests read its fields
instead of mocking calls. ``_PORT_CHECK`` makes mypy prove it still fits the port.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from paas.builder.source import PushedCommit
from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy
from paas.domain.logs import LogLine
from paas.domain.release import Build, Release
from paas.domain.scaling import Decision
from paas.errors import DeployFailed
from paas.logsink import LogSink
from paas.runtime.port import OneOff, ProcessInfo, Runtime
from paas.services.autoscale import ScalingStrategy


@dataclass
class FakeRuntime:
    #: app -> the release its replicas run.
    serving: dict[str, Release] = field(default_factory=dict)
    #: app -> the hostnames routed to it.
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Every formation ``deploy`` converged to, in order.
    deploys: list[dict[str, int]] = field(default_factory=list)
    restarts: list[list[str]] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)
    #: Labels of the releases whose release phase ran.
    release_phases: list[str] = field(default_factory=list)
    #: What a release phase prints, given its release.
    release_output: Callable[[Release], list[str]] = lambda _r: []
    #: The next deploy fails with DeployFailed; the value is its log.
    fail_next: str | None = None
    #: Replica lines ``logs`` hands out, and the ones ``follow_logs`` sends.
    lines: list[LogLine] = field(default_factory=list)
    live: list[LogLine] = field(default_factory=list)
    logs_asked: list[tuple[str, str | None, int]] = field(default_factory=list)
    following: threading.Event = field(default_factory=threading.Event)
    stopped_following: threading.Event = field(default_factory=threading.Event)
    #: Makes the one-off ``start_oneoff`` returns; the requests are kept in ``started``.
    oneoff: Callable[[], OneOff] | None = None
    started: list[tuple[str, int, list[str], bool, int, int]] = field(default_factory=list)
    #: app -> one-off runs the runtime reports (started before this server, say).
    running_oneoffs: dict[str, int] = field(default_factory=dict)
    #: app -> replicas ``processes`` lists after the web one (a crash-looping worker).
    more_processes: dict[str, list[ProcessInfo]] = field(default_factory=dict)
    #: Apps a use case waited for (``settle``), in order.
    settled: list[str] = field(default_factory=list)

    def deploy(self, app: App, release: Release, formation: Mapping[str, int],
               log: LogSink) -> None:
        if self.fail_next is not None:
            why, self.fail_next = self.fail_next, None
            raise DeployFailed("web process exited; the previous release keeps serving", why)
        log(f"-----> Starting 1 web replica(s) of {release.label}")
        self.deploys.append(dict(formation))
        self.serving[app.name] = release
        self.hosts[app.name] = app.hostnames("localhost")

    def restart(self, app: App, release: Release, formation: Mapping[str, int],
                types: Iterable[str], log: LogSink) -> None:
        self.restarts.append(list(types))

    def settle(self, app: str) -> None:
        self.settled.append(app)

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        self.release_phases.append(release.label)
        for line in self.release_output(release):
            log(line)

    def processes(self, app: str) -> list[ProcessInfo]:
        rel = self.serving.get(app)
        web = [ProcessInfo("web", f"{app}-web", rel.version, "running")] if rel else []
        return web + self.more_processes.get(app, [])

    def destroy(self, app: str) -> None:
        self.destroyed.append(app)
        self.serving.pop(app, None)
        self.hosts.pop(app, None)

    def reconcile(self, apps: list[tuple[App, Release | None]]) -> None:
        return None

    def update_routes(self, app: App) -> None:
        if app.name in self.serving:
            self.hosts[app.name] = app.hostnames("localhost")

    def logs(self, app: str, process_type: str | None = None, lines: int = 100) -> list[str]:
        self.logs_asked.append((app, process_type, lines))
        return [x.render() for x in self.lines if process_type in (None, x.process_type)]

    def follow_logs(self, app: str, process_type: str | None, since: float,
                    sink: Callable[[LogLine], None], stop: threading.Event) -> None:
        for line in self.live:
            sink(line)
        self.following.set()
        stop.wait()
        self.stopped_following.set()

    def start_oneoff(self, app: App, release: Release, command: Sequence[str], tty: bool,
                     rows: int, cols: int) -> OneOff:
        self.started.append((app.name, release.version, list(command), tty, rows, cols))
        assert self.oneoff is not None, "give FakeRuntime a oneoff factory"
        return self.oneoff()

    def oneoffs(self, app: str) -> int:
        return self.running_oneoffs.get(app, 0)


_PORT_CHECK: Runtime = FakeRuntime()


class NoBuilder:
    def build(self, app: str, source: PushedCommit, commit: str, log: LogSink) -> Build:
        raise AssertionError("these tests release existing builds only")


@dataclass
class RecordingScaling:
    """A scaling strategy that only remembers which policies changed."""

    changed: list[tuple[str, str, int]] = field(default_factory=list)

    def policies_changed(self, app: App, process_type: str,
                         policies: Sequence[AutoscalePolicy],
                         config: Mapping[str, str]) -> None:
        self.changed.append((app.name, process_type, len(policies)))

    def decisions(self, app: str) -> tuple[list[Decision], list[Decision]]:
        return [], []


_SCALING_CHECK: ScalingStrategy = RecordingScaling()
