"""Where the CLI keeps the server URL and token, and the ~/.netrc entry git uses.

``git push`` authenticates by itself through curl's ~/.netrc support, as Heroku's CLI
arranges it: no credential helper to install, no token in the remote URL.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from paas.errors import PaasError


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "paas"


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def load() -> Credentials:
    """``PAAS_URL``/``PAAS_TOKEN`` override what ``paas login`` stored."""
    stored: dict[str, str] = {}
    path = config_dir() / "credentials.json"
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise PaasError(f"{path} is corrupt; run `paas login` again") from e
    url = os.environ.get("PAAS_URL") or stored.get("url")
    token = os.environ.get("PAAS_TOKEN") or stored.get("token")
    if not url or not token:
        raise PaasError("not logged in: run `paas login URL --token TOKEN`")
    return Credentials(url.rstrip("/"), token)


def save(creds: Credentials) -> None:
    _write_private(
        config_dir() / "credentials.json",
        json.dumps({"url": creds.url, "token": creds.token}, indent=2) + "\n",
    )
    write_netrc(Path.home() / ".netrc", urlparse(creds.url).hostname or "", creds.token)


def netrc_with(text: str, host: str, login: str, password: str) -> str:
    """``text`` with the entry for ``host`` replaced (one-line and multi-line forms)."""
    tokens = re.findall(r"\S+", text)
    entries: list[list[str]] = []
    current: list[str] = []
    for tok in tokens:
        if tok in ("machine", "default") and current:
            entries.append(current)
            current = []
        current.append(tok)
    if current:
        entries.append(current)
    kept = [e for e in entries if not (len(e) > 1 and e[0] == "machine" and e[1] == host)]
    for value in (host, login, password):
        if any(c.isspace() for c in value) or not value:
            raise PaasError(f"cannot store {value!r} in ~/.netrc")
    # Before any ``default`` entry: curl takes ``default`` as a match and reads no further.
    at = next((i for i, e in enumerate(kept) if e[0] == "default"), len(kept))
    kept.insert(at, ["machine", host, "login", login, "password", password])
    return "".join(" ".join(e) + "\n" for e in kept)


def write_netrc(path: Path, host: str, token: str) -> None:
    old = path.read_text() if path.exists() else ""
    _write_private(path, netrc_with(old, host, "paas", token))
