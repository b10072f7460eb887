"""Replicas' output from the Docker engine: recent lines merged in time order, and a live
follow that picks up replicas started while it runs.

The app's access lines come from the router, not from the replicas (gunicorn writes none
there, see ``paas.router.config.ACCESS_LOG``): the router's output is shared by every
app, so its lines are picked by their ``app=`` field and shown as source ``router``.

The engine keeps each container's stdout and stderr with a timestamp per line
(``docker logs --timestamps``); nothing is copied, so ``paas logs`` costs nothing while
nobody reads it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from paas.domain.logs import LogLine, merge_last, replica_line, replica_source, wanted
from paas.router.config import app_of
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import Container, DockerEngine, EngineError

Sink = Callable[[LogLine], None]
#: One raw ``TIME message`` line of a container's output to a LogLine, or None to skip it.
Convert = Callable[[str], LogLine | None]
ROUTER = "router"
#: The router's output holds every app's lines: read this many times the lines asked for,
#: so an app among busier ones still finds its recent requests.
ROUTER_TAIL_FACTOR = 10


def _source(container: Container) -> str:
    return replica_source(container.labels.get(L.PROCESS, "?"), container.name or "")


def _replicas(engine: DockerEngine, instance: str, app: str,
              process_type: str | None) -> list[Container]:
    found = engine.containers(L.selector(instance, **{L.ROLE: L.ROLE_APP, L.APP: app}))
    return [c for c in found if wanted(c.labels.get(L.PROCESS, "?"), process_type)]


def _lines(raw: bytes, source: str) -> list[LogLine]:
    return [replica_line(t, source)
            for t in raw.decode(errors="replace").splitlines() if t]


def router_line(app: str) -> Convert:
    """The router's lines for ``app`` (without the ``app=`` field), as source ``router``."""
    def convert(raw: str) -> LogLine | None:
        line = replica_line(raw, ROUTER)
        found = app_of(line.message)
        if found is None or found[0] != app:
            return None
        return LogLine(line.time, ROUTER, found[1])
    return convert


def _router(engine: DockerEngine, instance: str) -> Container | None:
    found = engine.containers(L.selector(instance, **{L.ROLE: L.ROLE_ROUTER}))
    return found[0] if found else None


def history(engine: DockerEngine, instance: str, app: str,
            process_type: str | None, lines: int) -> list[LogLine]:
    """The newest ``lines`` lines over every replica of ``app`` (of ``process_type``)
    and the router's access lines for it."""
    per_source = [_lines(engine.recent_output(c.id, lines), _source(c))
                  for c in _replicas(engine, instance, app, process_type)]
    router = _router(engine, instance) if wanted(ROUTER, process_type) else None
    if router is not None:
        convert = router_line(app)
        raw = engine.recent_output(router.id, lines * ROUTER_TAIL_FACTOR)
        found = (convert(t) for t in raw.decode(errors="replace").splitlines() if t)
        per_source.append([x for x in found if x is not None])
    return merge_last(per_source, lines)


class _Follower:
    """One log stream per replica; a watcher of start events adds streams for new ones."""

    def __init__(self, engine: DockerEngine, instance: str, app: str,
                 process_type: str | None, sink: Sink) -> None:
        self.engine = engine
        self.instance = instance
        self.app = app
        self.process_type = process_type
        self.sink = sink
        self._lock = threading.Lock()
        self._streams: dict[str, Any] = {}
        self._closed = False

    def pump(self, container: Container, since: float,
             convert: Convert | None = None) -> None:
        """Follow ``container`` from ``since`` (epoch seconds) in a thread of its own;
        ``convert`` picks and shapes its lines (default: all, as the replica's)."""
        source = _source(container)
        with self._lock:
            if self._closed or container.id in self._streams:
                return
            stream = self.engine.follow_output(container.id, since)
            if stream is None:
                return
            self._streams[container.id] = stream
        threading.Thread(
            target=self._drain,
            args=(container, stream, convert or (lambda raw: replica_line(raw, source))),
            daemon=True, name=f"logs-{container.name}").start()

    def _drain(self, container: Container, stream: Any, convert: Convert) -> None:
        pending = b""
        # A stream closed by close() or a container removed mid-read just ends.
        try:
            with contextlib.suppress(Exception):
                for chunk in stream:
                    pending += bytes(chunk)
                    *complete, pending = pending.split(b"\n")
                    for raw in complete:
                        if raw:
                            self._send(convert(raw.decode(errors="replace")))
                if pending:
                    self._send(convert(pending.decode(errors="replace")))
        finally:
            with self._lock:
                self._streams.pop(container.id, None)

    def _send(self, line: LogLine | None) -> None:
        if line is not None:
            self.sink(line)

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
                    container = self.engine.inspect(cid)
                except EngineError:
                    continue
                if container is None:
                    continue
                self.pump(container, event.get("timeNano", 0) / 1e9 or event.get("time", 0))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            streams = list(self._streams.values())
        for stream in streams:
            with contextlib.suppress(Exception):
                stream.close()


def follow(engine: DockerEngine, instance: str, app: str, process_type: str | None,
           since: float, sink: Sink, stop: threading.Event) -> None:
    """Send every line written from ``since`` on to ``sink`` until ``stop`` is set."""
    follower = _Follower(engine, instance, app, process_type, sink)
    # Subscribe before listing, so a replica starting in between is seen by one or both
    # (the follower ignores the second).
    events = engine.start_events(L.selector(instance, **{L.APP: app, L.ROLE: L.ROLE_APP}),
                                 since)
    watcher = threading.Thread(target=follower.watch, args=(events,), daemon=True,
                               name=f"logs-events-{app}")
    watcher.start()
    try:
        for c in _replicas(engine, instance, app, process_type):
            if c.running:
                follower.pump(c, since)
        router = _router(engine, instance) if wanted(ROUTER, process_type) else None
        if router is not None:
            follower.pump(router, since, router_line(app))
        stop.wait()
    finally:
        with contextlib.suppress(Exception):
            events.close()
        follower.close()
