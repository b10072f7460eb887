"""Destroying an app: everything it runs and everything the platform remembers of it.

The order makes a failure safe to retry: replicas, routes, images and add-ons go first
(each removal is idempotent), the repository, log book and stored state last, so an app
is never forgotten while something of it still runs.
"""

from __future__ import annotations

from paas.errors import InvalidInput
from paas.runtime.port import Runtime
from paas.services.addons import AddonService
from paas.services.apps import SourceRepos
from paas.services.deploy import AppLocks
from paas.store.logbook import LogBook
from paas.store.port import Store


class DestroyService:
    def __init__(self, store: Store, runtime: Runtime, locks: AppLocks, addons: AddonService,
                 repos: SourceRepos, logbook: LogBook | None) -> None:
        self.store = store
        self.runtime = runtime
        self.locks = locks
        self.addons = addons
        self.repos = repos
        self.logbook = logbook

    def destroy(self, name: str, confirm: str | None) -> None:
        if confirm != name:
            raise InvalidInput(
                f"destroying {name} removes its containers, images, releases and config: "
                f"confirm with --confirm {name}"
            )
        with self.locks.hold(name):
            self.store.get_app(name)
            self.runtime.destroy(name)
            self.addons.destroy_all(name)
            self.repos.remove(name)
            if self.logbook is not None:
                self.logbook.remove(name)
            self.store.delete_app(name)
