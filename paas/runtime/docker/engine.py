"""The Docker engine behind one narrow port: the only module that calls the Docker SDK
for containers, networks, volumes and images.

The runtime, router and add-ons speak ``Engine`` in plain values (``Container``,
``Spec``), so they run against a small in-memory fake in unit tests, and SDK errors
become platform errors here, once, with the cause chained:

- ``ImageMissing``: the image is not on the engine (a stack image not built yet, or an
  app image pruned);
- ``EngineError``: anything else the engine refused or failed.

A container or object that is already gone is not an error for ``stop`` and ``remove``:
convergence and cleanup race with the engine's own restarts and with concurrent
scale-downs, and both want "it is not there" as the outcome.

``DockerEngine`` also carries the streaming calls (log follow, events, attach, stats)
that only the log, one-off and metrics adapters use; they are not on the port because
nothing converges through them.
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import tarfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Protocol, TypeVar

import docker
import docker.errors
import docker.types
import requests.exceptions
from docker.models.containers import Container as SdkContainer

from paas.errors import RuntimeUnavailable


class EngineError(RuntimeUnavailable):
    """The engine refused or failed an operation; the message says which and why."""


class ImageMissing(EngineError):
    """The image a container needs is not on the engine."""


@dataclass(frozen=True)
class Container:
    """A container as the engine last reported it."""

    id: str
    name: str
    labels: Mapping[str, str]
    #: The engine's state: created, running, restarting, exited, ...
    state: str
    started_at: datetime | None = None
    #: Names of the networks the container is attached to.
    networks: tuple[str, ...] = ()
    #: Exit code of the last run of its process (0 while it never exited).
    exit_code: int = 0
    #: Times the engine restarted it after an exit (its restart policy).
    restarts: int = 0
    #: Its address on each network it has one on (a running container).
    addresses: Mapping[str, str] = field(default_factory=dict)
    #: Host process id of its main process (0 when it does not run), as the engine's
    #: host numbers it.
    pid: int = 0

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class File:
    """A file put into a container before it starts (config with secrets, not in env)."""

    path: str
    content: bytes
    mode: int = 0o600


@dataclass(frozen=True)
class Confinement:
    """What a container may use and do. The default confines nothing (the platform's
    own router); app replicas, one-off runs, release phases and add-ons get theirs from
    ``paas.runtime.docker.confine``."""

    #: Memory limit in bytes, swap included (no swap on top of it); None: unlimited.
    memory: int | None = None
    #: Relative CPU weight (cgroup cpu.shares); None: the engine's default (1024).
    cpu_shares: int | None = None
    #: Hard cap in CPUs (CFS quota over a 100 ms period); None: no cap.
    cpu_quota: float | None = None
    #: Processes and threads at once; None: unlimited.
    pids: int | None = None
    #: ``no-new-privileges``: setuid binaries run without their owner's rights.
    no_new_privileges: bool = False
    #: Every Linux capability dropped (the process keeps only what its uid may do).
    drop_capabilities: bool = False
    #: Capabilities kept nevertheless (an add-on's entrypoint that hands its data
    #: directory to its own user and drops to it).
    add_capabilities: tuple[str, ...] = ()
    #: Read-only root filesystem, with a writable ``/tmp`` tmpfs of ``tmp_bytes``.
    read_only: bool = False
    tmp_bytes: int = 64 * 1024 * 1024
    #: The engine's log of the container's output, rotated: ``(bytes a file, files)``.
    #: None leaves the engine's default, which on Docker is one json-file without bound.
    log_files: tuple[int, int] | None = None


#: CFS period the quota is a fraction of (the kernel's default, 100 ms).
CPU_PERIOD_US = 100_000


def host_options(c: Confinement) -> dict[str, Any]:
    """``Confinement`` as docker-py host-config keywords; one mapping, used by every
    create (``containers.create`` and ``api.create_host_config`` take the same names)."""
    options: dict[str, Any] = {}
    if c.memory is not None:
        options.update(mem_limit=c.memory, memswap_limit=c.memory)
    if c.cpu_shares is not None:
        options["cpu_shares"] = c.cpu_shares
    if c.cpu_quota is not None:
        options.update(cpu_period=CPU_PERIOD_US, cpu_quota=int(c.cpu_quota * CPU_PERIOD_US))
    if c.pids is not None:
        options["pids_limit"] = c.pids
    if c.no_new_privileges:
        options["security_opt"] = ["no-new-privileges:true"]
    if c.drop_capabilities:
        options["cap_drop"] = ["ALL"]
    if c.add_capabilities:
        options["cap_add"] = list(c.add_capabilities)
    if c.read_only:
        options["read_only"] = True
        options["tmpfs"] = {"/tmp": f"rw,nosuid,nodev,size={c.tmp_bytes}"}  # noqa: S108
    if c.log_files is not None:
        size, count = c.log_files
        options["log_config"] = {"type": "json-file",
                                 "config": {"max-size": str(size), "max-file": str(count)}}
    return options


@dataclass(frozen=True)
class Spec:
    """Everything a container is created with. New settings (limits, security options,
    more networks) are fields here and one mapping in ``DockerEngine.create``."""

    image: str
    name: str
    labels: Mapping[str, str]
    network: str
    command: Sequence[str] | None = None
    hostname: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    #: An init process reaps zombies and forwards signals to a shell-wrapped command.
    init: bool = False
    #: Restarted by the engine after a crash or an engine restart (``unless-stopped``).
    restart: bool = False
    #: Host path or volume name -> (path in the container, "ro" or "rw").
    volumes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: Container port ("80/tcp") -> (host address, host port).
    ports: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    files: tuple[File, ...] = ()
    stop_signal: str | None = None
    confinement: Confinement = field(default_factory=Confinement)


class ByteSink(Protocol):
    """Where streamed output goes: an open binary file, or anything with ``write``."""

    def write(self, data: bytes, /) -> object: ...


#: Candidate subnets for a new network, in order, given the subnets already in use.
SubnetChooser = Callable[[list[str]], Iterable[str]]


class Engine(Protocol):
    """What the runtime, router and add-ons need from a container engine."""

    def ensure_network(self, name: str, labels: Mapping[str, str], *,
                       bridge: str | None = None,
                       subnets: SubnetChooser | None = None) -> bool:
        """Create the bridge network unless it exists; whether it was created.

        ``bridge`` names the host interface, so a host firewall rule can match the
        platform's app networks by a wildcard (``pa-+``). ``subnets`` gives the
        candidate subnets, in order, given those the engine's networks already use;
        without it the engine picks from its default pools.
        """
        ...

    def remove_network(self, name: str) -> None:
        """Remove the network; one already gone is fine."""
        ...

    def gateway(self, network: str) -> str | None:
        """The host's address on ``network``: the source of what the host sends there."""
        ...

    def connect(self, cid: str, network: str) -> None:
        """Attach a container to one more network; already attached is fine."""
        ...

    def disconnect(self, cid: str, network: str) -> None:
        """Detach a container from a network; not attached (or gone) is fine."""
        ...

    def run_host_helper(self, image: str, argv: Sequence[str],
                        labels: Mapping[str, str]) -> tuple[int, str]:
        """Run ``argv`` to its end in a container in the host's network namespace with
        NET_ADMIN (the platform's own firewall rule); exit code and output. The server
        may be an unprivileged member of the docker group: this is how it reaches the
        host's netfilter without root. The container is removed afterwards."""
        ...

    def ensure_volume(self, name: str, labels: Mapping[str, str]) -> None:
        """Create the named volume unless it exists (its data is kept)."""
        ...

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        """Every container (running or not) carrying all of ``labels``."""
        ...

    def listed(self, labels: Mapping[str, str]) -> list[Container]:
        """Every container carrying all of ``labels`` as the engine's list shows it:
        state, labels, networks and addresses, but no start time, exit code, restart
        count or pid. One engine call, where ``containers`` also inspects each one (the
        router's routes span every app's replicas, which may be hundreds)."""
        ...

    def inspect(self, cid: str) -> Container | None: ...
    def create(self, spec: Spec) -> Container:
        """Create (not start) a container with ``spec.files`` in place; all or nothing."""
        ...

    def start(self, cid: str) -> None: ...
    def stop(self, cid: str, timeout: float) -> None:
        """SIGTERM (the spec's stop signal), SIGKILL after ``timeout``; then remove."""
        ...

    def remove(self, cid: str) -> None:
        """Kill and remove; a container already gone is fine."""
        ...

    def ip(self, cid: str, network: str) -> str | None: ...
    def logs(self, cid: str, tail: int) -> str:
        """The last ``tail`` lines of output; empty when the container is gone."""
        ...

    def output(self, cid: str) -> Iterator[str]:
        """Output lines as they come, until the container exits."""
        ...

    def wait(self, cid: str) -> int:
        """Block until the container exits; its exit code."""
        ...

    def exec(self, cid: str, argv: Sequence[str],
             environment: Mapping[str, str] | None = None) -> tuple[int, str]:
        """Run ``argv`` inside the running container: exit code and output."""
        ...

    def processes(self, cid: str) -> list[tuple[str, str]]:
        """(host pid, command line) of each process in the container."""
        ...

    def remove_labelled(self, labels: Mapping[str, str]) -> None:
        """Remove the images and volumes carrying ``labels`` (best effort)."""
        ...

    def memory_total(self) -> int:
        """Bytes of memory of the engine's host (what every container shares)."""
        ...


