"""``paas logs``: the app's build and release-phase lines with its replicas' output.

Phase lines come from the log book, replica lines from the runtime; both are merged in
time order. Following (``--tail``) prints the recent lines, then everything new from
either side as it arrives, including replicas that start meanwhile.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Generator

from paas.domain.logs import PHASES, LogLine, merge_last, newer_than, parse, wanted
from paas.runtime.port import Runtime
from paas.store.logbook import LogBook

#: Seconds between keep-alives while nothing is logged: a follower that went away is
#: noticed at the next write, so its threads and engine streams end within this time.
KEEPALIVE = 5.0


class AppLogs:
    def __init__(self, runtime: Runtime, logbook: LogBook | None,
                 keepalive: float = KEEPALIVE, clock: Callable[[], float] = time.time) -> None:
        self.runtime = runtime
        self.logbook = logbook
        self.keepalive = keepalive
        self.clock = clock

    def recent(self, app: str, process_type: str | None, lines: int) -> list[LogLine]:
        phases: list[LogLine] = []
        replicas: list[LogLine] = []
        if self.logbook is not None and (process_type is None or process_type in PHASES):
            phases = [x for x in self.logbook.read(app) if wanted(x.source, process_type)]
        if process_type not in PHASES:
            parsed = (parse(x) for x in self.runtime.logs(app, process_type, lines))
            replicas = [x for x in parsed if x is not None]
        return merge_last([phases, replicas], lines)

    def follow(self, app: str, process_type: str | None, lines: int
               ) -> Generator[LogLine | None, None, None]:
        """Recent lines, then new ones as they come; None now and then while it is quiet.

        Runs until the caller closes the iterator (the HTTP client went away).
        """
        since = self.clock()
        inbox: queue.Queue[LogLine] = queue.Queue()
        stop = threading.Event()

        def keep(line: LogLine) -> None:
            if wanted(line.source, process_type):
                inbox.put(line)

        with contextlib.ExitStack() as stack:
            stack.callback(stop.set)
            if self.logbook is not None:
                # Subscribed before the history is read: the overlap is dropped below.
                stack.enter_context(self.logbook.subscribe(app, keep))
            seen: dict[str, str] = {}
            for line in self.recent(app, process_type, lines):
                seen[line.source] = max(seen.get(line.source, ""), line.time)
                yield line
            if process_type not in PHASES:
                threading.Thread(
                    target=self.runtime.follow_logs,
                    args=(app, process_type, since, inbox.put, stop),
                    daemon=True, name=f"follow-{app}",
                ).start()
            while True:
                try:
                    line = inbox.get(timeout=self.keepalive)
                except queue.Empty:
                    yield None
                    continue
                if newer_than(line, seen):
                    yield line
