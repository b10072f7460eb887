"""Use cases on apps: create, list, describe."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from paas.domain.app import App
from paas.domain.limits import ReplicaBounds, check_apps
from paas.domain.names import validate_app_name
from paas.domain.release import Release
from paas.store.port import Store, User


class SourceRepos(Protocol):
    """Where pushes land: one git repository per app."""

    def ensure(self, app: str) -> Path: ...
    def remove(self, app: str) -> None: ...


@dataclass(frozen=True)
class AppView:
    app: App
    release: Release | None


def owned_by(store: Store, user: str) -> int:
    return sum(1 for a in store.list_apps() if a.owner == user)


class AppService:
    def __init__(self, store: Store, repos: SourceRepos, bounds: ReplicaBounds | None = None
                 ) -> None:
        self.store = store
        self.repos = repos
        self.bounds = bounds or ReplicaBounds()
        #: The count and the creation together: two creates at once cannot both pass
        #: as the last one a user may own.
        self._lock = threading.Lock()

    def create(self, name: str, user: User) -> App:
        validate_app_name(name)
        with self._lock:
            if not user.is_admin:
                check_apps(user.name, owned_by(self.store, user.name), self.bounds)
            app = self.store.create_app(App(name=name, created_at=datetime.now(UTC),
                                            owner=user.name))
        self.repos.ensure(app.name)
        return app

    def list(self) -> list[AppView]:
        return [AppView(a, self.store.current_release(a.name)) for a in self.store.list_apps()]

    def view(self, app: App) -> AppView:
        return AppView(app, self.store.current_release(app.name))