T = TypeVar("T")


def _why(e: docker.errors.DockerException) -> str:
    if isinstance(e, docker.errors.APIError) and e.explanation:
        return str(e.explanation)
    return str(e)


def _translated(what: str, call: Callable[[], T]) -> T:
    """Run an SDK call; SDK errors leave as platform errors, the cause chained.

    While the engine stops or restarts, the SDK lets the transport's own errors through
    (``requests``' connection errors), so those are the engine's errors too: a loop that
    waits for the engine to come back must see one kind of failure."""
    try:
        return call()
    except docker.errors.ImageNotFound as e:
        raise ImageMissing(f"{what}: {_why(e)}") from e
    except docker.errors.DockerException as e:
        raise EngineError(f"{what}: {_why(e)}") from e
    except requests.exceptions.RequestException as e:
        raise EngineError(f"{what}: the engine does not answer ({type(e).__name__})") from e


def label_filters(labels: Mapping[str, str]) -> dict[str, list[str]]:
    """A ``filters=`` value selecting objects that carry all of ``labels``."""
    return {"label": [f"{k}={v}" for k, v in labels.items()]}


def _started_at(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw[:26] + "+00:00") if raw else None
    except ValueError:
        return None


def _addresses(networks: Mapping[str, Any]) -> dict[str, str]:
    """Network name -> the container's address there, from an inspect's or a list's
    ``NetworkSettings.Networks`` (one without an address left out)."""
    return {name: str(net["IPAddress"]) for name, net in networks.items()
            if (net or {}).get("IPAddress")}


