"""A small in-memory stand-in for the add-on provider port."""

from __future__ import annotations

from typing import BinaryIO

from paas.domain.addons import Addon
from paas.errors import BackupFailed, InvalidInput
from paas.runtime.port import OneOff


class FakeAddons:
    """Each running add-on holds ``data`` bytes: a backup copies them out, a restore of
    anything not starting with ``DATA`` fails and leaves them as they were."""

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], Addon] = {}
        self.data: dict[tuple[str, str], bytes] = {}
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

    def backup(self, addon: Addon, sink: BinaryIO) -> None:
        sink.write(self.data.get((addon.app, addon.kind), b"DATA"))

    def restore(self, addon: Addon, source: BinaryIO) -> None:
        content = source.read()
        if not content.startswith(b"DATA"):
            raise BackupFailed("the restore failed: not a dump", "pg_restore: error")
        self.data[(addon.app, addon.kind)] = content

    def info(self, addon: Addon) -> dict[str, str]:
        return {"Version": "15.0"}

    def console(self, addon: Addon, command: str | None, tty: bool, rows: int, cols: int
                ) -> OneOff:
        raise InvalidInput("no console in the fake")
