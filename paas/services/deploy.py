"""The deploy use case: build a pushed commit, record a release, roll it out.

Nothing is lost: the release is recorded as pending and marked succeeded only after the
runtime confirmed the rollout; a failed build, release phase or rollout marks it failed
and leaves the running release (and the router) exactly as they were.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from paas.builder.port import Builder
from paas.builder.source import PushedCommit
from paas.domain.app import App
from paas.domain.limits import ReplicaBounds, check_process_types
from paas.domain.logs import BUILD, RELEASE, redact
from paas.domain.release import Build, Release, ReleaseStatus
from paas.errors import Conflict, DeployFailed, PaasError
from paas.logsink import LogSink
from paas.runtime.port import Runtime
from paas.store.logbook import LogBook
from paas.store.port import Store


class AppLocks:
    """One deploy at a time per app (Deis's per-repo lock); different apps in parallel."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, app: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(app, threading.Lock())
        if not lock.acquire(blocking=False):
            raise Conflict(f"another deploy of {app} is in progress; try again when it ends")
        try:
            yield
        finally:
            lock.release()


class Deployer:
    def __init__(self, store: Store, builder: Builder, runtime: Runtime, locks: AppLocks,
                 logbook: LogBook | None = None, bounds: ReplicaBounds | None = None) -> None:
        self.bounds = bounds or ReplicaBounds()
        self.store = store
        self.builder = builder
        self.runtime = runtime
        self.locks = locks
        self.logbook = logbook

    def _kept(self, app: str, source: str, config: Mapping[str, str], log: LogSink
              ) -> LogSink:
        """``log`` that also keeps each line in the app's log book, config values masked."""
        book = self.logbook
        if book is None:
            return log

        def sink(line: str) -> None:
            log(line)
            book.append(app, source, redact(line.strip(), config))

        return sink

    def deploy_source(
        self, app_name: str, source: PushedCommit, commit: str, user: str, log: LogSink
    ) -> Release:
        """Build and roll out a push. It answers as soon as the new release serves (the
        push returns); the runtime removes the previous release's replicas after."""
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            previous = self.store.current_release(app_name)
            config = dict(previous.config) if previous else {}
            try:
                build = self.builder.build(app_name, source, commit,
                                           self._kept(app_name, BUILD, config, log))
            except PaasError as e:
                self._note(app_name, BUILD, e.message, config)
                raise
            return self._release(app, build, config, f"Deploy {commit[:7]}", user, log)

    def release(
        self,
        app_name: str,
        build: Build | None,
        config: Mapping[str, str],
        description: str,
        user: str,
        log: LogSink,
    ) -> Release:
        """A new release of existing parts (config change, rollback, add-on), rolled out.

        Takes the app's deploy lock like a push does, so the two never interleave. Unlike
        a push, it answers once the previous release's replicas are gone too: a script
        that runs ``paas config:set`` then ``paas ps`` sees exactly the new release.
        """
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            released = self._release(app, build, dict(config), description, user, log)
            self.runtime.settle(app_name)
            return released

    def release_from_current(
        self,
        app_name: str,
        change: Callable[[Release | None], tuple[Build | None, Mapping[str, str], str]],
        user: str,
        log: LogSink,
    ) -> Release:
        """A new release computed from the current one, read under the app's lock.

        ``change(current)`` returns (build, config, description); reading and releasing
        under one lock means two config changes can never lose one another.
        """
        with self.locks.hold(app_name):
            app = self.store.get_app(app_name)
            build, config, description = change(self.store.current_release(app_name))
            released = self._release(app, build, dict(config), description, user, log)
            self.runtime.settle(app_name)
            return released

    def _release(
        self,
        app: App,
        build: Build | None,
        config: dict[str, str],
        description: str,
        user: str,
        log: LogSink,
    ) -> Release:
        release = self.store.add_release(app.name, build, config, description, user)
        log = self._kept(app.name, RELEASE, config, log)
        if build is None:
            # Config set before the first push: nothing runs yet, the next push uses it.
            return self.store.set_release_status(app.name, release.version,
                                                 ReleaseStatus.SUCCEEDED)
        try:
            # A Procfile of hundreds of types would be hundreds of workloads: refused
            # before the release phase or any replica starts.
            check_process_types(len(build.processes), self.bounds)
            self.runtime.run_release_phase(app, release, log)
            self.runtime.deploy(app, release, app.formation, log)
        except PaasError as e:
            self.store.set_release_status(app.name, release.version, ReleaseStatus.FAILED)
            self._note(app.name, RELEASE, f"{release.label} failed: {e.message}", config)
            if isinstance(e, DeployFailed):
                raise
            raise DeployFailed(f"{release.label} failed: {e.message}") from e
        except BaseException:
            self.store.set_release_status(app.name, release.version, ReleaseStatus.FAILED)
            raise
        self._note(app.name, RELEASE, f"{release.label} released ({description})", config)
        return self.store.set_release_status(app.name, release.version, ReleaseStatus.SUCCEEDED)

    def _note(self, app: str, source: str, line: str, config: Mapping[str, str]) -> None:
        """A verdict for ``paas logs`` only; the pusher hears it from the receiver."""
        if self.logbook is not None:
            self.logbook.append(app, source, redact(line, config))
