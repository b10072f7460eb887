"""The Runtime on one Docker engine: replicas as containers, nginx as the router.

A deploy converges an app to (release, formation). ``plan.converge`` decides what to
keep, start, stop and route, in which order; this module executes that plan against the
``Engine`` port. The same convergence serves deploys, scaling, restarts and recovery
after a platform restart.

Every container of an app joins that app's network only (``networks``); the router
reaches replicas by their address there, from the host's network namespace (or, bridged,
after joining the network of each app it routes to).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from paas.domain.app import App
from paas.domain.formation import desired
from paas.domain.health import Answer, HealthCheck, explain, listening_ports, with_config
from paas.domain.logs import LogLine
from paas.domain.release import Build, Release, StaticMount, WebProtocol, data_dir_problem
from paas.domain.sizes import Size, size_of
from paas.errors import DeployFailed, InvalidInput, PaasError, RuntimeUnavailable
from paas.logsink import LogSink
from paas.router.config import Route as RouterRoute
from paas.runtime.docker import confine, oneoff
from paas.runtime.docker import labels as L
from paas.runtime.docker import logs as replica_logs
from paas.runtime.docker.engine import Container, DockerEngine, Engine, EngineError, Spec
from paas.runtime.docker.engine import connect as connect
from paas.runtime.docker.health import accepts_tcp, answers_http, wait_until
from paas.runtime.docker.networks import AppNetworks
from paas.runtime.docker.plan import (
    AwaitHealthy,
    Plan,
    Replica,
    Route,
    Start,
    Stop,
    Unroute,
    converge,
)
from paas.runtime.docker.router import Router, TlsSource
from paas.runtime.docker.static import StaticFiles
from paas.runtime.port import OneOff, ProcessInfo
from paas.settings import Settings

if TYPE_CHECKING:
    import docker

_log = logging.getLogger(__name__)

LOG_TAIL = 60
#: Replicas started (and health-checked) at once: a scale to N never queues more work
#: than this, whatever N is.
START_BATCH = 8

#: Seconds before the engine's event stream is opened again after it ended.
RESTART_WATCH_RETRY = 1.0

T = TypeVar("T")


#: Waits until no router worker of an earlier config can still send a request (they
#: finish the ones in flight first); raises DeployFailed when that takes too long.
Drain = Callable[[], None]


def _drained() -> None:
    """Nothing to wait for: the router was not reloaded."""


class Routing(Protocol):
    """The router: sends each app's hosts to its upstreams; ``apply`` returns once the
    new routes serve, and what it returns waits for the router's workers of earlier
    configs, which may still send elsewhere. ``networks`` are the app networks the
    upstreams are on: the router is on exactly those afterwards."""

    def apply(self, routes: list[RouterRoute], networks: Collection[str]) -> Drain: ...


class StaticPublishing(Protocol):
    """Static folders of a release, exported for the router to serve."""

    def publish(self, app: str, release: int, build: Build, log: LogSink
                ) -> tuple[tuple[StaticMount, str], ...]: ...
    def prune(self, app: str, keep: int | None) -> None: ...


#: What a web replica at (ip, port) answers to the check, by the release's protocol.
HealthProbe = Callable[[str, int, WebProtocol, HealthCheck], Answer]

#: Files that list a container's TCP sockets; read through an exec, from inside its
#: network namespace, to tell "listens on a hard-coded port" from "never started".
PROC_NET_TCP = ("cat", "/proc/net/tcp", "/proc/net/tcp6")


def answers(ip: str, port: int, protocol: WebProtocol, check: HealthCheck) -> Answer:
    """uWSGI speaks its own protocol: for it an accepted TCP connection counts."""
    if protocol is WebProtocol.UWSGI:
        return accepts_tcp(ip, port)
    return answers_http(ip, port, check.path)


def last_line(log: str) -> str:
    """The last non-blank line of a log, as ``paas ps`` and the push quote it."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def dyno_numbers(taken: Collection[int], count: int) -> list[int]:
    """The ``count`` lowest replica numbers (from 1) not in ``taken``: Heroku's ``DYNO``
    is ``web.1``, ``web.2``, ... and a replaced replica takes the freed number again."""
    out: list[int] = []
    n = 1
    while len(out) < count:
        if n not in taken:
            out.append(n)
        n += 1
    return out


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