def _value(c: SdkContainer) -> Container:
    state = c.attrs.get("State") or {}
    networks = (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return Container(
        id=str(c.id), name=c.name or "", labels=dict(c.labels), state=str(c.status),
        started_at=_started_at(state.get("StartedAt", "")),
        networks=tuple(sorted(networks)),
        exit_code=int(state.get("ExitCode") or 0),
        restarts=int(c.attrs.get("RestartCount") or 0),
        addresses=_addresses(networks),
        pid=int(state.get("Pid") or 0),
    )


def _listed_value(summary: Mapping[str, Any]) -> Container:
    """A container from the engine's list (``GET /containers/json``), not an inspect."""
    networks = (summary.get("NetworkSettings") or {}).get("Networks") or {}
    names = summary.get("Names") or []
    return Container(
        id=str(summary["Id"]), name=str(names[0]).lstrip("/") if names else "",
        labels=dict(summary.get("Labels") or {}), state=str(summary.get("State") or ""),
        networks=tuple(sorted(networks)),
        addresses=_addresses(networks),
    )


def _archive(name: str, data: bytes | None, mode: int) -> bytes:
    """A tar stream holding one file (or, when ``data`` is None, one directory)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.mode = mode
        if data is None:
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        else:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def connect(base_url: str | None = None) -> docker.DockerClient:
    """A client of the engine at ``base_url`` (DOCKER_HOST when None) that answered."""
    try:
        client = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(
            f"Docker engine unavailable ({e}); start dockerd or set DOCKER_HOST"
        ) from e
    return client


class DockerEngine:
    """``Engine`` on a Docker engine, through docker-py."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    # the port -------------------------------------------------------------------
    def ensure_network(self, name: str, labels: Mapping[str, str], *,
                       bridge: str | None = None,
                       subnets: SubnetChooser | None = None) -> bool:
        def used() -> list[str]:
            found = []
            for n in self.client.api.networks():
                for config in (n.get("IPAM") or {}).get("Config") or []:
                    if config.get("Subnet"):
                        found.append(str(config["Subnet"]))
            return found

        def ensure() -> bool:
            if any(n.name == name for n in self.client.networks.list(names=[name])):
                return False
            options = {"com.docker.network.bridge.name": bridge} if bridge else None
            if subnets is None:
                self.client.networks.create(name, driver="bridge", labels=dict(labels),
                                            options=options)
                return True
            # Another platform on the engine may take the same subnet between listing
            # and creating: the engine refuses the overlap, and the next one is tried.
            for attempt, subnet in enumerate(subnets(used())):
                ipam = docker.types.IPAMConfig(
                    pool_configs=[docker.types.IPAMPool(subnet=subnet)])
                try:
                    self.client.networks.create(name, driver="bridge", labels=dict(labels),
                                                options=options, ipam=ipam)
                    return True
                except docker.errors.APIError as e:
                    if "overlap" not in str(e).lower() or attempt >= 8:
                        raise
            raise EngineError(f"cannot create network {name}: the app network address "
                              "pool is full (PAAS_APP_NETWORK_POOL)")

        return _translated(f"cannot create network {name}", ensure)

    def remove_network(self, name: str) -> None:
        def remove() -> None:
            for n in self.client.networks.list(names=[name]):
                if n.name == name:  # names= matches prefixes too
                    with contextlib.suppress(docker.errors.NotFound):
                        n.remove()

        _translated(f"cannot remove network {name}", remove)

    def gateway(self, network: str) -> str | None:
        def find() -> str | None:
            try:
                attrs = self.client.api.inspect_network(network)
            except docker.errors.NotFound:
                return None
            for config in (attrs.get("IPAM") or {}).get("Config") or []:
                if config.get("Gateway"):
                    return str(config["Gateway"]).split("/")[0]
            return None

        return _translated(f"cannot inspect network {network}", find)

    def connect(self, cid: str, network: str) -> None:
        try:
            self.client.api.connect_container_to_network(cid, network)
        except docker.errors.APIError as e:
            if e.status_code == 403 and "already exists" in str(e.explanation):
                return
            raise EngineError(f"cannot connect {cid[:12]} to {network}: {_why(e)}") from e
        except docker.errors.DockerException as e:
            raise EngineError(f"cannot connect {cid[:12]} to {network}: {_why(e)}") from e

    def disconnect(self, cid: str, network: str) -> None:
        try:
            self.client.api.disconnect_container_from_network(cid, network)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as e:
            if "is not connected" in str(e.explanation):
                return
            raise EngineError(f"cannot disconnect {cid[:12]} from {network}: {_why(e)}") from e
        except docker.errors.DockerException as e:
            raise EngineError(f"cannot disconnect {cid[:12]} from {network}: {_why(e)}") from e

    def run_host_helper(self, image: str, argv: Sequence[str],
                        labels: Mapping[str, str]) -> tuple[int, str]:
        def create() -> SdkContainer:
            return self.client.containers.create(
                image, command=list(argv), labels=dict(labels), network_mode="host",
                cap_drop=["ALL"], cap_add=["NET_ADMIN", "NET_RAW"],
                security_opt=["no-new-privileges"])

        container = _translated(f"cannot create a helper from {image}", create)
        try:
            _translated("cannot start the helper", container.start)
            try:
                code = int(container.wait(timeout=60).get("StatusCode", 1))
            except (docker.errors.DockerException, OSError) as e:  # requests' timeouts
                raise EngineError(f"the helper from {image} did not finish: {e}") from e
            output = bytes(_translated("cannot read the helper's output",
                                       container.logs)).decode(errors="replace")
        finally:
            self.remove(str(container.id))
        return code, output

    def ensure_volume(self, name: str, labels: Mapping[str, str]) -> None:
        def ensure() -> None:
            try:
                self.client.volumes.get(name)
            except docker.errors.NotFound:
                self.client.volumes.create(name, labels=dict(labels))

        _translated(f"cannot create volume {name}", ensure)

    def _sdk_list(self, labels: Mapping[str, str], running_only: bool = False
                  ) -> list[SdkContainer]:
        # ignore_removed: a replica stopped by a concurrent scale-down vanishes between
        # the engine's list and docker-py's per-container inspect.
        return _translated("cannot list containers", lambda: list(self.client.containers.list(
            all=not running_only, filters=label_filters(labels), ignore_removed=True)))

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        return [_value(c) for c in self._sdk_list(labels)]

    def listed(self, labels: Mapping[str, str]) -> list[Container]:
        found = _translated("cannot list containers", lambda: self.client.api.containers(
            all=True, filters=label_filters(labels)))
        return [_listed_value(c) for c in found]

    def _get(self, cid: str) -> SdkContainer | None:
        try:
            return self.client.containers.get(cid)
        except docker.errors.NotFound:
            return None
        except docker.errors.DockerException as e:
            raise EngineError(f"cannot inspect container {cid[:12]}: {_why(e)}") from e
        except requests.exceptions.RequestException as e:
            raise EngineError(f"cannot inspect container {cid[:12]}: the engine does not "
                              f"answer ({type(e).__name__})") from e

    def inspect(self, cid: str) -> Container | None:
        found = self._get(cid)
        return _value(found) if found is not None else None

    def create(self, spec: Spec) -> Container:
        def create() -> SdkContainer:
            return self.client.containers.create(
                spec.image,
                command=list(spec.command) if spec.command is not None else None,
                name=spec.name,
                hostname=spec.hostname,
                init=spec.init or None,
                network=spec.network,
                environment=dict(spec.environment),
                labels=dict(spec.labels),
                volumes={src: {"bind": dst, "mode": mode}
                         for src, (dst, mode) in spec.volumes.items()},
                ports=dict(spec.ports),
                restart_policy={"Name": "unless-stopped"} if spec.restart else None,
                stop_signal=spec.stop_signal,
                **host_options(spec.confinement),
            )

        container = _translated(f"cannot create {spec.name}", create)
        try:
            for f in spec.files:
                self._put(container, f)
        except BaseException:
            self.remove(str(container.id))
            raise
        return _value(container)

    def _put(self, container: SdkContainer, f: File) -> None:
        path = PurePosixPath(f.path)
        # put_archive needs an existing directory: create the parents, one by one
        for parent in reversed(path.parents[:-1]):
            folder = _archive(parent.name, None, 0o755)
            _translated(f"cannot create {parent} in {container.name}",
                        partial(container.put_archive, str(parent.parent), folder))
        _translated(f"cannot write {path} in {container.name}", lambda: container.put_archive(
            str(path.parent), _archive(path.name, f.content, f.mode)))

    def start(self, cid: str) -> None:
        _translated(f"cannot start container {cid[:12]}",
                    lambda: self.client.api.start(cid))

    def stop(self, cid: str, timeout: float) -> None:
        try:
            self.client.api.stop(cid, timeout=int(timeout))
        except docker.errors.NotFound:
            return
        except docker.errors.DockerException as e:
            raise EngineError(f"cannot stop container {cid[:12]}: {_why(e)}") from e
        self.remove(cid)

    def remove(self, cid: str) -> None:
        try:
            self.client.api.remove_container(cid, force=True)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as e:
            if e.status_code == 409 and "already in progress" in str(e.explanation):
                return  # another remove of the same container won the race
            raise EngineError(f"cannot remove container {cid[:12]}: {_why(e)}") from e

    def ip(self, cid: str, network: str) -> str | None:
        found = self._get(cid)
        if found is None:
            return None
        nets = found.attrs.get("NetworkSettings", {}).get("Networks") or {}
        ip = (nets.get(network) or {}).get("IPAddress")
        return str(ip) if ip else None

    def logs(self, cid: str, tail: int) -> str:
        try:
            return bytes(self.client.api.logs(cid, tail=tail)).decode(errors="replace").rstrip()
        except docker.errors.DockerException:
            return ""  # only ever read to explain a failure: never the failure itself

    def output(self, cid: str) -> Iterator[str]:
        stream = _translated(f"cannot read the output of {cid[:12]}", lambda: self.client.api.logs(
            cid, stream=True, follow=True))
        for chunk in stream:
            yield from bytes(chunk).decode(errors="replace").splitlines()

    def wait(self, cid: str) -> int:
        result = _translated(f"cannot wait for {cid[:12]}", lambda: self.client.api.wait(cid))
        return int(result.get("StatusCode", 1))

    def exec(self, cid: str, argv: Sequence[str],
             environment: Mapping[str, str] | None = None) -> tuple[int, str]:
        def run() -> tuple[int, str]:
            container = self.client.containers.get(cid)
            result = container.exec_run(list(argv), environment=dict(environment or {}))
            return int(result.exit_code), bytes(result.output).decode(errors="replace")

        return _translated(f"cannot run {argv[0]} in {cid[:12]}", run)

    def processes(self, cid: str) -> list[tuple[str, str]]:
        top = _translated(f"cannot list processes of {cid[:12]}",
                          lambda: self.client.api.top(cid))
        titles = top.get("Titles", [])
        pid, cmd = titles.index("PID"), titles.index("CMD")
        return [(str(row[pid]), str(row[cmd])) for row in top.get("Processes") or []]

    def remove_labelled(self, labels: Mapping[str, str]) -> None:
        filters = label_filters(labels)
        with contextlib.suppress(docker.errors.DockerException):
            for img in children_first(self.client.images.list(all=True, filters=filters)):
                with contextlib.suppress(docker.errors.APIError):
                    self.client.images.remove(img.id, force=True)
        with contextlib.suppress(docker.errors.DockerException):
            for vol in self.client.volumes.list(filters=filters):
                with contextlib.suppress(docker.errors.APIError):
                    vol.remove(force=True)

    def memory_total(self) -> int:
        info = _translated("cannot read the engine's info", self.client.info)
        return int(info.get("MemTotal") or 0)

    # streams for logs, one-off commands and metrics ------------------------------
    def follow_output(self, cid: str, since: float) -> Iterator[bytes] | None:
        """Timestamped output from ``since`` on, as it comes; None when it cannot be read.

        The returned stream has ``close()``, which ends a blocked read from another thread.
        """
        try:
            stream: Iterator[bytes] = self.client.api.logs(
                cid, stream=True, follow=True, timestamps=True, since=since)
            return stream
        except docker.errors.DockerException:
            return None

    def recent_output(self, cid: str, tail: int) -> bytes:
        """The last ``tail`` timestamped lines; empty when the container is gone."""
        try:
            return bytes(self.client.api.logs(cid, timestamps=True, tail=tail))
        except docker.errors.DockerException:
            return b""

    def start_events(self, labels: Mapping[str, str], since: float) -> Any:
        """A stream of start events of containers with ``labels``; ``close()`` ends it."""
        return _translated("cannot follow engine events", lambda: self.client.events(
            decode=True, since=since,
            filters={"type": "container", "event": "start", **label_filters(labels)}))

    def stats(self, cid: str) -> dict[str, Any] | None:
        """One stats sample (with the previous one inside); None when unreadable."""
        try:
            return dict(self.client.api.stats(cid, stream=False))
        except docker.errors.DockerException:
            return None

    def running(self, labels: Mapping[str, str]) -> list[Container]:
        return [_value(c) for c in self._sdk_list(labels, running_only=True)]

    def create_attached(self, image: str, command: Sequence[str], name: str, hostname: str,
                        environment: Mapping[str, str], labels: Mapping[str, str],
                        network: str, tty: bool,
                        confinement: Confinement,
                        volumes: Mapping[str, tuple[str, str]] | None = None) -> str:
        """Create a container with stdin open and ``StdinOnce`` set: EOF on the attach
        stream then closes the command's stdin (``echo hi | paas run -- cat`` ends)."""
        api = self.client.api

        def create() -> str:
            created = api.create_container(
                image, command=list(command), name=name, hostname=hostname,
                environment=dict(environment), labels=dict(labels),
                stdin_open=True, detach=False, tty=tty,
                host_config=api.create_host_config(
                    init=True, **host_options(confinement),
                    **({"binds": {src: {"bind": dst, "mode": mode}
                                  for src, (dst, mode) in volumes.items()}}
                       if volumes else {})),
                networking_config=api.create_networking_config(
                    {network: api.create_endpoint_config()}),
            )
            return str(created["Id"])

        return _translated("cannot create the one-off container", create)

    def attach(self, cid: str) -> Any:
        """A socket attached to the container's stdin, stdout and stderr."""
        return _translated("cannot attach to the one-off container", lambda:
                           self.client.api.attach_socket(
                               cid, params={"stdin": 1, "stdout": 1, "stderr": 1,
                                            "stream": 1}))

    def resize(self, cid: str, rows: int, cols: int) -> None:
        with contextlib.suppress(docker.errors.DockerException):
            self.client.api.resize(cid, height=rows, width=cols)

    # commands inside a running container with their streams (add-on backups, consoles)
    def exec_stream(self, cid: str, argv: Sequence[str], environment: Mapping[str, str],
                    stdin: BinaryIO | None, stdout: ByteSink) -> tuple[int, str]:
        """Run ``argv`` in the container, ``stdin`` fed from a file and its stdout written
        to ``stdout`` in chunks, so a dump of gigabytes never sits in memory.

        The exit code and the end of its stderr (64 KiB at most) come back. The
        environment goes to the engine in the request body: never a command line.
        """
        api = self.client.api
        what = f"cannot run {argv[0]} in {cid[:12]}"
        exec_id = _translated(what, lambda: str(api.exec_create(
            cid, list(argv), stdin=stdin is not None, stdout=True, stderr=True,
            environment=dict(environment))["Id"]))
        conn = _translated(what, lambda: api.exec_start(exec_id, socket=True))
        sock: socket.socket = getattr(conn, "_sock", conn)
        sock.settimeout(None)  # a restore may print nothing for minutes while it works
        feeding: threading.Thread | None = None
        failed: list[BaseException] = []
        if stdin is not None:
            def feed() -> None:
                try:
                    while chunk := stdin.read(_CHUNK):
                        sock.sendall(chunk)
                except BaseException as e:  # reported after the read ends
                    failed.append(e)
                finally:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_WR)  # EOF on the command's stdin

            feeding = threading.Thread(target=feed, daemon=True, name=f"exec-in-{cid[:12]}")
            feeding.start()
        errors = bytearray()
        try:
            for stream, data in _frames(sock):
                if stream == 1:
                    stdout.write(data)
                else:
                    errors += data
                    del errors[:-_STDERR_KEPT]
        finally:
            if feeding is not None:
                feeding.join()
            with contextlib.suppress(OSError):
                conn.close()
        if failed:
            raise EngineError(f"{what}: its input failed: {failed[0]}") from failed[0]
        return self.exec_exit_code(exec_id), errors.decode(errors="replace")

    def exec_attached(self, cid: str, argv: Sequence[str], environment: Mapping[str, str],
                      tty: bool) -> tuple[str, Any]:
        """Start ``argv`` in the container with stdin open: its exec id and a socket
        carrying its stdin and output (raw with a terminal, framed without)."""
        api = self.client.api
        what = f"cannot run {argv[0]} in {cid[:12]}"
        exec_id = _translated(what, lambda: str(api.exec_create(
            cid, list(argv), stdin=True, stdout=True, stderr=True, tty=tty,
            environment=dict(environment))["Id"]))
        conn = _translated(what, lambda: api.exec_start(exec_id, socket=True, tty=tty))
        getattr(conn, "_sock", conn).settimeout(None)
        return exec_id, conn

    def exec_resize(self, exec_id: str, rows: int, cols: int) -> None:
        with contextlib.suppress(docker.errors.DockerException):
            self.client.api.exec_resize(exec_id, height=rows, width=cols)

    def exec_exit_code(self, exec_id: str, timeout: float = 10.0) -> int:
        """The exit code of an exec whose output ended (the engine notes it a moment
        later); 137 when it still runs after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            state = _translated("cannot inspect a command",
                                lambda: self.client.api.exec_inspect(exec_id))
            if not state.get("Running") and state.get("ExitCode") is not None:
                return int(state["ExitCode"])
            if time.monotonic() >= deadline:
                return 137
            time.sleep(0.05)


_CHUNK = 1024 * 1024
_STDERR_KEPT = 64 * 1024
#: The header of each frame of the engine's multiplexed output: stream, then size.
FRAME = struct.Struct(">BxxxL")


def read_exactly(sock: socket.socket, n: int) -> bytes | None:
    """``n`` bytes from the socket; None when it ends first."""
    parts, left = [], n
    while left:
        chunk = sock.recv(min(left, _CHUNK))
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _frames(sock: socket.socket) -> Iterator[tuple[int, bytes]]:
    """(stream, bytes) of the engine's multiplexed output until it ends."""
    while (header := read_exactly(sock, FRAME.size)) is not None:
        stream, size = FRAME.unpack(header)
        payload = read_exactly(sock, size) if size else b""
        if payload is None:
            return
        yield stream, payload


def children_first(images: list[docker.models.images.Image]) -> list[docker.models.images.Image]:
    """Images ordered so that none comes before an image built on it (an app image
    before its deps image): the engine refuses to remove an image with children."""
    return sorted(images, reverse=True, key=lambda i: (
        len((i.attrs.get("RootFS") or {}).get("Layers") or []), str(i.attrs.get("Created"))))
