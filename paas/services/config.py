"""Config use cases: every change is a new release and a rolling restart.

Values are secrets for all we know: they go to the store and the containers' environment,
never into a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from paas.domain import config as cfg
from paas.domain.health import check_config
from paas.domain.release import Build, Release
from paas.logsink import LogSink
from paas.services.deploy import Deployer
from paas.store.port import Store


class ConfigService:
    def __init__(self, store: Store, releases: Deployer) -> None:
        self.store = store
        self.releases = releases

    def current(self, app: str) -> dict[str, str]:
        self.store.get_app(app)  # NotFound for an unknown app, even before any release
        current = self.store.current_release(app)
        return dict(current.config) if current else {}

    def set(self, app: str, changes: Mapping[str, str], user: str, log: LogSink) -> Release:
        changes = dict(changes)
        # Checked before taking the lock, so bad input never waits for or blocks a deploy.
        cfg.with_set({}, changes)
        check_config(changes)  # a bad health check value would fail every rollout

        def change(current: Release | None) -> tuple[Build | None, Mapping[str, str], str]:
            base = current.config if current else {}
            return (current.build if current else None, cfg.with_set(base, changes),
                    cfg.describe_set(changes))

        return self.releases.release_from_current(app, change, user, log)

    def unset(self, app: str, keys: Sequence[str], user: str, log: LogSink) -> Release:
        cfg.without(self.current(app), keys)

        def change(current: Release | None) -> tuple[Build | None, Mapping[str, str], str]:
            base = current.config if current else {}
            return (current.build if current else None, cfg.without(base, keys),
                    cfg.describe_unset(keys))

        return self.releases.release_from_current(app, change, user, log)
