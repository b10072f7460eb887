"""Users, their tokens, and who may act on which app.

Who may do what: the admin manages users and every token; a user lists, creates and
revokes their own tokens; an app's owner (or the admin) grants and removes access to it,
and hands the app to another user.
"""

from __future__ import annotations

from paas.domain.app import App
from paas.domain.limits import ReplicaBounds, check_apps
from paas.domain.names import validate_user_name
from paas.errors import Forbidden, InvalidInput, NotFound
from paas.services.apps import owned_by
from paas.store.port import Store, TokenInfo, User

MAX_LABEL = 128
#: Tokens a user holds at once (revoked ones do not count).
MAX_TOKENS = 100
#: Revoked tokens of a user kept for ``paas tokens`` to show; older ones are deleted.
MAX_REVOKED_TOKENS = 100


def add_user(store: Store, name: str, is_admin: bool) -> User:
    return store.add_user(validate_user_name(name), is_admin=is_admin)


def _token_owner(store: Store, caller: User, user: str | None) -> str:
    if user is None or user == caller.name:
        return caller.name
    if not caller.is_admin:
        raise Forbidden("only an admin can manage other users' tokens")
    return store.get_user(validate_user_name(user)).name


def list_tokens(store: Store, caller: User, user: str | None) -> list[TokenInfo]:
    if user is None and caller.is_admin:
        return store.list_tokens()
    return store.list_tokens(_token_owner(store, caller, user))


def create_token(store: Store, caller: User, user: str | None, label: str | None,
                 token_hash: str) -> TokenInfo:
    """Record a new token (made and hashed by the caller) for ``user``, default the caller."""
    owner = _token_owner(store, caller, user)
    label = (label or "").strip() or f"created by {caller.name}"
    if len(label) > MAX_LABEL or not label.isprintable():
        raise InvalidInput(f"invalid token label: printable text of at most {MAX_LABEL} "
                           "characters")
    active = sum(1 for t in store.list_tokens(owner) if not t.revoked)
    if active >= MAX_TOKENS:
        raise InvalidInput(f"{owner} has {active} tokens, the most a user may have: "
                           "revoke one first (paas tokens:revoke ID)")
    store.add_token(owner, token_hash, label)
    return next(t for t in store.list_tokens(owner) if token_hash.startswith(t.id))


def revoke_token(store: Store, caller: User, token_id: str) -> TokenInfo:
    mine = {t.id for t in store.list_tokens(caller.name)}
    if not caller.is_admin and token_id not in mine:
        # The same answer as for an unknown id: other users' token ids stay unknown.
        raise NotFound(f"token {token_id!r} not found")
    revoked = store.revoke_token(token_id)
    store.forget_revoked_tokens(revoked.user, MAX_REVOKED_TOKENS)
    return revoked


def may_manage_access(user: User, app: App) -> bool:
    return user.is_admin or app.owner == user.name


def grant(store: Store, caller: User, app: App, user: str) -> None:
    if not may_manage_access(caller, app):
        raise Forbidden(f"only the owner of {app.name} ({app.owner}) or an admin can "
                        "change who has access")
    target = store.get_user(validate_user_name(user))
    if target.name == app.owner:
        raise InvalidInput(f"{target.name} owns {app.name} already")
    store.grant_access(app.name, target.name, caller.name)


def revoke(store: Store, caller: User, app: App, user: str) -> None:
    if not may_manage_access(caller, app):
        raise Forbidden(f"only the owner of {app.name} ({app.owner}) or an admin can "
                        "change who has access")
    validate_user_name(user)
    store.revoke_access(app.name, user)


def transfer(store: Store, caller: User, app: App, to: str, confirm: str | None,
             bounds: ReplicaBounds) -> App:
    """Give ``app`` to the existing user ``to``; ``confirm`` must repeat the app's name.

    The previous owner keeps no access unless granted again afterwards: a transfer is
    how an app leaves someone's hands, so nothing of their control lingers. The new
    owner's apps are bounded as a creation would be: else creating and giving away
    would grow one person's apps without end.
    """
    if not may_manage_access(caller, app):
        raise Forbidden(f"only the owner of {app.name} ({app.owner}) or an admin can "
                        "transfer it")
    if confirm != app.name:
        raise InvalidInput(f"transferring {app.name} gives it and everything it has to "
                           f"another user: confirm with --confirm {app.name}")
    target = store.get_user(validate_user_name(to))
    if target.name == app.owner:
        raise InvalidInput(f"{target.name} owns {app.name} already")
    if not target.is_admin:
        check_apps(target.name, owned_by(store, target.name), bounds)
    return store.transfer_app(app.name, target.name)
