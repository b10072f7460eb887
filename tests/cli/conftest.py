"""The real CLI, through the real client, against the real API and SQLite store.

Only the socket is replaced (:class:`~tests.cli.transport.WSGITransport`) and, behind
the API, the containers (the fake runtime of ``tests/server/platform.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git
import pytest
from click.testing import CliRunner, Result

from paas.cli import cli
from paas.cli.application import Application
from paas.server.api import PlatformAPI
from tests.cli.transport import WSGITransport
from tests.server.platform import ApiPlatform, make_platform

#: Where the CLI believes the server is; the transport answers for it.
URL = "http://paas.test"


@dataclass
class Paas:
    """Runs ``paas ARGS...`` as a user in ``home`` would, logged in as the admin."""

    api: ApiPlatform
    transport: WSGITransport
    home: Path

    def __call__(self, *args: str, token: str | None = None, url: str = URL,
                 network: bool = False) -> Result:
        """``network``: the client really connects to ``url`` (no in-process API)."""
        env = {"PAAS_URL": url, "PAAS_TOKEN": token or self.api.admin_token}
        app = Application(transport=None if network else self.transport)
        return CliRunner().invoke(cli, list(args), obj=app, env=env)

    def repo(self, name: str, remote_url: str | None = None) -> Path:
        """A git repository in ``home``; with a 'paas' remote when given its URL."""
        path = self.home / name
        repo = git.Repo.init(path)
        if remote_url is not None:
            repo.create_remote("paas", remote_url)
        return path


@pytest.fixture
def paas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paas:
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("PAAS_URL", "PAAS_TOKEN", "PAAS_DEBUG", "NETRC"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(home)
    api = make_platform(tmp_path / "platform")
    return Paas(api, WSGITransport(PlatformAPI(api.ctx)), home)
