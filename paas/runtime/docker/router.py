"""The router container: a real nginx whose config the platform writes and reloads.

By default (``router_network`` host) it runs in the host's network namespace, like a
host nginx: it listens on the router address and ports itself and sends to each replica
at its address on the app's network, which the host reaches as the gateway of every app
bridge. No docker-proxy process and no veth pair sit between clients and nginx, and the
router joins no app network, so apps stay as apart as before. Its control endpoint
answers only sources on the host itself (127.0.0.1, the router's own address): an app
container's packets come from its app network's address.

With ``router_network`` bridge it sits on the platform network (its published port) and
joins the network of every app it routes to; its control endpoint then answers only the
host's address on the platform network, which no app container can send from.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from paas.errors import DeployFailed, RuntimeUnavailable
from paas.router.config import CONTROL_HOST, LISTEN_PORT, Route, listen_on, render_config
from paas.router.tls import DOCKER_DNS, HTTPS_LISTEN_PORT, Https, TlsSite, host_resolver
from paas.runtime.docker import hostprocs
from paas.runtime.docker import labels as L
from paas.runtime.docker.confine import for_router
from paas.runtime.docker.engine import Container, Engine, EngineError, ImageMissing, Spec
from paas.settings import Settings

CONF_DIR = "/etc/paas-router"
STATIC_DIR = "/srv/static"
#: The FIFO in the config folder through which the platform asks for a reload.
RELOAD_FIFO = "reload"
#: The router's command: a reader of the reload FIFO that sends nginx (then PID 1)
#: SIGHUP for each line, started before the shell becomes nginx. A reload through it
#: is one write from the host; an ``nginx -s reload`` exec took 0.1 to 0.4 s of engine
#: calls on a 2-core host, and a SIGHUP through the engine's kill API is no choice
#: (Docker 20.10 then stops restarting the container: ``_reload``). A read that ends
#: without a line (the reader opened again before the last writer closed) just opens
#: again, which waits for the next writer; with no FIFO there, it looks once a second
#: instead of spinning. nginx, PID 1, stays the container's main process, so its exit
#: still ends the container and the engine's stop signal still goes to it.
ROUTER_COMMAND = (
    "sh", "-c",
    'while :; do if [ ! -p "$1" ]; then sleep 1; '
    'elif read -r _ < "$1"; then kill -HUP 1; fi; done & '
    'exec nginx -c "$2" -g "daemon off;"',
    "paas-router", f"{CONF_DIR}/{RELOAD_FIFO}", f"{CONF_DIR}/nginx.conf",
)
#: Names the router's command in its labels: a router made by an earlier version of
#: the platform (another command) is replaced, as one listening elsewhere is.
ROUTER_SPEC = hashlib.sha256("\0".join(ROUTER_COMMAND).encode()).hexdigest()[:12]

#: The apps' TLS sites, read at every reload (certificates change without a deploy).
TlsSource = Callable[[], Mapping[str, TlsSite]]
#: Docker's name for the host's network namespace.
HOST_NETWORK = "host"
#: Seconds a host-network router has to answer after its start (nginx fails at once
#: when its address is taken).
START_TIMEOUT = 15.0
RESOLV_CONF = Path("/etc/resolv.conf")
#: An error line of nginx (``2026/01/02 03:04:05 [emerg] 1#1: what``, or
#: ``nginx: [emerg] what``).
_NGINX_ERROR = re.compile(r"\[(?:emerg|alert|crit)\](?: \d+#\d+:)? (?P<what>.+)")
#: Seconds a reload has to show its generation before ``nginx -t`` is asked why not:
#: a config nginx refuses never shows, and a reload takes some tens of milliseconds.
RELOAD_CHECK_AFTER = 1.0
#: Seconds between two reads of the generation endpoint (nginx answers it itself).
GENERATION_POLL = 0.01
#: Seconds between two looks (an engine ``top`` each) for the old workers.
DRAIN_POLL = 0.05


def refusal_reason(output: str) -> str:
    """What ``nginx -t`` says is wrong, in one line: its error without the log line's
    time and process (the "test failed" verdict after it says nothing more)."""
    for line in output.splitlines():
        found = _NGINX_ERROR.search(line)
        if found:
            return found.group("what").strip()
    return next((line.strip() for line in output.splitlines() if line.strip()),
                "no reason given")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    Path(tmp).chmod(0o644)
    Path(tmp).replace(path)


class Router:
    """The nginx container in front of every app; the runtime hands it the routes."""

    def __init__(self, engine: Engine, settings: Settings, network: str,
                 tls: TlsSource | None = None) -> None:
        self.engine = engine
        self.tls = tls
        self.settings = settings
        self.network = network
        self.name = L.router_name(settings.instance)
        self.conf_path = settings.router_dir / "nginx.conf"
        self.fifo_path = settings.router_dir / RELOAD_FIFO
        self.static_dir = settings.home / "static"

    @property
    def _probe_host(self) -> str:
        host = self.settings.public_router_host
        return "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104

    def _find(self) -> Container | None:
        found = self.engine.containers(L.selector(self.settings.instance,
                                                  **{L.ROLE: L.ROLE_ROUTER}))
        return found[0] if found else None

    def _https(self) -> Https | None:
        port = self.settings.router_https_port
        if port is None:
            return None
        sites = self.tls() if self.tls is not None else {}
        if not self.on_host:
            return Https(port, sites)
        try:
            resolver = host_resolver(RESOLV_CONF.read_text()) or DOCKER_DNS
        except OSError:
            resolver = DOCKER_DNS
        return Https(port, sites,
                     listen=listen_on(self.settings.public_router_host, port),
                     resolver=resolver)

    @property
    def on_host(self) -> bool:
        return self.settings.router_on_host

    def _listen(self) -> str:
        """The plain listener in the config: the container's port, or the router
        address and port on the host."""
        if self.on_host:
            return listen_on(self.settings.public_router_host, self.settings.router_port)
        return str(LISTEN_PORT)

    def ensure(self, routes: list[Route]) -> Container:
        """Start the router when absent or configured differently; keeps a healthy one."""
        host = self.settings.public_router_host
        port_label = f"{host}:{self.settings.router_port}"
        ports = {f"{LISTEN_PORT}/tcp": (host, self.settings.router_port)}
        if self.settings.router_https_port is not None:
            port_label += f",{host}:{self.settings.router_https_port}"
            ports[f"{HTTPS_LISTEN_PORT}/tcp"] = (host, self.settings.router_https_port)
        if self.on_host:
            port_label = f"{HOST_NETWORK}/{port_label}"
            ports = {}
        current = self._find()
        try:
            if current is not None and current.labels.get(L.ROUTER_PORT) == port_label \
                    and current.labels.get(L.ROUTER_SPEC) == ROUTER_SPEC:
                if not current.running:
                    self.engine.start(current.id)
                return current
            if current is not None:
                self.engine.remove(current.id)
            if not self._config_fits():
                write_atomic(self.conf_path, render_config(
                    routes, time.time_ns(), control_from=self._control_sources(),
                    https=self._https(), listen=self._listen()))
            self.static_dir.mkdir(parents=True, exist_ok=True)
            self._make_fifo()
            container = self.engine.create(Spec(
                image=self.settings.stack.router,
                command=ROUTER_COMMAND,
                name=self.name,
                network=HOST_NETWORK if self.on_host else self.network,
                ports=ports,
                volumes={
                    str(self.settings.router_dir): (CONF_DIR, "ro"),
                    str(self.static_dir): (STATIC_DIR, "ro"),
                },
                labels={
                    L.INSTANCE: self.settings.instance,
                    L.ROLE: L.ROLE_ROUTER,
                    L.ROUTER_PORT: port_label,
                    L.ROUTER_SPEC: ROUTER_SPEC,
                },
                restart=True,
                confinement=for_router(on_host=self.on_host),
            ))
            try:
                self.engine.start(container.id)
                if self.on_host:
                    self._await_listening(container)
            except (EngineError, RuntimeUnavailable):
                self.engine.remove(container.id)
                raise
        except ImageMissing as e:
            raise RuntimeUnavailable(
                f"router image {self.settings.stack.router} is missing: run `paas stack build`"
            ) from e
        except EngineError as e:
            raise RuntimeUnavailable(f"cannot start the router: {e.message}") from e
        return self.engine.inspect(container.id) or container

    def _make_fifo(self) -> None:
        """The reload FIFO, made anew when something else holds its name. Only the
        platform's user may write it (the router's root reads it with DAC_OVERRIDE)."""
        try:
            if stat.S_ISFIFO(self.fifo_path.lstat().st_mode):
                return
            self.fifo_path.unlink()
        except FileNotFoundError:
            pass
        self.fifo_path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(self.fifo_path, 0o600)

    def _config_fits(self) -> bool:
        """Whether the config on disk listens where this router should: a router
        recreated for the same listeners keeps its routes until the platform rewrites
        them; one written for another address or network mode would take wrong ports."""
        try:
            text = self.conf_path.read_text()
        except OSError:
            return False
        https = self._https()
        wanted = [f"listen {self._listen()} default_server;"]
        if https is not None:
            wanted.append(f"listen {https.listen} ssl http2 default_server;")
        return all(w in text for w in wanted)

    def _await_listening(self, container: Container) -> None:
        """A published port is refused by the engine when taken; nginx on the host
        finds out itself and exits (then restarts forever): wait for its answer, and
        say why when it never comes."""
        deadline = time.monotonic() + START_TIMEOUT
        while self.generation() is None:
            now = self.engine.inspect(container.id)
            if now is None or now.restarts > 0 or now.state not in ("running", "created") \
                    or time.monotonic() > deadline:
                log = self.engine.logs(container.id, 5).strip().splitlines()
                why = log[-1] if log else "it did not answer"
                raise RuntimeUnavailable(
                    f"the router cannot serve on {self._listen()}: {why}")
            time.sleep(0.05)

    def _worker_pids(self, container: Container, accepting: bool = False) -> set[str]:
        """Host PIDs of nginx worker processes; with ``accepting``, only those that did
        not get their QUIT yet: nginx renames a worker "worker process is shutting down"
        as it closes its listeners. Read from this host's ``/proc`` when the router's
        main process shows there as its nginx master (a few file reads), else from the
        engine's ``top`` (no ps needed in the image, 50 to 80 ms a call)."""
        listed = self._host_children(container)
        if listed is None:
            listed = self.engine.processes(container.id)
        return {pid for pid, cmd in listed
                if "worker process" in cmd
                and not (accepting and "shutting down" in cmd)}

    @staticmethod
    def _host_children(container: Container) -> list[tuple[str, str]] | None:
        if container.pid <= 0:
            return None
        master = hostprocs.command_line(container.pid)
        if master is None or not master.startswith("nginx: master process") \
                or f"{CONF_DIR}/nginx.conf" not in master:
            return None
        return hostprocs.children(container.pid)

    def _control_sources(self) -> tuple[str, ...]:
        """Who may read the control endpoint: the host, as it appears on the platform
        network (the published port's proxy and NAT both send from that address); on
        the host's network, the host's own addresses the platform connects from."""
        if self.on_host:
            return tuple(sorted({"127.0.0.1", self._probe_host}))
        gateway = self.engine.gateway(self.network)
        if gateway is None:
            raise RuntimeUnavailable(f"network {self.network} has no gateway address")
        return (gateway,)

    def join(self, container: Container, networks: Collection[str]) -> list[str]:
        """Attach the router to each of ``networks`` it is not on; the app networks it
        is on but should leave (left by ``leave`` once nginx stopped using them).
        On the host's network it joins none: the host reaches every app bridge."""
        if self.on_host:
            return []
        now = self.engine.inspect(container.id) or container
        for network in sorted(set(networks) - set(now.networks)):
            self.engine.connect(container.id, network)
        return sorted(set(now.networks) - set(networks) - {self.network})

    def leave(self, container: Container, networks: Collection[str]) -> None:
        for network in networks:
            self.engine.disconnect(container.id, network)

    def apply(self, routes: list[Route], networks: Collection[str] = (),
              timeout: float = 30.0) -> Callable[[], None]:
        """Join ``networks`` (where the upstreams are), write the config, reload nginx
        and return once every new request gets the new config: its generation answers
        and no worker of the previous config accepts connections any more. The app
        networks it no longer needs are left once those workers exited.

        What it returns waits until every worker of an earlier config exited: only then
        may a replica the new config no longer names stop. A reload starts new workers,
        and the master tells the old ones to quit only after that (nginx waits 100 ms
        between the two); until then they accept connections, then they close their
        listeners (and call themselves "worker process is shutting down") and finish
        their in-flight requests, which may take long. So a rollout answers once the new
        config has every new request, and waits for the old workers' exit only before it
        stops its predecessors.
        """
        container = self.ensure(routes)
        stale = self.join(container, networks)
        old_workers = self._worker_pids(container) if container.running else set()
        generation = time.time_ns()
        previous = self.conf_path.read_text() if self.conf_path.exists() else None
        write_atomic(self.conf_path, render_config(routes, generation,
                                                   control_from=self._control_sources(),
                                                   https=self._https(),
                                                   listen=self._listen()))
        deadline = time.monotonic() + timeout
        self._reload(container, generation, previous, deadline)
        while old_workers & self._worker_pids(container, accepting=True):
            if time.monotonic() > deadline:
                raise DeployFailed("router did not load its new config in time")
            time.sleep(GENERATION_POLL)

        def drained() -> None:
            deadline = time.monotonic() + timeout
            while old_workers & self._worker_pids(container):
                if time.monotonic() > deadline:
                    raise DeployFailed("the router's workers of the previous config did "
                                       "not finish their requests in time")
                time.sleep(DRAIN_POLL)

        if stale:
            drained()
            self.leave(container, stale)
        return drained

    def _reload(self, container: Container, generation: int, previous: str | None,
                deadline: float) -> None:
        """Have nginx load the config on disk (the one of ``generation``).

        A running nginx is reloaded without ``nginx -t`` first: a master that cannot
        load the new config logs why and keeps serving the old one. Its generation not
        showing soon is the sign of that; ``nginx -t`` then gives the reason, and the
        previous config goes back on disk (and is loaded again, should the master have
        taken the new one after all). A config that passes but did not show was a
        request that went astray (the FIFO's reader between two reads, or an nginx
        that had no handler yet): it is asked once more with ``nginx -s reload`` in the
        container. An nginx that does not answer yet (just started) is checked first.
        Never a SIGHUP through the engine's kill API: Docker 20.10 marks a container it
        sent any signal to as stopped by hand, and then no longer restarts it when it
        exits or when the engine restarts (the router stayed down after an engine
        restart)."""
        fresh = self.generation() is None
        if fresh:
            refused = self._refused(container, previous)
            if refused is not None:
                raise DeployFailed(refused)
        self._signal_reload(container)
        if self._await_generation(generation,
                                  min(deadline, time.monotonic() + RELOAD_CHECK_AFTER)):
            return
        if not fresh:
            refused = self._refused(container, previous)
            if refused is not None:
                with contextlib.suppress(EngineError):
                    self._signal_reload(container)
                raise DeployFailed(refused)
        self._exec_reload(container)
        if not self._await_generation(generation, deadline):
            raise DeployFailed("router did not load its new config in time")

    def _signal_reload(self, container: Container) -> None:
        """Through the router's reload FIFO when its reader waits there, else by exec."""
        if not self._write_fifo():
            self._exec_reload(container)

    def _write_fifo(self) -> bool:
        """Whether a reload request went to a reader of the FIFO. A non-blocking open
        fails at once when nobody reads (a router made before the FIFO, or its reader
        busy); anything but a FIFO under that name is left alone."""
        try:
            fd = os.open(self.fifo_path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            return False
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                return False
            os.write(fd, b"reload\n")
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    def _exec_reload(self, container: Container) -> None:
        self.engine.exec(container.id, ["nginx", "-s", "reload", "-c",
                                        f"{CONF_DIR}/nginx.conf"])

    def _refused(self, container: Container, previous: str | None) -> str | None:
        """Why ``nginx -t`` refuses the config on disk, with the previous config back
        on disk; None when it passes."""
        code, output = self.engine.exec(
            container.id, ["nginx", "-t", "-q", "-c", f"{CONF_DIR}/nginx.conf"])
        if code == 0:
            return None
        if previous is not None:
            write_atomic(self.conf_path, previous)
        return "router config rejected by nginx: " + refusal_reason(output)

    def _await_generation(self, generation: int, deadline: float) -> bool:
        while self.generation() != generation:
            if time.monotonic() > deadline:
                return False
            time.sleep(GENERATION_POLL)
        return True

    def generation(self) -> int | None:
        conn = http.client.HTTPConnection(self._probe_host, self.settings.router_port, timeout=2)
        try:
            conn.request("GET", "/__paas/generation", headers={"Host": CONTROL_HOST})
            resp = conn.getresponse()
            body = resp.read().decode().strip()
            return int(body) if resp.status == 200 and body.isdigit() else None
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def remove(self) -> None:
        c = self._find()
        if c is not None:
            self.engine.remove(c.id)
