"""Tokens: random secrets handed to users once, stored only as SHA-256 hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from pathlib import Path

from paas.errors import Unauthorized
from paas.store.port import Store, User

ADMIN = "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "paas_" + secrets.token_urlsafe(32)


def bootstrap_admin(store: Store, home: Path) -> str | None:
    """On first start: create the admin and a token, kept in ``home/admin-token`` (0600).

    Returns the token when it was created now (to print it once), else None.
    """
    if store.list_users():
        return None
    store.add_user(ADMIN, is_admin=True)
    token = new_token()
    store.add_token(ADMIN, hash_token(token), "initial admin token")
    path = home / "admin-token"
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(token + "\n")
    return token


def token_from_header(header: str | None) -> str | None:
    """Bearer for the API; Basic (any user name, token as password) for git over HTTP."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, _, password = decoded.partition(":")
        return password or None
    return None


def authenticate(store: Store, header: str | None) -> User:
    token = token_from_header(header)
    user = store.user_for_token(hash_token(token)) if token else None
    if user is None:
        raise Unauthorized("authentication failed: missing or invalid token (run `paas login`)")
    return user
