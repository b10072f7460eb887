"""Small in-memory stand-ins for the runtime and add-on ports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from paas.domain.addons import Addon
from paas.domain.app import App
from paas.domain.release import Release
from paas.errors import DeployFailed
from paas.logsink import LogSink
from paas.runtime.port import ProcessInfo


class FakeRuntime:
    def __init__(self) -> None:
        self.deploys: list[dict[str, int]] = []
        self.restarts: list[list[str]] = []
        self.fail_next = False

    def deploy(self, app: App, release: Release, formation: Mapping[str, int],
               log: LogSink) -> None:
        if self.fail_next:
            self.fail_next = False
            raise DeployFailed("web process exited; the previous release keeps serving")
        self.deploys.append(dict(formation))

    def restart(self, app: App, release: Release, formation: Mapping[str, int],
                types: Iterable[str], log: LogSink) -> None:
        self.restarts.append(list(types))

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        pass

    def processes(self, app: str) -> list[ProcessInfo]:
        return []

    def destroy(self, app: str) -> None:
        pass

    def reconcile(self, apps: list[tuple[App, Release | None]]) -> None:
        pass


class FakeAddons:
    def __init__(self) -> None:
        self.running: dict[tuple[str, str], Addon] = {}
        self.fail = False

    def ensure(self, addon: Addon) -> str:
        if self.fail:
            from paas.errors import RuntimeUnavailable
            raise RuntimeUnavailable("redis did not start")
        self.running[(addon.app, addon.kind)] = addon
        return self.hostname(addon.app, addon.kind)

    def hostname(self, app: str, kind: str) -> str:
        return f"{app}-{kind}"

    def address(self, app: str, kind: str) -> str | None:
        return "10.0.0.9" if (app, kind) in self.running else None

    def remove(self, app: str, kind: str | None = None) -> None:
        for key in [k for k in self.running if k[0] == app and kind in (None, k[1])]:
            del self.running[key]
