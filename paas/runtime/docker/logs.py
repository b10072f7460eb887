"""Replicas' output from the Docker engine: recent lines merged in time order, and a live
follow that picks up replicas started while it runs.

The engine keeps each container's stdout and stderr with a timestamp per line
(``docker logs --timestamps``); nothing is copied, so ``paas logs`` costs nothing while
nobody reads it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from paas.domain.logs import LogLine, merge_last, replica_line, replica_source, wanted
from paas.runtime.docker import labels as L

Sink = Callable[[LogLine], None]


def _source(container: Container) -> str:
    return replica_source(container.labels.get(L.PROCESS, "?"), container.name or "")


def _replicas(client: docker.DockerClient, instance: str, app: str,
              process_type: str | None) -> list[Container]:
    found = client.containers.list(
        all=True, filters=L.filters(instance, **{L.ROLE: L.ROLE_APP, L.APP: app}))
    return [c for c in found if wanted(c.labels.get(L.PROCESS, "?"), process_type)]


def _lines(raw: bytes, source: str) -> list[LogLine]:
    return [replica_line(t, source)
            for t in raw.decode(errors="replace").splitlines() if t]


def history(client: docker.DockerClient, instance: str, app: str,
            process_type: str | None, lines: int) -> list[LogLine]:
    """The newest ``lines`` lines over every replica of ``app`` (of ``process_type``)."""
    per_replica = []
    for c in _replicas(client, instance, app, process_type):
        with contextlib.suppress(docker.errors.NotFound):
            per_replica.append(_lines(bytes(c.logs(timestamps=True, tail=lines)), _source(c)))
    return merge_last(per_replica, lines)


class _Follower:
    """One log stream per replica; a watcher of start events adds streams for new ones."""

    def __init__(self, client: docker.DockerClient, instance: str, app: str,
                 process_type: str | None, sink: Sink) -> None:
        self.client = client
        self.instance = instance
        self.app = app
        self.process_type = process_type
        self.sink = sink
        self._lock = threading.Lock()
        self._streams: dict[str, Any] = {}
        self._closed = False

    def pump(self, container: Container, since: float) -> None:
        """Follow ``container`` from ``since`` (epoch seconds) in a thread of its own."""
        with self._lock:
            if self._closed or container.id in self._streams:
                return
            try:
                stream = container.logs(stream=True, follow=True, timestamps=True,
                                        since=since)
            except docker.errors.APIError:
                return
            self._streams[str(container.id)] = stream
        threading.Thread(target=self._drain, args=(container, stream), daemon=True,
                         name=f"logs-{container.name}").start()

    def _drain(self, container: Container, stream: Any) -> None:
        source = _source(container)
        pending = b""
        # A stream closed by close() or a container removed mid-read just ends.
        try:
            with contextlib.suppress(Exception):
                for chunk in stream:
                    pending += bytes(chunk)
                    *complete, pending = pending.split(b"\n")
                    for raw in complete:
                        if raw:
                            self.sink(replica_line(raw.decode(errors="replace"), source))
                if pending:
                    self.sink(replica_line(pending.decode(errors="replace"), source))
        finally:
            with self._lock:
                self._streams.pop(str(container.id), None)

    def watch(self, events: Any) -> None:
        """Start a stream for each replica that starts (new, or restarted by the engine)."""
        # close() of the event stream ends the loop with an error: that is the way out.
        with contextlib.suppress(Exception):
            for event in events:
                cid = event.get("id") or event.get("Actor", {}).get("ID")
                attrs = event.get("Actor", {}).get("Attributes", {})
                if not cid or not wanted(attrs.get(L.PROCESS, "?"), self.process_type):
                    continue
                try:
                    container = self.client.containers.get(cid)
                except docker.errors.NotFound:
                    continue
                self.pump(container, event.get("timeNano", 0) / 1e9 or event.get("time", 0))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            streams = list(self._streams.values())
        for stream in streams:
            with contextlib.suppress(Exception):
                stream.close()


def follow(client: docker.DockerClient, instance: str, app: str, process_type: str | None,
           since: float, sink: Sink, stop: threading.Event) -> None:
    """Send every line written from ``since`` on to ``sink`` until ``stop`` is set."""
    follower = _Follower(client, instance, app, process_type, sink)
    # Subscribe before listing, so a replica starting in between is seen by one or both
    # (the follower ignores the second).
    events = client.events(decode=True, since=since, filters={
        "type": "container", "event": "start",
        "label": [f"{L.INSTANCE}={instance}", f"{L.APP}={app}", f"{L.ROLE}={L.ROLE_APP}"],
    })
    watcher = threading.Thread(target=follower.watch, args=(events,), daemon=True,
                               name=f"logs-events-{app}")
    watcher.start()
    try:
        for c in _replicas(client, instance, app, process_type):
            if c.status == "running":
                follower.pump(c, since)
        stop.wait()
    finally:
        with contextlib.suppress(Exception):
            events.close()
        follower.close()
