"""Release history and rollback: a rollback is a new release of an old build and config."""

from __future__ import annotations

from collections.abc import Mapping

from paas.domain.release import Build, Release, ReleaseStatus
from paas.errors import InvalidInput, NotFound
from paas.logsink import LogSink
from paas.services.deploy import Deployer
from paas.store.port import Store


def rollback_target(releases: list[Release], current: Release | None,
                    version: int | None) -> Release:
    """The release to roll back to: ``version``, or the succeeded one before the current."""
    if version is None:
        if current is None:
            raise InvalidInput("nothing to roll back: the app has no release yet")
        older = [r for r in releases
                 if r.version < current.version and r.status is ReleaseStatus.SUCCEEDED
                 and r.build is not None]
        if not older:
            raise InvalidInput(f"no release before {current.label} to roll back to")
        return max(older, key=lambda r: r.version)
    found = [r for r in releases if r.version == version]
    if not found:
        raise NotFound(f"release v{version} not found")
    target = found[0]
    if target.status is not ReleaseStatus.SUCCEEDED:
        raise InvalidInput(f"{target.label} {target.status.value}: roll back to a release "
                           f"that succeeded")
    if target.build is None:
        raise InvalidInput(f"{target.label} has no build (it came before the first push)")
    return target


class ReleaseService:
    def __init__(self, store: Store, releases: Deployer) -> None:
        self.store = store
        self.releases = releases

    def list(self, app: str) -> list[Release]:
        self.store.get_app(app)
        return self.store.list_releases(app)

    def rollback(self, app: str, version: int | None, user: str, log: LogSink) -> Release:
        if version is not None and version < 1:
            raise InvalidInput(f"invalid version v{version}")
        # Validated once outside the lock for a fast error, then again under it.
        rollback_target(self.store.list_releases(app), self.store.current_release(app),
                        version)

        def change(current: Release | None) -> tuple[Build | None, Mapping[str, str], str]:
            target = rollback_target(self.store.list_releases(app), current, version)
            log(f"-----> Rolling back to {target.label}")
            return target.build, target.config, f"Rollback to {target.label}"

        return self.releases.release_from_current(app, change, user, log)
