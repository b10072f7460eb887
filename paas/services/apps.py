"""Use cases on apps: create, list, describe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from paas.domain.app import App
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


class AppService:
    def __init__(self, store: Store, repos: SourceRepos) -> None:
        self.store = store
        self.repos = repos

    def create(self, name: str, user: User) -> App:
        validate_app_name(name)
        app = self.store.create_app(App(name=name, created_at=datetime.now(UTC),
                                        owner=user.name))
        self.repos.ensure(app.name)
        return app

    def list(self) -> list[AppView]:
        return [AppView(a, self.store.current_release(a.name)) for a in self.store.list_apps()]

    def view(self, app: App) -> AppView:
        return AppView(app, self.store.current_release(app.name))
