"""Build and release-phase output kept per app, for ``paas logs`` after the push ended.

Replicas' output lives in the container engine; what the platform itself produced for an
app (build steps, release phase, rollout verdicts) lives here: one text file per app
under the platform home, capped by rotating to a single ``.1`` generation. Followers of
``paas logs --tail`` subscribe in memory, since the server is one process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from paas.domain.logs import LogLine, parse, stamp

#: Bytes of one generation; with the rotated one an app keeps at most twice this.
CAP = 1 << 20

Subscriber = Callable[[LogLine], None]


class LogBook:
    def __init__(self, root: Path, cap: int = CAP,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.root = root
        self.cap = cap
        self.clock = clock
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[Subscriber]] = {}
        if root.is_dir():  # kept by an older version, perhaps world-readable
            root.chmod(0o700)
            for path in root.glob("*.log*"):
                path.chmod(0o600)

    def _path(self, app: str) -> Path:
        return self.root / f"{app}.log"

    def append(self, app: str, source: str, message: str) -> LogLine:
        """Record one line (a multi-line message is joined with spaces) and tell followers."""
        line = LogLine(stamp(self.clock()), source, " ".join(message.splitlines()))
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self._path(app)
            try:
                if path.stat().st_size >= self.cap:
                    path.replace(path.with_suffix(".log.1"))
            except FileNotFoundError:
                pass
            # The owner's only: build output may quote what an app printed.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line.render() + "\n")
            subscribers = list(self._subscribers.get(app, ()))
        for notify in subscribers:
            notify(line)
        return line

    def read(self, app: str) -> list[LogLine]:
        """Every kept line of ``app``, oldest first."""
        out: list[LogLine] = []
        with self._lock:
            for path in (self._path(app).with_suffix(".log.1"), self._path(app)):
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except FileNotFoundError:
                    continue
                out += [p for p in map(parse, text.splitlines()) if p is not None]
        return out

    def remove(self, app: str) -> None:
        """Forget an app's lines (when the app is destroyed)."""
        with self._lock:
            for path in (self._path(app), self._path(app).with_suffix(".log.1")):
                path.unlink(missing_ok=True)

    @contextmanager
    def subscribe(self, app: str, notify: Subscriber) -> Iterator[None]:
        """Call ``notify`` with every line appended for ``app`` while the block runs."""
        with self._lock:
            self._subscribers.setdefault(app, []).append(notify)
        try:
            yield
        finally:
            with self._lock:
                self._subscribers[app].remove(notify)
                if not self._subscribers[app]:
                    del self._subscribers[app]
