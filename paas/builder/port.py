"""The Builder port: turns a source tree into an image and tells what it runs."""

from __future__ import annotations

from typing import Protocol

from paas.builder.source import PushedCommit
from paas.domain.release import Build
from paas.logsink import LogSink


class Builder(Protocol):
    def build(self, app: str, source: PushedCommit, commit: str, log: LogSink) -> Build:
        """Build ``source`` (read through git, never unpacked on the host); raise
        BuildFailed with the log on error."""
        ...
