"""Secrets at rest: config values and add-on passwords are sealed before they are stored.

A copy of the database (a backup, a stray ``paas.db-wal``, a PostgreSQL dump) must not
hand out every app's credentials, so the store keeps them as Fernet tokens under a key
that lives outside the database: ``PAAS_SECRET_KEY`` (a Kubernetes Secret, say), else the
``secret-key`` file in the platform home, made 0600 on first start.

Several keys may be configured, newest first (one a line in the file, comma-separated in
the variable): the first seals, every one opens, so a rotation never strands a row.
Values from databases older than this carry no prefix and are read as they are, until
the store seals them at its next start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from paas.errors import InvalidInput, PaasError

#: Marks a sealed value; anything else in a secret column is clear text from before.
PREFIX = "fernet:"
KEY_FILE = "secret-key"
KEY_ENV = "PAAS_SECRET_KEY"
LOCK_FILE = "server.lock"


class SecretKeyError(PaasError):
    """A stored secret cannot be opened with the configured keys."""


class SecretBox:
    """Seals and opens text with the first of ``keys``; opens with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise InvalidInput("no secret key configured")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as e:
            raise InvalidInput(f"a configured secret key is not a Fernet key ({e})") from e
        self.keys = tuple(keys)

    @classmethod
    def generate(cls) -> SecretBox:
        return cls([Fernet.generate_key()])

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(PREFIX)

    def seal(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not self.is_sealed(stored):
            return stored  # written before secrets were sealed; sealed at the next start
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as e:
            raise SecretKeyError(
                f"a stored secret does not open with the configured key: set {KEY_ENV} "
                f"or the {KEY_FILE} file in the platform home to the key it was sealed "
                "with") from e

    def reseal(self, stored: str) -> str:
        """The same secret sealed with the first key (clear text gets sealed too)."""
        if not self.is_sealed(stored):
            return self.seal(stored)
        try:
            return PREFIX + self._fernet.rotate(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as e:
            raise SecretKeyError("a stored secret does not open with any configured key") from e


def _parse_keys(text: str, sep: str) -> list[bytes]:
    return [k.strip().encode() for k in text.split(sep) if k.strip()]


def write_key_file(home: Path, keys: Sequence[bytes]) -> None:
    """Replace the key file atomically, 0600 from its first byte."""
    path = home / KEY_FILE
    tmp = home / f".{KEY_FILE}.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"".join(k + b"\n" for k in keys))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def load_secret_box(home: Path, environ: Mapping[str, str]) -> SecretBox:
    """The keys of ``KEY_ENV``, else of the home's key file, made with one key if absent."""
    from_env = environ.get(KEY_ENV, "")
    if from_env.strip():
        return SecretBox(_parse_keys(from_env, ","))
    path = home / KEY_FILE
    if not path.exists():
        write_key_file(home, [Fernet.generate_key()])
    path.chmod(0o600)
    return SecretBox(_parse_keys(path.read_text(), "\n"))


@contextlib.contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """Held by a running server; a key rotation refuses to run beside one, whose keys in
    memory would go on sealing with the key being retired."""
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise InvalidInput("a paas server is running on this home: stop it first") from e
        yield
    finally:
        os.close(fd)
