"""``paas run``: start a one-off command of the app's current release, and pipe a session.

The piping is written against two byte functions and the OneOff port, so it does not
care whether the far end is an upgraded HTTP connection or a test's socket pair.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from paas import wire
from paas.domain.app import App
from paas.domain.limits import ReplicaBounds, check_oneoffs
from paas.domain.release import Release
from paas.errors import Conflict, InvalidInput
from paas.runtime.port import OneOff, Runtime
from paas.store.port import Store

MAX_ARGS = 1024
MAX_COMMAND_BYTES = 128 * 1024


def validate_command(command: Any) -> list[str]:
    if not isinstance(command, list) or not command:
        raise InvalidInput("missing command: use `paas run -- COMMAND [ARGS...]`")
    if len(command) > MAX_ARGS or not all(isinstance(a, str) for a in command):
        raise InvalidInput(f"command must be a list of at most {MAX_ARGS} strings")
    if any("\0" in a for a in command):
        raise InvalidInput("command arguments cannot contain NUL bytes")
    if sum(len(a.encode()) for a in command) > MAX_COMMAND_BYTES:
        raise InvalidInput(f"command is longer than {MAX_COMMAND_BYTES} bytes")
    if not command[0].strip():
        raise InvalidInput("the command is empty")
    return list(command)


def _size(value: Any, default: int, what: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise InvalidInput(f"{what} must be a whole number between 1 and 10000")
    return value


def console_size(body: dict[str, Any]) -> tuple[bool, int, int]:
    """(tty, rows, cols) of an attached session request, checked."""
    tty = body.get("tty", False)
    if not isinstance(tty, bool):
        raise InvalidInput("tty must be true or false")
    return tty, _size(body.get("rows"), 24, "rows"), _size(body.get("cols"), 80, "cols")


class _Counted:
    """A one-off that gives its place back once, when it is closed."""

    def __init__(self, oneoff: OneOff, ended: Callable[[], None]) -> None:
        self._oneoff = oneoff
        self._ended: Callable[[], None] | None = ended
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._oneoff.name

    def send(self, data: bytes) -> None:
        self._oneoff.send(data)

    def close_stdin(self) -> None:
        self._oneoff.close_stdin()

    def recv(self) -> tuple[int, bytes] | None:
        return self._oneoff.recv()

    def resize(self, rows: int, cols: int) -> None:
        self._oneoff.resize(rows, cols)

    def wait(self) -> int:
        return self._oneoff.wait()

    def close(self) -> None:
        try:
            self._oneoff.close()
        finally:
            with self._lock:
                ended, self._ended = self._ended, None
            if ended is not None:
                ended()


class OneOffService:
    def __init__(self, store: Store, runtime: Runtime, bounds: ReplicaBounds | None = None
                 ) -> None:
        self.store = store
        self.runtime = runtime
        self.bounds = bounds or ReplicaBounds()
        self._lock = threading.Lock()
        #: Runs this server started and nobody closed yet, by app: a cluster's pod
        #: appears a moment after ``start_oneoff`` returned, so the runtime's count
        #: alone would let a burst of requests through.
        self._active: dict[str, int] = {}

    def start(self, app: App, body: dict[str, Any]) -> OneOff:
        """Validate the request and start the command; nothing runs on bad input, nor
        when the app already runs its most one-offs at once (each is a container at
        the web size that no formation counts)."""
        command = validate_command(body.get("command"))
        tty, rows, cols = console_size(body)
        release = self.runnable(app.name)
        with self._lock:
            running = max(self.runtime.oneoffs(app.name), self._active.get(app.name, 0))
            check_oneoffs(app.name, running, self.bounds)
            self._active[app.name] = self._active.get(app.name, 0) + 1
        try:
            oneoff = self.runtime.start_oneoff(app, release, command, tty, rows, cols)
        except BaseException:
            self._ended(app.name)
            raise
        return _Counted(oneoff, lambda: self._ended(app.name))

    def _ended(self, app: str) -> None:
        with self._lock:
            left = self._active.get(app, 0) - 1
            if left > 0:
                self._active[app] = left
            else:
                self._active.pop(app, None)

    def runnable(self, app: str) -> Release:
        """The current release; before the first one succeeded, the newest build with
        the current config, so ``paas run python manage.py migrate`` can fix what keeps
        the first deploy from passing its health check (Heroku runs one-offs only on a
        release; a first deploy that cannot pass without a one-off needs this)."""
        current = self.store.current_release(app)
        if current is not None and current.build is not None:
            return current
        built = [r for r in self.store.list_releases(app) if r.build is not None]
        if not built:
            raise Conflict(f"{app} has no build to run yet: push it first with "
                           "`git push paas main` (a build that failed leaves nothing to run)")
        newest = max(built, key=lambda r: r.version)
        config = current.config if current is not None else newest.config
        return replace(newest, config=config)


def pipe(oneoff: OneOff, read_exactly: Callable[[int], bytes],
         send: Callable[[bytes], None]) -> int | None:
    """Relay frames between a client and ``oneoff`` until the command ends.

    Returns the exit code, or None when the client went away first; either way the
    command is killed (if still running) and removed.
    """
    finished = threading.Event()

    def from_client() -> None:
        try:
            while (item := wire.read_frame(read_exactly)) is not None:
                kind, payload = item
                if kind == wire.STDIN:
                    oneoff.send(payload)
                elif kind == wire.STDIN_EOF:
                    oneoff.close_stdin()
                elif kind == wire.RESIZE:
                    oneoff.resize(*wire.parse_resize(payload))
        except (OSError, wire.ProtocolError):
            pass
        if not finished.is_set():
            # Ctrl-C or a lost connection: nobody reads the output any more.
            oneoff.close()

    reader = threading.Thread(target=from_client, daemon=True, name=f"run-in-{oneoff.name}")
    reader.start()
    try:
        while (out := oneoff.recv()) is not None:
            send(wire.frame(*out))
        code = oneoff.wait()
        finished.set()
        with contextlib.suppress(OSError):
            send(wire.frame(wire.EXIT, str(code).encode()))
            return code
        return None
    except OSError:
        return None
    finally:
        finished.set()
        oneoff.close()
