"""Certificates, keys and ACME challenge answers as files the router container reads.

The directory is mounted read-only into the router, whose nginx master (root inside the
container) reads keys at each reload; on the host they are 0600 in 0700 directories,
written to a temporary name and renamed, so nginx never reads half a key. Files are
named by app and certificate fingerprint: a renewal writes new files beside the served
ones, and a config nginx rejects leaves the old files in place to roll back to.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from paas.domain.certs import file_stem
from paas.errors import InvalidInput

#: An ACME token is base64url (RFC 8555 8.1): nothing else becomes a file name.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _write(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


class CertFiles:
    """``cert_dir``: ``APP-FPR.crt`` (chain) and ``APP-FPR.key``; ``challenge_dir``: one
    file per pending ACME token."""

    def __init__(self, cert_dir: Path, challenge_dir: Path) -> None:
        self.cert_dir = cert_dir
        self.challenge_dir = challenge_dir

    def write(self, app: str, fingerprint: str, chain_pem: str, key_pem: bytes) -> str:
        """Store the pair; the file stem (``.crt``/``.key`` appended)."""
        stem = file_stem(app, fingerprint)
        _private_dir(self.cert_dir)
        _write(self.cert_dir / f"{stem}.key", key_pem, 0o600)
        _write(self.cert_dir / f"{stem}.crt", chain_pem.encode(), 0o644)
        return stem

    def has(self, stem: str) -> bool:
        return all((self.cert_dir / f"{stem}{ext}").is_file() for ext in (".crt", ".key"))

    def prune(self, keep: Iterable[str]) -> None:
        """Remove every pair whose stem is not in ``keep`` (replaced or removed ones)."""
        kept = set(keep)
        if not self.cert_dir.is_dir():
            return
        for path in self.cert_dir.iterdir():
            if path.suffix in (".crt", ".key") and path.stem not in kept:
                path.unlink(missing_ok=True)

    def put_challenge(self, token: str, validation: str) -> None:
        if not _TOKEN.fullmatch(token):
            raise InvalidInput("the ACME server sent a malformed challenge token")
        directory = self.challenge_dir
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)  # key authorizations are public by design
        _write(directory / token, validation.encode(), 0o644)

    def drop_challenge(self, token: str) -> None:
        if _TOKEN.fullmatch(token):
            (self.challenge_dir / token).unlink(missing_ok=True)
