"""Add-on use cases: provision a backing service and wire it into the app by config vars.

Config vars change only through a new release (Deployer.release), so the app's running
replicas pick up an add-on's URL the same way a ``config:set`` would, under the same lock.
What each kind sets, and which of its vars is a queue broker, comes from its record
(``paas.domain.addons.KINDS``): nothing here names a kind.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from paas.domain.addons import Addon, addon_config, kind_of, validate_kind, without_addon
from paas.domain.autoscale import Metric
from paas.domain.backups import Backup
from paas.errors import Conflict, InvalidInput, NotFound, PaasError
from paas.logsink import LogSink
from paas.runtime.port import OneOff
from paas.services.deploy import Deployer
from paas.services.oneoff import console_size
from paas.store.port import Store, User


class AddonProvider(Protocol):
    """The runtime side of add-ons (a container on Docker)."""

    def ensure(self, addon: Addon) -> str:
        """Run the add-on and wait until it answers; the host name apps reach it by."""
        ...

    def hostname(self, app: str, kind: str) -> str:
        """The host name ``ensure`` returns, without touching anything."""
        ...

    def address(self, app: str, kind: str) -> str | None:
        """Where the platform server itself reaches the add-on, if it runs."""
        ...

    def remove(self, app: str, kind: str | None = None) -> None:
        """Remove the add-on (every add-on of ``app`` without ``kind``) and its data."""
        ...

    def backup(self, addon: Addon, sink: BinaryIO) -> None:
        """Write a backup of the running add-on's data to ``sink``."""
        ...

    def restore(self, addon: Addon, source: BinaryIO) -> None:
        """Replace its data with a backup, or leave the data as it was."""
        ...

    def info(self, addon: Addon) -> dict[str, str]:
        """What the add-on reports about itself (version, size...)."""
        ...

    def console(self, addon: Addon, command: str | None, tty: bool, rows: int, cols: int
                ) -> OneOff:
        """The kind's client attached to the add-on (psql), like ``paas run``."""
        ...


class NoAddons:
    """The provider of a runtime that runs no add-ons: creating one is refused with a
    reason; removing is a no-op, since nothing can exist."""

    def __init__(self, runtime: str) -> None:
        self.runtime = runtime

    def ensure(self, addon: Addon) -> str:
        raise InvalidInput(f"the {self.runtime} runtime provides no {addon.kind} add-on; "
                           "set the app's config vars to a service you run yourself")

    def hostname(self, app: str, kind: str) -> str:
        raise InvalidInput(f"the {self.runtime} runtime provides no add-ons")

    def address(self, app: str, kind: str) -> str | None:
        return None

    def remove(self, app: str, kind: str | None = None) -> None:
        return None

    def _none(self) -> InvalidInput:
        return InvalidInput(f"the {self.runtime} runtime provides no add-ons")

    def backup(self, addon: Addon, sink: BinaryIO) -> None:
        raise self._none()

    def restore(self, addon: Addon, source: BinaryIO) -> None:
        raise self._none()

    def info(self, addon: Addon) -> dict[str, str]:
        raise self._none()

    def console(self, addon: Addon, command: str | None, tty: bool, rows: int, cols: int
                ) -> OneOff:
        raise self._none()


#: Takes a final backup of an add-on about to be destroyed (the backup service's capture).
FinalBackup = Callable[[str, str], Backup]


def _quiet(_line: str) -> None:
    pass


def find_addon(store: Store, app_name: str, kind: str) -> Addon:
    """The app's add-on of ``kind``; when it has none, the error names the command that
    makes one."""
    validate_kind(kind)
    store.get_app(app_name)
    for a in store.list_addons(app_name):
        if a.kind == kind:
            return a
    raise NotFound(f"{app_name} has no {kind} add-on: `paas addons:create {kind}`")