def _replica(c: Container, network: str) -> Replica:
    """A replica off its app's network (started before apps had their own) counts as
    not running: the plan replaces it like a crashed one, routed before it stops."""
    return Replica(c.id, c.labels.get(L.PROCESS, "?"), int(c.labels.get(L.RELEASE, "0")),
                   c.running and network in c.networks)


def _bounded(items: Sequence[T], fn: Callable[[T], object], limit: int = START_BATCH
             ) -> list[BaseException]:
    """Run ``fn`` over ``items``, at most ``limit`` at a time, never more queued; the
    errors raised (every item is tried)."""
    errors: list[BaseException] = []
    for i in range(0, len(items), limit):
        chunk = items[i:i + limit]
        with ThreadPoolExecutor(max_workers=len(chunk)) as pool:
            futures = [pool.submit(fn, item) for item in chunk]
        errors += [e for f in futures if (e := f.exception()) is not None]
    return errors


class DockerRuntime:
    """The Runtime port on one Docker engine.

    Built from a docker client by the composition root; unit tests pass ``engine``,
    ``router``, ``static`` and ``probe`` instead (and no client).
    """

    def __init__(
        self,
        client: docker.DockerClient | None,
        settings: Settings,
        *,
        engine: Engine | None = None,
        router: Routing | None = None,
        static: StaticPublishing | None = None,
        probe: HealthProbe = answers,
        max_parallel: int = START_BATCH,
        tls: TlsSource | None = None,
        crash_watch: float | None = None,
    ) -> None:
        self.settings = settings
        self.instance = settings.instance
        self.network = L.network_name(self.instance)
        #: The streaming side (logs, one-off attach), only on a real engine.
        self.streams = DockerEngine(client) if client is not None else None
        found = engine or self.streams
        if found is None:
            raise ValueError("DockerRuntime needs a docker client or an engine")
        self.engine: Engine = found
        self.networks = AppNetworks(self.engine, settings)
        real_router = Router(self.engine, settings, self.network, tls)
        self.router: Routing = router or real_router
        if static is None:
            if client is None:
                raise ValueError("DockerRuntime without a client needs static")
            static = StaticFiles(client, real_router.static_dir)
        self.static: StaticPublishing = static
        self.probe = probe
        self.max_parallel = max_parallel
        #: Seconds the replicas a rollout started are watched for a crash loop, from
        #: their start: workers before the rollout answers, web after it (see deploy).
        self.crash_watch = settings.crash_watch if crash_watch is None else crash_watch
        #: Per app: set once the replicas a rollout left to stop ``later`` are gone.
        self._stopped: dict[str, threading.Event] = {}
        self._stopped_lock = threading.Lock()
        self._live: dict[str, _Live] = {}
        self._router_lock = threading.Lock()
        #: The routes the router was last given: a replica the engine restarted may come
        #: back with another address on its network, and only then is a reload due.
        self._applied: list[RouterRoute] | None = None

    # infrastructure -----------------------------------------------------------------
    def ensure_network(self) -> None:
        """The platform network, where the router alone publishes its port."""
        self.engine.ensure_network(self.network, {L.INSTANCE: self.instance})

    def _containers(self, app: str | None = None, role: str = L.ROLE_APP) -> list[Container]:
        labels = {L.ROLE: role, **({L.APP: app} if app else {})}
        return self.engine.containers(L.selector(self.instance, **labels))

    def _env(self, app: App, release: Release, process_type: str, number: int = 1
             ) -> dict[str, str]:
        """The config, then what the platform sets: ``DYNO`` as Heroku sets it
        (``web.1``), which Heroku-targeted settings check to pick production."""
        assert release.build is not None
        return {
            **dict(release.config),
            "PORT": str(release.build.port),
            "DYNO": f"{process_type}.{number}",
            "PAAS_APP": app.name,
            "PAAS_RELEASE": release.label,
            "PAAS_PROCESS_TYPE": process_type,
            # The router writes the access lines (paas logs shows them as "router"),
            # so the app's server need not: see paas.router.config.ACCESS_LOG.
            "PAAS_ACCESS_LOG": "router",
        }

    def _spec(self, app: App, release: Release, process_type: str, role: str,
              command: str, number: int = 1) -> Spec:
        """A replica, or a release phase (``process_type`` release: it runs at the web
        size, like one-off runs), confined to its size; ``number`` is its ``DYNO``'s."""
        build = release.build
        assert build is not None
        suffix = secrets.token_hex(3)
        return Spec(
            image=build.image,
            command=("/bin/sh", "-c", command),
            name=L.replica_name(self.instance, app.name, process_type, release.version,
                                suffix),
            hostname=f"{process_type}-{suffix}",
            init=True,
            network=self.networks.name(app.name),
            environment=self._env(app, release, process_type, number),
            labels={
                L.INSTANCE: self.instance,
                L.ROLE: role,
                L.APP: app.name,
                L.PROCESS: process_type,
                L.RELEASE: str(release.version),
                L.NUMBER: str(number),
            },
            restart=role == L.ROLE_APP,
            stop_signal="SIGTERM",
            volumes=self._data_volumes(app.name, build),
            confinement=confine.for_app(self._size(app, process_type), app.limits,
                                        writes_app_dir=build.writable_root),
        )

    def _data_volumes(self, app: str, build: Build) -> dict[str, tuple[str, str]]:
        """The app's data folders on its volumes, made on first use and kept across
        releases: the release phase, every replica and one-off runs mount the same ones,
        so a SQLite file ``init-db`` wrote is the one the web replicas read."""
        for path in build.data_dirs:
            problem = data_dir_problem(path)
            if problem:
                raise DeployFailed(problem)
        volumes = L.data_volumes(self.instance, app, build.data_dirs)
        for name in volumes:
            try:
                self.engine.ensure_volume(name, L.selector(
                    self.instance, **{L.APP: app, L.ROLE: L.ROLE_DATA}))
            except EngineError as e:
                raise DeployFailed(e.message) from e
        return volumes

    @staticmethod
    def _size(app: App, process_type: str) -> Size:
        """One-off runs and the release phase get the web size: a Django shell or a
        migration needs what the app's web process needs."""
        return size_of(app.sizes, "web" if process_type in ("run", "release") else
                       process_type)

    def _start(self, app: App, release: Release, process_type: str, number: int
               ) -> Container:
        assert release.build is not None
        spec = self._spec(app, release, process_type, L.ROLE_APP,
                          release.build.processes[process_type], number)
        try:
            container = self.engine.create(spec)
            try:
                self.engine.start(container.id)
            except EngineError:
                self.engine.remove(container.id)
                raise
        except EngineError as e:
            raise DeployFailed(f"cannot start {process_type}: {e.message}") from e
        return container

    def _start_batch(self, app: App, release: Release, process_type: str, count: int,
                     started: list[Container], present: Sequence[Container],
                     leaving: Collection[str] = ()) -> list[Container]:
        """Start ``count`` replicas at once (a batch of the plan, so ``count`` is
        bounded): the engine's create and start calls take a few hundred milliseconds
        each, and a scale to N should not wait N times that. Each one that started is
        added to ``started`` before the first error is raised, so it can be removed.

        Each gets the lowest ``DYNO`` number no replica of its type and release that
        stays (not in ``leaving``) holds: of those ``present`` when the convergence
        began, and those it ``started``."""
        batch: list[Container] = []
        taken = {int(c.labels.get(L.NUMBER, "0") or 0) for c in [*present, *started]
                 if c.labels.get(L.PROCESS) == process_type and c.id not in leaving
                 and c.labels.get(L.RELEASE) == str(release.version)}

        def one(number: int) -> None:
            batch.append(self._start(app, release, process_type, number))

        errors = _bounded(dyno_numbers(taken, count), one, self.max_parallel)
        started.extend(batch)
        if errors:
            raise errors[0]
        return batch

    def _stop(self, ids: Iterable[str]) -> None:
        """SIGTERM, then SIGKILL after the stop timeout; in parallel, then remove."""
        errors = _bounded(list(ids), lambda cid: self.engine.stop(
            cid, self.settings.stop_timeout))
        if errors:
            raise errors[0]

    # routing ------------------------------------------------------------------------
    def _routes(self) -> list[RouterRoute]:
        web = [c for c in self.engine.listed(L.selector(self.instance, **{
                   L.ROLE: L.ROLE_APP, L.PROCESS: "web"})) if c.running]
        routes = []
        for app, live in self._live.items():
            network = self.networks.name(app)
            ips = [c.addresses.get(network)
                   for c in web if c.labels.get(L.APP) == app and c.id in live.members]
            upstreams = tuple(sorted(f"{ip}:{live.port}" for ip in ips if ip))
            routes.append(RouterRoute(app, live.hosts, upstreams, live.protocol, live.static))
        return routes

    def _apply_routes(self, only_if_changed: bool = False) -> Drain:
        """Switch the router to the routes of ``_live``; call what it returns before
        stopping a replica the router sent to before."""
        with self._router_lock:
            routes = self._routes()
            if only_if_changed and routes == self._applied:
                return _drained
            self._applied = None  # unknown until the router confirms
            drain = self.router.apply(routes, sorted(self.networks.name(r.app)
                                                     for r in routes if r.upstreams))
            self._applied = routes
            return drain

    def follow_restarts(self, stop: threading.Event) -> None:
        """Keep the routes right when the engine restarts a crashed web replica.

        The restart policy brings the same container back, but Docker gives it the
        first free address of its network, which another container may have taken in
        the meantime (seen on 20.10: an add-on or one-off started while it was down).
        nginx sends to addresses, so every start of a web replica of this platform is
        checked against the routes last applied, and a changed address reloads the
        router. A lost event stream is opened again and followed by one check, so a
        start in between is not missed. Runs until ``stop`` is set.
        """
        if self.streams is None:
            return
        selector = L.selector(self.instance, **{L.ROLE: L.ROLE_APP, L.PROCESS: "web"})
        current: list[Any] = []

        def close_at_stop() -> None:
            stop.wait()
            for stream in current:
                with contextlib.suppress(Exception):
                    stream.close()

        threading.Thread(target=close_at_stop, daemon=True, name="routes-restarts").start()
        while not stop.is_set():
            try:
                current[:] = [self.streams.start_events(selector, time.time())]
            except EngineError:
                stop.wait(RESTART_WATCH_RETRY)
                continue
            if stop.is_set():  # set while opening: the closer may have run already
                break
            self._refresh_routes()
            with contextlib.suppress(Exception):  # close() ends the stream with an error
                for event in current[0]:
                    # a replica no route names (a new one still being checked, another
                    # app's) cannot make the applied routes wrong: no engine calls
                    actor = event.get("Actor") or {}
                    if self._routed(str(event.get("id") or actor.get("ID") or "")):
                        self._refresh_routes()
            stop.wait(RESTART_WATCH_RETRY)

    def _routed(self, cid: str) -> bool:
        return any(cid in live.members for live in self._live.values())

    def _refresh_routes(self) -> None:
        """Reload the router if a routed replica's address changed; a failure waits
        for the next start or deploy (the router keeps its last good config)."""
        if not self._live:
            return
        with contextlib.suppress(PaasError):
            self._apply_routes(only_if_changed=True)

    def _set_live(
        self, app: App, build: Build, release: Release, members: Iterable[str],
        static: tuple[tuple[StaticMount, str], ...] = (),
    ) -> None:
        self._live[app.name] = _Live(
            hosts=app.hostnames(self.settings.domain),
            release=release.version,
            members=frozenset(members),
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
        self.settle(app.name)
        self.ensure_network()
        network = self.networks.ensure(app.name)
        present = self._containers(app.name)
        current = [_replica(c, network) for c in present]
        plan = converge(current, release.version, desired(formation, build.processes),
                        fresh=fresh, max_parallel=self.max_parallel)
        started: dict[str, float] = {}
        containers, later, drain = self._execute(plan, app, release, build, log, started,
                                                 present)
        workers = [c for c in containers if c.labels.get(L.PROCESS) != "web"]
        web = [c for c in containers if c.labels.get(L.PROCESS) == "web"]
        # Workers have nothing to answer, so an exit is the only sign of a bad release:
        # the push waits for their watch (from their start, so it overlaps the rest of
        # the rollout) and names the ones that crash-loop.
        self._report_crashes(workers, log, min((started[c.id] for c in workers),
                                               default=0.0))
        if later or web:
            self._after_answer(app.name, later, web, log, drain)

    def settle(self, app: str) -> None:
        self.settled(app)

    def settled(self, app: str, timeout: float | None = None) -> bool:
        """Wait until the replicas an earlier rollout of ``app`` left to stop after it
        answered are gone; whether they are. Every convergence of the app does this
        first, so it never plans around a replica that is about to go."""
        with self._stopped_lock:
            stopped = self._stopped.get(app)
        return stopped is None or stopped.wait(timeout)

    def _after_answer(self, app: str, later: Sequence[str], web: list[Container],
                      log: LogSink, drain: Drain = _drained) -> None:
        """After the rollout answered: stop the replicas the router no longer sends to
        (the predecessors of a new release) once ``drain`` says no router worker can
        send to them any more (when it cannot say so, they stay for the next
        convergence), then watch the new web replicas for ``crash_watch`` seconds. A
        web replica that crash-loops right after the switch still serves nothing, so it
        is named in the app's log (``paas logs``: the log sink keeps every line) and in
        ``paas ps``; the predecessors are gone either way, as they were when the push
        waited for them."""
        stopped = threading.Event()
        with self._stopped_lock:
            self._stopped[app] = stopped

        def work() -> None:
            try:
                if later:
                    drain()
                    self._stop(later)
            except Exception as e:  # the next convergence stops what is left
                _log.warning("stopping replicas of earlier releases of %s: %s", app, e)
            finally:
                stopped.set()
            try:
                # nobody waits for it: look less often, and leave the engine to others
                self._report_crashes(web, log, time.monotonic(), every=0.5)
            except Exception as e:
                _log.warning("watching the new web replicas of %s: %s", app, e)

        threading.Thread(target=work, name=f"after-rollout-{app}", daemon=True).start()

    def _execute(self, plan: Plan, app: App, release: Release, build: Build,
                 log: LogSink, started_at: dict[str, float], present: Sequence[Container]
                 ) -> tuple[list[Container], tuple[str, ...], Drain]:
        """Run the plan's steps in order (``present``: the app's containers it was made
        from); the replicas it started (``started_at``: when, by id), those it left to
        stop after the rollout answered, and the wait for the router's old workers that
        must come before they stop. Until the route switched, any failure removes what
        the plan started and leaves the rest as it was; after it, the new release
        serves, and a failure only leaves surplus replicas for the next convergence."""
        started: list[Container] = []
        batch: list[Container] = []
        later: list[str] = []
        switched = False
        drain: Drain = _drained
        leaving = frozenset(plan.stopped())
        try:
            for step in plan.steps:
                if isinstance(step, Start):
                    log(f"-----> Starting {step.count} {step.process_type} replica(s) "
                        f"of {release.label}")
                    batch = self._start_batch(app, release, step.process_type, step.count,
                                              started, present, leaving)
                    started_at.update((c.id, time.monotonic()) for c in batch)
                elif isinstance(step, AwaitHealthy):
                    self._wait_healthy(batch, app, release, build)
                elif isinstance(step, Stop) and step.later and switched:
                    log(f"-----> {release.label} serves; {len(step.ids)} {step.why} "
                        "stop in the background")
                    later += step.ids
                elif isinstance(step, Stop):
                    if switched:
                        log(f"-----> Stopping {len(step.ids)} {step.why}")
                        drain()  # the router's old workers may still send to them
                    self._stop(step.ids)
                elif isinstance(step, Route):
                    static = self.static.publish(app.name, release.version, build, log)
                    web = [c.id for c in started if c.labels.get(L.PROCESS) == "web"]
                    self._set_live(app, build, release, [*step.keep, *web], static)
                    drain = self._apply_routes()
                    switched = True
                    self.static.prune(app.name, keep=release.version)
                elif isinstance(step, Unroute):
                    self._live.pop(app.name, None)
                    drain = self._apply_routes()
                    switched = True
                    self.static.prune(app.name, keep=None)
        except PaasError as e:
            if switched:
                raise
            self._stop(c.id for c in started)
            if isinstance(e, EngineError):
                raise DeployFailed(f"cannot deploy {release.label}: {e.message}") from e
            raise
        return started, tuple(later), drain

    def _check(self, release: Release, build: Build) -> HealthCheck:
        """The build's check with the config's overrides (``paas healthcheck:set``)."""
        try:
            return with_config(build.health, release.config)
        except InvalidInput as e:
            raise DeployFailed(f"bad health check: {e.message}") from e

    def _listening(self, cid: str) -> frozenset[int] | None:
        """The TCP ports the container listens on; None when it cannot be told (the
        container is gone, or has no ``cat``)."""
        try:
            _code, out = self.engine.exec(cid, PROC_NET_TCP)
        except EngineError:
            return None
        found = listening_ports(out)
        return found if found or "sl" in out else None

    def _wait_healthy(self, containers: list[Container], app: App, release: Release,
                      build: Build) -> None:
        check = self._check(release, build)
        timeout = check.timeout or self.settings.health_timeout
        live = self._live.get(app.name)
        serving = f"v{live.release}" if live is not None else None

        def one(c: Container) -> None:
            ip = self.engine.ip(c.id, self.networks.name(app.name)) or ""
            last: list[Answer] = []
            ended: list[Container] = []

            def running() -> bool:
                # restarted by the engine between two polls: it exited all the same
                now = self.engine.inspect(c.id)
                up = now is not None and now.state in ("running", "created") \
                    and now.restarts == 0
                if now is not None and not up:
                    ended.append(now)
                return up

            def passes() -> bool:
                if not ip:
                    return False
                answer = self.probe(ip, build.port, build.web_protocol, check)
                last[:] = [answer]
                return answer.passes(check)

            why = wait_until(passes, running, timeout)
            if why is None:
                return
            exited = ended[-1].exit_code if why == "exited" and ended else None
            answer = last[-1] if last else None
            listening = None
            if exited is None and (answer is None or answer.status is None):
                listening = self._listening(c.id)
            log = self.engine.logs(c.id, LOG_TAIL)
            raise DeployFailed(
                explain(check, build.port, timeout, exit_code=exited, answer=answer,
                        listening=listening, log=log, serving=serving),
                log=log,
            )

        errors = _bounded(containers, one, self.max_parallel)
        if errors:
            raise errors[0]

    def _report_crashes(self, started: list[Container], log: LogSink, since: float,
                        every: float = 0.1) -> None:
        """Watch replicas a rollout started until ``crash_watch`` seconds after
        ``since`` (their start) and say which ones exited, with their code and last log
        line: the engine restarts them forever, and without this a release that
        crash-loops succeeds in silence. One that is gone (replaced) is not watched.
        ``every``: seconds between two looks (an engine call per replica each time)."""
        if not started or self.crash_watch <= 0:
            return
        deadline = since + self.crash_watch
        # Seen between two runs (exited or restarting): the engine keeps the exit code
        # only until the next start, so a replica seen running again after a restart is
        # kept apart, and reported without a code if it is never caught down.
        crashed: dict[str, Container] = {}
        restarted: dict[str, Container] = {}
        gone: set[str] = set()
        while True:
            for c in started:
                if c.id in crashed or c.id in gone:
                    continue
                now = self.engine.inspect(c.id)
                if now is None:
                    crashed.pop(c.id, None)
                    restarted.pop(c.id, None)
                    gone.add(c.id)
                    continue
                if now.state not in ("running", "created"):
                    crashed[c.id] = now
                elif now.restarts > 0:
                    restarted[c.id] = now
            if len(crashed) + len(gone) >= len(started) or time.monotonic() >= deadline:
                break
            time.sleep(every)
        for cid, c in restarted.items():
            crashed.setdefault(cid, c)
        for c in sorted(crashed.values(), key=lambda c: c.name):
            ptype = c.labels.get(L.PROCESS, "?")
            line = last_line(self.engine.logs(c.id, LOG_TAIL))
            how = (f"exited with code {c.exit_code}" if not c.running
                   else f"restarted {c.restarts} time(s)")
            log(f" !     {ptype}.{c.labels.get(L.NUMBER, '?')} is crash-looping: {how}"
                + (f": {line}" if line else "") + f" (see `paas logs -p {ptype}`)")

    def run_release_phase(self, app: App, release: Release, log: LogSink) -> None:
        build = release.build
        if build is None or not build.release_command:
            return
        self.networks.ensure(app.name)
        log(f"-----> Running release phase: {build.release_command}")
        spec = self._spec(app, release, "release", L.ROLE_RUN, build.release_command)
        try:
            container = self.engine.create(replace(spec, hostname=None, stop_signal=None))
        except EngineError as e:
            raise DeployFailed(f"cannot run the release phase: {e.message}") from e
        try:
            self.engine.start(container.id)
            for line in self.engine.output(container.id):
                log("       " + line)
            code = self.engine.wait(container.id)
        except EngineError as e:
            raise DeployFailed(f"cannot run the release phase: {e.message}") from e
        finally:
            self.engine.remove(container.id)
        if code != 0:
            raise DeployFailed(f"release phase failed with exit code {code}")

    def processes(self, app: str) -> list[ProcessInfo]:
        """Every replica; one that exited (and is restarting, or stopped) carries its
        exit code and last log line, so ``paas ps`` says why it is not running. Right
        after a push it waits (a moment: nothing routes to them) for the previous
        release's replicas to be gone, so it lists what stays."""
        self.settled(app, timeout=self.settings.stop_timeout + 5)
        out = []
        for c in self._containers(app):
            # The engine keeps the exit code only while the replica is down (a crash loop
            # shows as restarting); once it runs again the code is gone.
            down = c.state not in ("running", "created")
            out.append(ProcessInfo(
                process_type=c.labels.get(L.PROCESS, "?"),
                name=c.name,
                release=int(c.labels.get(L.RELEASE, "0")),
                state=c.state,
                started_at=c.started_at,
                exit_code=c.exit_code if down else None,
                last_log=self._last_log(c.id) if down else None,
            ))
        return sorted(out, key=lambda p: (p.process_type, p.name))

    def _last_log(self, cid: str) -> str | None:
        try:
            return last_line(self.engine.logs(cid, LOG_TAIL)) or None
        except EngineError:
            return None

    def destroy(self, app: str) -> None:
        self.settle(app)
        self._live.pop(app, None)
        drain = self._apply_routes()
        self.static.prune(app, keep=None)
        drain()
        mine = L.selector(self.instance, **{L.APP: app})
        # Every role labelled with the app: replicas, one-off runs, add-ons.
        self._stop(c.id for c in self.engine.containers(mine))
        self.engine.remove_labelled(mine)
        # Last: the router left it above, and every container on it is gone.
        self.networks.remove(app)

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
        self._stop(c.id for c in strays + self._containers(role=L.ROLE_RUN))
        gone = {c.labels[L.APP] for c in strays if L.APP in c.labels}
        for app, release in apps:
            if release is None:
                self._stop(c.id for c in self._containers(app.name))
                continue
            # On failure keep what runs; the next reconcile or deploy tries again.
            with contextlib.suppress(DeployFailed):
                self.deploy(app, release, app.formation, lambda _line: None)
        self._apply_routes()
        for name in sorted(gone):  # after the router left them
            with contextlib.suppress(EngineError):
                self.networks.remove(name)

    # logs and one-off commands (paas/runtime/docker/logs.py, oneoff.py) -------------
    def _streams(self) -> DockerEngine:
        if self.streams is None:
            raise RuntimeUnavailable("logs and one-off commands need a Docker engine")
        return self.streams

    def logs(self, app: str, process_type: str | None = None, lines: int = 100) -> list[str]:
        found = replica_logs.history(self._streams(), self.instance, app, process_type, lines)
        return [line.render() for line in found]

    def follow_logs(self, app: str, process_type: str | None, since: float,
                    sink: Callable[[LogLine], None], stop: threading.Event) -> None:
        replica_logs.follow(self._streams(), self.instance, app, process_type, since, sink,
                            stop)

    def start_oneoff(self, app: App, release: Release, command: Sequence[str], tty: bool,
                     rows: int, cols: int) -> OneOff:
        if release.build is None:
            raise DeployFailed(f"{release.label} of {app.name} has no build to run")
        network = self.networks.ensure(app.name)
        return oneoff.start(
            self._streams(),
            image=release.build.image,
            command=command,
            # Heroku numbers one-off dynos at random: run.4821
            environment=self._env(app, release, "run", 1000 + secrets.randbelow(9000)),
            labels={L.INSTANCE: self.instance, L.APP: app.name,
                    L.RELEASE: str(release.version)},
            network=network,
            name_prefix=L.replica_name(self.instance, app.name, "run", release.version, "")
            .rstrip("-"),
            tty=tty, rows=rows, cols=cols,
            volumes=self._data_volumes(app.name, release.build),
            confinement=confine.for_app(self._size(app, "run"), app.limits,
                                        writes_app_dir=release.build.writable_root),
        )

    def oneoffs(self, app: str) -> int:
        return sum(1 for c in self._containers(app, role=L.ROLE_RUN)
                   if c.state in ("running", "created", "restarting"))

    # restarts ---------------------------------------------------------------------
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
