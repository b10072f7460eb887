"""A small in-memory stand-in for the add-on provider port."""

from __future__ import annotations

from paas.domain.addons import Addon


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