class AddonService:
    def __init__(self, store: Store, deployer: Deployer, provider: AddonProvider,
                 forget_backups: Callable[[str], None] = lambda _app: None) -> None:
        self.store = store
        self.deployer = deployer
        self.provider = provider
        #: Deletes an app's backups when the app itself is destroyed.
        self.forget_backups = forget_backups

    def list(self, app_name: str) -> list[Addon]:
        self.store.get_app(app_name)
        return self.store.list_addons(app_name)

    def get(self, app_name: str, kind: str) -> Addon:
        return find_addon(self.store, app_name, kind)

    def info(self, app_name: str, kind: str) -> dict[str, str]:
        return self.provider.info(self.get(app_name, kind))

    def console(self, app_name: str, kind: str, body: dict[str, Any]) -> OneOff:
        """The kind's client inside the add-on; ``command`` runs one command instead."""
        command = body.get("command")
        if command is not None and (not isinstance(command, str) or not command.strip()
                                    or len(command.encode()) > 128 * 1024 or "\0" in command):
            raise InvalidInput("command must be a non-empty string of at most 128 KiB")
        tty, rows, cols = console_size(body)
        return self.provider.console(self.get(app_name, kind), command, tty, rows, cols)

    def create(self, app_name: str, kind: str, user: User, log: LogSink = _quiet) -> Addon:
        validate_kind(kind)
        self.store.get_app(app_name)
        addon = Addon(app=app_name, kind=kind, password=secrets.token_urlsafe(24),
                      created_at=datetime.now(UTC))
        self.store.add_addon(addon)  # Conflict when it exists: nothing else happens
        try:
            host = self.provider.ensure(addon)
            current = self.store.current_release(app_name)
            config = {**(current.config if current else {}), **addon_config(addon, host)}
            self.deployer.release(app_name, current.build if current else None, config,
                                  f"Add {kind} add-on", user.name, log)
        except BaseException:
            self.provider.remove(app_name, kind)
            self.store.delete_addon(app_name, kind)
            raise
        return addon

    def destroy(self, app_name: str, kind: str, user: User, log: LogSink = _quiet,
                final_backup: FinalBackup | None = None) -> Backup | None:
        """Remove the add-on and its data; ``final_backup`` first captures what it holds
        (a failed capture stops the destroy: nothing is removed)."""
        addon = self.get(app_name, kind)
        users = [p.process_type for p in self.store.list_policies(app_name)
                 if p.metric is Metric.QUEUE]
        if users:
            raise Conflict(
                f"the queue autoscale policy of {', '.join(users)} reads this {kind}: "
                f"`paas autoscale:unset {users[0]}` first")
        kept = final_backup(app_name, kind) if final_backup is not None else None
        current = self.store.current_release(app_name)
        if current is not None:
            injected = addon_config(addon, self.provider.hostname(app_name, kind))
            config = without_addon(current.config, injected)
            if config != dict(current.config):
                self.deployer.release(app_name, current.build, config,
                                      f"Remove {kind} add-on", user.name, log)
        self.provider.remove(app_name, kind)
        self.store.delete_addon(app_name, kind)
        return kept

    def destroy_all(self, app_name: str) -> None:
        """For ``apps:destroy``: remove every add-on of the app, data and backups
        included (a new app of the same name must not read them)."""
        self.provider.remove(app_name)
        for a in self.store.list_addons(app_name):
            self.store.delete_addon(app_name, a.kind)
        self.forget_backups(app_name)

    def reconcile(self, say: LogSink = _quiet) -> None:
        """After a server restart: every recorded add-on runs again, same data, same URL."""
        for addon in self.store.list_addons():
            try:
                self.provider.ensure(addon)
            except PaasError as e:
                say(f"{addon.kind} add-on of {addon.app} did not start: {e.message}")

    def broker_url(self, app_name: str) -> str | None:
        """URL the platform server uses to read the app's queues (host-side address)."""
        for a in self.store.list_addons(app_name):
            var = kind_of(a).broker_var
            if var is not None:
                host = self.provider.address(app_name, a.kind)
                return addon_config(a, host)[var] if host else None
        return None
