"""An in-process platform API over a real SQLite store, with a small fake runtime.

The API, services and store are the real ones; only containers are replaced, by a
runtime that remembers what it was asked to run and can be told to fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.test import Client

from paas.builder.port import Builder
from paas.domain.app import App
from paas.domain.release import Build, Release
from paas.errors import DeployFailed
from paas.logsink import LogSink, discard
from paas.runtime.port import ProcessInfo
from paas.server.api import PlatformAPI
from paas.server.auth import bootstrap_admin, hash_token, new_token
from paas.server.context import ApiContext
from paas.server.git_http import Repos
from paas.server.receive import Receiver
from paas.services.deploy import AppLocks, Deployer
from paas.settings import Settings
from paas.store.sql import SqlStore


@dataclass
class FakeRuntime:
    #: app -> the release it serves (what containers would run).
    serving: dict[str, Release] = field(default_factory=dict)
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    destroyed: list[str] = field(default_factory=list)
    fail_next: str | None = None

    def deploy(self, app: App, release: Release, formation: Mapping[str, int],
               log: LogSink) -> None:
        if self.fail_next is not None:
            why, self.fail_next = self.fail_next, None
            raise DeployFailed("web process exited; the previous release keeps serving", why)
        log(f"-----> Starting 1 web replica(s) of {release.label}")
        self.serving[app.name] = release
        self.hosts[app.name] = app.hostnames("localhost")

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        return None

    def processes(self, app: str) -> list[ProcessInfo]:
        rel = self.serving.get(app)
        return [ProcessInfo("web", f"{app}-web", rel.version, "running")] if rel else []

    def destroy(self, app: str) -> None:
        self.destroyed.append(app)
        self.serving.pop(app, None)
        self.hosts.pop(app, None)

    def reconcile(self, apps: list[tuple[App, Release | None]]) -> None:
        return None

    def update_routes(self, app: App) -> None:
        if app.name in self.serving:
            self.hosts[app.name] = app.hostnames("localhost")


class NoBuilder:
    def build(self, app: str, source: Path, commit: str, log: LogSink) -> Build:
        raise AssertionError("these tests release existing builds only")


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
             **kw: object) -> tuple[int, object]:
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
        return self.ctx.deployer.release(name, build(), dict(config or {}), "Deploy abc1234",
                                         "someone", discard)


def make_platform(tmp: Path) -> ApiPlatform:
    settings = Settings(home=tmp / "home")
    settings.home.mkdir(parents=True)
    store = SqlStore(settings.db_url)
    token = bootstrap_admin(store, settings.home)
    assert token
    runtime = FakeRuntime()
    builder: Builder = NoBuilder()
    deployer = Deployer(store, builder, runtime, AppLocks())
    ctx = ApiContext(settings, store, Repos(settings.repos_dir), Receiver(settings, deployer),
                     deployer, runtime, hook_secret="s")
    return ApiPlatform(ctx, runtime, Client(PlatformAPI(ctx)), token)
