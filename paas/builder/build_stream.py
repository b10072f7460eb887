"""Reading the Docker engine's build stream: the output lines, and its error record.

The engine reports a failed build not by an HTTP error but by a record in the stream,
so every caller of ``api.build`` must look at each record; app builds, stack images and
the platform image all read it through this one function.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any


class BuildStreamError(Exception):
    """The engine's error record: the build failed with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def build_lines(stream: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Non-empty output lines of a decoded build stream; raises BuildStreamError on the
    engine's error record (``error``, or ``errorDetail`` alone)."""
    for record in stream:
        error = record.get("error")
        detail = record.get("errorDetail")
        if not error and isinstance(detail, Mapping):
            error = detail.get("message")
        if error:
            raise BuildStreamError(str(error).strip())
        text = record.get("stream")
        if text:
            for line in str(text).splitlines():
                if line.strip():
                    yield line.rstrip()


def drain(stream: Iterable[Mapping[str, Any]]) -> None:
    """Consume a build stream whose output nobody reads; raises on its error record."""
    for _line in build_lines(stream):
        pass
