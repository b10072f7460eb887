"""The Builder port: turns a source tree into an image and tells what it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from paas.domain.release import Build
from paas.logsink import LogSink


class Builder(Protocol):
    def build(self, app: str, source: Path, commit: str, log: LogSink) -> Build:
        """Build ``source`` (an extracted commit); raise BuildFailed with the log on error."""
        ...
