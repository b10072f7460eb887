"""``paas run`` on a cluster: the command runs in a pod of the release, not attached.

The Docker runtime attaches stdin and a terminal; here the command runs to completion
in its own pod and its output (the pod's log) follows, then the exit code. Attaching
through the API server's websocket would need a cluster to test against; until then
the user is told plainly that no input reaches the command.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from paas.errors import PaasError
from paas.logsink import LogSink

STDOUT, STDERR = 1, 2
NOTICE = b"paas: no stdin or terminal on the kubernetes runtime; output follows when the " \
         b"command ends\n"


class PodRun:
    """The OneOff port over a function that runs the pod and returns its exit code."""

    def __init__(self, name: str, run: Callable[[LogSink, threading.Event], int],
                 stop: Callable[[], None], interactive: bool) -> None:
        self._name = name
        self._stop = stop
        self._cancel = threading.Event()
        self._out: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        self._code = 1
        self._done = threading.Event()
        self._closed = False
        if interactive:
            self._out.put((STDERR, NOTICE))
        threading.Thread(target=self._run, args=(run,), name=f"run-{name}",
                         daemon=True).start()

    def _run(self, run: Callable[[LogSink, threading.Event], int]) -> None:
        try:
            self._code = run(lambda line: self._out.put((STDOUT, (line + "\n").encode())),
                             self._cancel)
        except PaasError as e:
            self._out.put((STDERR, f"paas: {e.message}\n".encode()))
            self._code = 1
        finally:
            self._out.put(None)
            self._done.set()

    @property
    def name(self) -> str:
        return self._name

    def send(self, data: bytes) -> None:
        """Input is not forwarded on this runtime (see the module docstring)."""

    def close_stdin(self) -> None:
        pass

    def resize(self, rows: int, cols: int) -> None:
        pass

    def recv(self) -> tuple[int, bytes] | None:
        return self._out.get()

    def wait(self) -> int:
        self._done.wait()
        return self._code

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._done.is_set():
            self._cancel.set()
            self._stop()
