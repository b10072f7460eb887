"""The Runtime on one Docker engine: replicas as containers, nginx as the router.

A deploy converges an app to (release, formation): it starts what is missing, routes web
traffic to new replicas only once they answer, and only then stops what is surplus. The
same convergence serves deploys, scaling, restarts and recovery after a platform restart.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

import docker
import docker.errors
from docker.models.containers import Container

from paas.domain.app import App
from paas.domain.formation import desired
from paas.domain.logs import LogLine
from paas.domain.release import Build, Release, StaticMount, WebProtocol
from paas.errors import DeployFailed, RuntimeUnavailable
from paas.logsink import LogSink
from paas.router.config import Route
from paas.runtime.docker import labels as L
from paas.runtime.docker import logs as replica_logs
from paas.runtime.docker import oneoff
from paas.runtime.docker.health import accepts_tcp, answers_http, wait_until
from paas.runtime.docker.router import Router
from paas.runtime.docker.static import StaticFiles
from paas.runtime.port import OneOff, ProcessInfo
from paas.settings import Settings

LOG_TAIL = 60


@dataclass(frozen=True)
class _Live:
    """What the router should send to an app: its hosts and the release now serving."""

    hosts: tuple[str, ...]
    release: int
    #: Ids of the web containers nginx sends to. Named, not counted: on a scale-down the
    #: replicas about to stop must leave the upstream before they get their SIGTERM.
    members: frozenset[str]
    port: int
    protocol: WebProtocol
    static: tuple[tuple[StaticMount, str], ...]


def connect(base_url: str | None = None) -> docker.DockerClient:
    try:
        client = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(
            f"Docker engine unavailable ({e}); start dockerd or set DOCKER_HOST"
        ) from e
    return client


def _tail(container: Container, lines: int = LOG_TAIL) -> str:
    try:
        return bytes(container.logs(tail=lines)).decode(errors="replace").rstrip()
    except docker.errors.DockerException:
        return ""


def _started_at(container: Container) -> datetime | None:
    raw = container.attrs.get("State", {}).get("StartedAt", "")
    try:
        return datetime.fromisoformat(raw[:26] + "+00:00") if raw else None
    except ValueError:
        return None


class DockerRuntime:
    def __init__(self, client: docker.DockerClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.instance = settings.instance
        self.network = L.network_name(self.instance)
        self.router = Router(client, settings, self.network)
        self.static = StaticFiles(client, self.router.static_dir)
        self._live: dict[str, _Live] = {}
        self._router_lock = threading.Lock()

    # infrastructure -----------------------------------------------------------------
    def ensure_network(self) -> None:
        found = self.client.networks.list(names=[self.network])
        if not any(n.name == self.network for n in found):
            self.client.networks.create(
                self.network, driver="bridge", labels={L.INSTANCE: self.instance}
            )

    def _containers(self, app: str | None = None, role: str = L.ROLE_APP) -> list[Container]:
        labels = {L.ROLE: role, **({L.APP: app} if app else {})}
        # ignore_removed: a replica stopped by a concurrent scale-down vanishes between
        # the engine's list and docker-py's per-container inspect.
        return list(self.client.containers.list(
            all=True, filters=L.filters(self.instance, **labels), ignore_removed=True))

    def _ip(self, container: Container) -> str:
        container.reload()
        nets = container.attrs["NetworkSettings"]["Networks"]
        return str(nets[self.network]["IPAddress"])

    def _env(self, app: App, release: Release, process_type: str) -> dict[str, str]:
        assert release.build is not None
        return {
            **dict(release.config),
            "PORT": str(release.build.port),
            "PAAS_APP": app.name,
            "PAAS_RELEASE": release.label,
            "PAAS_PROCESS_TYPE": process_type,
        }

    def _start(self, app: App, release: Release, process_type: str) -> Container:
        build = release.build
        assert build is not None
        suffix = secrets.token_hex(3)
        try:
            return self.client.containers.run(
                build.image,
                command=["/bin/sh", "-c", build.processes[process_type]],
                name=L.replica_name(self.instance, app.name, process_type, release.version,
                                    suffix),
                hostname=f"{process_type}-{suffix}",
                detach=True,
                init=True,
                network=self.network,
                environment=self._env(app, release, process_type),
                labels={
                    L.INSTANCE: self.instance,
                    L.ROLE: L.ROLE_APP,
                    L.APP: app.name,
                    L.PROCESS: process_type,
                    L.RELEASE: str(release.version),
                },
                restart_policy={"Name": "unless-stopped"},
                stop_signal="SIGTERM",
            )
        except docker.errors.APIError as e:
            raise DeployFailed(f"cannot start {process_type}: {e.explanation or e}") from e

    def _start_many(self, app: App, release: Release, process_type: str, count: int
                    ) -> list[Container]:
        """Start ``count`` replicas at once: the engine's create and start calls take a
        few hundred milliseconds each, and a scale to N should not wait N times that.
        All or none: when one fails the others are removed again."""
        if count <= 0:
            return []
        with ThreadPoolExecutor(max_workers=min(8, count)) as pool:
            futures = [pool.submit(self._start, app, release, process_type)
                       for _ in range(count)]
        started = [f.result() for f in futures if f.exception() is None]
        errors = [e for f in futures if (e := f.exception()) is not None]
        if errors:
            self._stop(started)
            raise errors[0]
        return started

    def _stop(self, containers: Iterable[Container]) -> None:
        """SIGTERM, then SIGKILL after the stop timeout; in parallel, then remove."""

        def stop(c: Container) -> None:
            try:
                c.stop(timeout=self.settings.stop_timeout)
                c.remove(force=True)
            except docker.errors.NotFound:
                pass

        items = list(containers)
        if items:
            with ThreadPoolExecutor(max_workers=min(8, len(items))) as pool:
                list(pool.map(stop, items))

    # routing ------------------------------------------------------------------------
    def _routes(self) -> list[Route]:
        web = [c for c in self._containers() if c.labels.get(L.PROCESS) == "web"]
        routes = []
        for app, live in self._live.items():
            serving = [
                c for c in web
                if c.labels.get(L.APP) == app and c.id in live.members and c.status == "running"
            ]
            upstreams = tuple(sorted(f"{self._ip(c)}:{live.port}" for c in serving))
            routes.append(Route(app, live.hosts, upstreams, live.protocol, live.static))
        return routes

    def _apply_routes(self) -> None:
        with self._router_lock:
            self.router.apply(self._routes())

    def _set_live(
        self, app: App, build: Build, release: Release, members: Iterable[Container],
        static: tuple[tuple[StaticMount, str], ...] = (),
    ) -> None:
        self._live[app.name] = _Live(
            hosts=app.hostnames(self.settings.domain),
            release=release.version,
            members=frozenset(str(c.id) for c in members),
            port=build.port,
            protocol=build.web_protocol,
            static=static,
        )

    # the Runtime port ---------------------------------------------------------------
    def deploy(
        self,
        app: App,
        release: Release,
        formation: Mapping[str, int],
        log: LogSink,
        *,
        fresh: frozenset[str] = frozenset(),
    ) -> None:
        """Converge; process types in ``fresh`` get all-new replicas (a rolling restart)."""
        build = release.build
        if build is None:
            raise DeployFailed(f"{release.label} of {app.name} has no build to run")
        self.ensure_network()
        want = desired(formation, build.processes)
        existing = self._containers(app.name)
        keep: list[Container] = []
        started: list[Container] = []
        web: list[Container] = []
        try:
            # web first: if it fails, nothing else of the running release was touched
            for ptype in sorted(want, key=lambda p: (p != "web", p)):
                count = want[ptype]
                same = [
                    c for c in existing
                    if c.labels.get(L.PROCESS) == ptype
                    and c.labels.get(L.RELEASE) == str(release.version)
                    and c.status == "running"
                    and ptype not in fresh
                ][:count]
                if ptype != "web":
                    # Old and new workers never overlap: a task is never run by both
                    # releases, and a singleton like beat never runs twice.
                    self._stop(
                        c for c in existing
                        if c.labels.get(L.PROCESS) == ptype and c not in same
                    )
                new = self._start_many(app, release, ptype, count - len(same))
                started += new
                keep += same + new
                if new:
                    log(f"-----> Starting {len(new)} {ptype} replica(s) of {release.label}")
                if ptype == "web":
                    web = same + new
                    if new:
                        self._wait_healthy(new, build)
            if "web" in want:
                static = self.static.publish(app.name, release.version, build, log)
                self._set_live(app, build, release, web, static)
            else:
                self._live.pop(app.name, None)
            self._apply_routes()
        except DeployFailed:
            self._stop(started)
            raise
        self.static.prune(app.name, keep=release.version if "web" in want else None)
        surplus = [c for c in existing if c.id not in {k.id for k in keep}]
        if surplus:
            log(f"-----> Stopping {len(surplus)} replica(s) no longer needed")
        self._stop(surplus)

    def _wait_healthy(self, containers: list[Container], build: Build) -> None:
        timeout = self.settings.health_timeout
        check = accepts_tcp if build.web_protocol is WebProtocol.UWSGI else answers_http

        def one(c: Container) -> None:
            ip = self._ip(c)

            def running() -> bool:
                c.reload()
                return c.status in ("running", "created")

            why = wait_until(lambda: check(ip, build.port), running, timeout)
            if why is not None:
                what = "exited" if why == "exited" else f"did not answer within {timeout:.0f}s"
                raise DeployFailed(
                    f"web process {what}; the previous release keeps serving", log=_tail(c)
                )

        with ThreadPoolExecutor(max_workers=min(8, len(containers))) as pool:
            for f in [pool.submit(one, c) for c in containers]:
                f.result()

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        build = release.build
        if build is None or not build.release_command:
            return
        self.ensure_network()
        log(f"-----> Running release phase: {build.release_command}")
        container = self.client.containers.run(
            build.image,
            command=["/bin/sh", "-c", build.release_command],
            name=L.replica_name(self.instance, app.name, "release", release.version,
                                secrets.token_hex(3)),
            detach=True,
            init=True,
            network=self.network,
            environment=self._env(app, release, "release"),
            labels={L.INSTANCE: self.instance, L.ROLE: L.ROLE_RUN, L.APP: app.name,
                    L.PROCESS: "release", L.RELEASE: str(release.version)},
        )
        try:
            for chunk in container.logs(stream=True, follow=True):
                for line in bytes(chunk).decode(errors="replace").splitlines():
                    log("       " + line)
            code = int(container.wait().get("StatusCode", 1))
        finally:
            container.remove(force=True)
        if code != 0:
            raise DeployFailed(f"release phase failed with exit code {code}")

    def processes(self, app: str) -> list[ProcessInfo]:
        out = []
        for c in self._containers(app):
            out.append(
                ProcessInfo(
                    process_type=c.labels.get(L.PROCESS, "?"),
                    name=c.name or "",
                    release=int(c.labels.get(L.RELEASE, "0")),
                    state=c.status,
                    started_at=_started_at(c),
                )
            )
        return sorted(out, key=lambda p: (p.process_type, p.name))

    def destroy(self, app: str) -> None:
        self._live.pop(app, None)
        self._apply_routes()
        self.static.prune(app, keep=None)
        mine = L.filters(self.instance, **{L.APP: app})
        # Every role labelled with the app: replicas, one-off runs, add-ons.
        self._stop(self.client.containers.list(all=True, filters=mine))
        for img in self.client.images.list(all=True, filters=mine):
            with contextlib.suppress(docker.errors.APIError):
                self.client.images.remove(img.id, force=True)
        for vol in self.client.volumes.list(filters=mine):
            with contextlib.suppress(docker.errors.APIError):
                vol.remove(force=True)

    def update_routes(self, app: App) -> None:
        live = self._live.get(app.name)
        if live is None:
            return
        self._live[app.name] = replace(live, hosts=app.hostnames(self.settings.domain))
        try:
            self._apply_routes()
        except DeployFailed:
            # nginx refused the new config and kept the old one: keep our view in line.
            self._live[app.name] = live
            raise

    def reconcile(self, apps: list[tuple[App, Release | None]]) -> None:
        self.ensure_network()
        known = {a.name for a, _ in apps}
        strays = [c for c in self._containers() if c.labels.get(L.APP) not in known]
        self._stop(strays + self._containers(role=L.ROLE_RUN))
        for app, release in apps:
            if release is None:
                self._stop(self._containers(app.name))
                continue
            # On failure keep what runs; the next reconcile or deploy tries again.
            with contextlib.suppress(DeployFailed):
                self.deploy(app, release, app.formation, lambda _line: None)
        self._apply_routes()

    # logs and one-off commands (paas/runtime/docker/logs.py, oneoff.py) -------------
    def logs(self, app: str, process_type: str | None = None, lines: int = 100) -> list[str]:
        found = replica_logs.history(self.client, self.instance, app, process_type, lines)
        return [line.render() for line in found]

    def follow_logs(self, app: str, process_type: str | None, since: float,
                    sink: Callable[[LogLine], None], stop: threading.Event) -> None:
        replica_logs.follow(self.client, self.instance, app, process_type, since, sink, stop)

    def start_oneoff(self, app: App, release: Release, command: Sequence[str], tty: bool,
                     rows: int, cols: int) -> OneOff:
        if release.build is None:
            raise DeployFailed(f"{release.label} of {app.name} has no build to run")
        self.ensure_network()
        return oneoff.start(
            self.client,
            image=release.build.image,
            command=command,
            environment=self._env(app, release, "run"),
            labels={L.INSTANCE: self.instance, L.APP: app.name,
                    L.RELEASE: str(release.version)},
            network=self.network,
            name_prefix=L.replica_name(self.instance, app.name, "run", release.version, "")
            .rstrip("-"),
            tty=tty, rows=rows, cols=cols,
        )

    # restarts (issue 4) ----------------------------------------------------------------
    def restart(
        self,
        app: App,
        release: Release,
        formation: Mapping[str, int],
        types: Iterable[str],
        log: LogSink,
    ) -> None:
        """Replace every replica of ``types``: web rolls (new ones healthy and routed
        before the old ones leave nginx and stop), other types stop before they start."""
        self.deploy(app, release, formation, log, fresh=frozenset(types))
