"""Use cases on apps: create, list, describe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from paas.domain.app import App
from paas.domain.names import validate_app_name
from paas.domain.release import Release
from paas.store.port import Store, User


@dataclass(frozen=True)
class AppView:
    app: App
    release: Release | None


def create_app(store: Store, name: str, user: User) -> App:
    validate_app_name(name)
    return store.create_app(App(name=name, created_at=datetime.now(UTC), owner=user.name))


def list_apps(store: Store) -> list[AppView]:
    return [AppView(a, store.current_release(a.name)) for a in store.list_apps()]
