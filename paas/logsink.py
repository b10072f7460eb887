"""Where progress lines go: the pusher's terminal, a test list, or nowhere."""

from __future__ import annotations

from collections.abc import Callable

#: Receives one line of user-facing output at a time, without the trailing newline.
LogSink = Callable[[str], None]


def discard(_line: str) -> None:
    """A sink for callers that do not show progress."""
