"""An in-process platform API over a real SQLite store, with a small fake runtime.

The API, services and store are the real ones; only containers are replaced, by a
runtime that remembers what it was asked to run and can be told to fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from paas.domain.limits import ReplicaBounds
from paas.domain.release import Build, Release
from paas.logsink import discard
from paas.server.api import PlatformAPI
from paas.server.auth import bootstrap_admin, hash_token, new_token
from paas.server.context import ApiContext
from paas.server.git_http import Repos
from paas.server.receive import Receiver
from paas.services.certs import TlsPorts
from paas.services.platform import build_services
from paas.settings import Settings
from paas.store.backups import BackupFiles
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore
from paas.tls.files import CertFiles
from tests.fakes import FakeRuntime, NoBuilder, RecordingScaling
from tests.services.fakes import FakeAddons


def build(commit: str = "abc1234" + "0" * 33) -> Build:
    return Build(image=f"paas/app:git-{commit[:12]}", commit=commit,
                 processes={"web": "gunicorn app:app"})


@dataclass
class ApiPlatform:
    ctx: ApiContext
    runtime: FakeRuntime
    client: Client
    admin_token: str

    @property
    def store(self) -> SqlStore:
        assert isinstance(self.ctx.store, SqlStore)
        return self.ctx.store

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin_token}"}

    def call(self, method: str, path: str, token: str | None = None,
             **kw: Any) -> tuple[int, Any]:
        resp = self.client.open(path, method=method, headers=self.headers(token), **kw)
        return resp.status_code, resp.get_json(silent=True)

    def user(self, name: str, admin: bool = False) -> str:
        """A user with a fresh token; returns the token."""
        self.store.add_user(name, admin)
        token = new_token()
        self.store.add_token(name, hash_token(token), "test")
        return token

    def deployed_app(self, name: str, token: str | None = None,
                     config: Mapping[str, str] | None = None) -> Release:
        """An app created by the token's user, with one deployed release."""
        status, body = self.call("POST", "/v1/apps", token, json={"name": name})
        assert status == 201, body
        return self.ctx.services.deploys.release(name, build(), dict(config or {}),
                                                 "Deploy abc1234", "someone", discard)


def make_platform(tmp: Path, bounds: ReplicaBounds | None = None) -> ApiPlatform:
    settings = Settings(home=tmp / "home", replicas=bounds or ReplicaBounds())
    settings.home.mkdir(parents=True)
    store = SqlStore(settings.db_url, secrets=SecretBox.generate())
    token = bootstrap_admin(store, settings.home)
    assert token
    runtime = FakeRuntime()
    repos = Repos(settings.repos_dir)
    services = build_services(
        store=store, runtime=runtime, builder=NoBuilder(),
        addon_provider=FakeAddons(), scaling=lambda _f, _a: RecordingScaling(),
        repos=repos, logbook=None, platform_domain=settings.domain, bounds=settings.replicas,
        backup_files=BackupFiles(settings.backups_dir),
        tls=TlsPorts(files=CertFiles(settings.cert_dir, settings.acme_challenge_dir),
                     issuer=None, trusted=frozenset))
    ctx = ApiContext(settings, store, repos, Receiver(settings, services.deploys, store),
                     services, hook_secret="s")
    return ApiPlatform(ctx, runtime, Client(PlatformAPI(ctx)), token)
