"""The Store port: everything the platform remembers, behind one narrow interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from paas.domain.addons import Addon
from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy
from paas.domain.certs import AppTls
from paas.domain.limits import AppLimits
from paas.domain.release import Build, Release, ReleaseStatus


@dataclass(frozen=True)
class User:
    name: str
    is_admin: bool


# -- token ids and per-app access --------------------------------------------------
@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the secret, nor its full hash."""

    id: str
    user: str
    label: str
    created_at: datetime
    revoked: bool


class Store(Protocol):
    # apps
    def create_app(self, app: App) -> App: ...
    def get_app(self, name: str) -> App: ...
    def list_apps(self) -> list[App]: ...
    def set_formation(self, name: str, formation: Mapping[str, int]) -> App: ...
    def set_domains(self, name: str, domains: tuple[str, ...]) -> App: ...
    def set_sizes(self, name: str, sizes: Mapping[str, str]) -> App:
        """Replace the app's size names per process type."""
        ...

    def set_limits(self, name: str, limits: AppLimits) -> App:
        """Replace what an admin granted the app beyond the platform's bounds."""
        ...

    def delete_app(self, name: str) -> None: ...
    def transfer_app(self, name: str, owner: str) -> App:
        """Make ``owner`` (an existing user) the owner; their access grant, now implied,
        goes in the same transaction. NotFound for an unknown app or user."""
        ...


    # releases
    def add_release(
        self,
        app: str,
        build: Build | None,
        config: Mapping[str, str],
        description: str,
        created_by: str,
    ) -> Release:
        """Record a new pending release with the next version number of ``app``."""
        ...

    def set_release_status(self, app: str, version: int, status: ReleaseStatus) -> Release: ...
    def get_release(self, app: str, version: int) -> Release: ...
    def list_releases(self, app: str) -> list[Release]: ...
    def current_release(self, app: str) -> Release | None:
        """The newest succeeded release, or None before the first deploy."""
        ...

    def fail_pending_releases(self) -> list[Release]:
        """Mark releases left pending by a crash as failed (called at server start)."""
        ...

    # autoscaling
    def set_policy(self, app: str, policy: AutoscalePolicy) -> None: ...
    def delete_policy(self, app: str, process_type: str) -> None: ...
    def list_policies(self, app: str) -> list[AutoscalePolicy]: ...

    # users and tokens (tokens are stored as hashes only)
    def add_user(self, name: str, is_admin: bool = False) -> User: ...
    def get_user(self, name: str) -> User: ...
    def list_users(self) -> list[User]: ...
    def add_token(self, user: str, token_hash: str, label: str) -> None: ...
    def user_for_token(self, token_hash: str) -> User | None: ...

    # -- token ids and per-app access --------------------------------------------------
    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        """Every token (or ``user``'s), revoked ones included, oldest first."""
        ...

    def forget_revoked_tokens(self, user: str, keep: int) -> None:
        """Delete ``user``'s revoked tokens but the ``keep`` revoked last: they let
        nobody in, and a loop of creating and revoking tokens would grow the store
        without end."""
        ...

    def revoke_token(self, token_id: str) -> TokenInfo:
        """Stop a token from authenticating; NotFound for an unknown id."""
        ...

    def grant_access(self, app: str, user: str, granted_by: str) -> None:
        """Let ``user`` act on ``app``; NotFound for an unknown app or user."""
        ...

    def revoke_access(self, app: str, user: str) -> None: ...
    def list_access(self, app: str) -> list[str]: ...
    def has_access(self, app: str, user: str) -> bool: ...
    # add-ons ------------------------------------------------------------------------
    def add_addon(self, addon: Addon) -> Addon:
        """Record an add-on; Conflict when the app already has one of that kind."""
        ...

    def delete_addon(self, app: str, kind: str) -> None: ...
    def list_addons(self, app: str | None = None) -> list[Addon]:
        """Add-ons of ``app``, or of every app (for reconcile at server start)."""
        ...

    # TLS ----------------------------------------------------------------------------
    def get_tls(self, app: str) -> AppTls:
        """The app's TLS state (an empty one when never set); NotFound for no app."""
        ...

    def put_tls(self, tls: AppTls) -> AppTls: ...
    def list_tls(self) -> list[AppTls]:
        """Every app's stored TLS state (the router and the renewal loop read them)."""
        ...
