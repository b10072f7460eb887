"""Builds and releases, in Deis's model: a release is one build plus one config snapshot.

A config change or a rollback makes a new release from an existing build; only a push
makes a new build. Releases are numbered per app (v1, v2, ...) and never change once
recorded, apart from their status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from paas.domain.health import DEFAULT as DEFAULT_CHECK
from paas.domain.health import HealthCheck


class WebProtocol(StrEnum):
    """How the router talks to the web process: plain HTTP, or uWSGI's binary protocol."""

    HTTP = "http"
    UWSGI = "uwsgi"


@dataclass(frozen=True)
class StaticMount:
    """Files the router serves itself, so Python never does (``url_prefix`` -> dir in image)."""

    url_prefix: str
    path: str


@dataclass(frozen=True)
class Build:
    image: str
    commit: str
    #: Process type -> command line, from the Procfile and buildpack defaults.
    processes: Mapping[str, str]
    release_command: str | None = None
    web_protocol: WebProtocol = WebProtocol.HTTP
    static: tuple[StaticMount, ...] = ()
    #: The port the web process listens on inside its container (given to it as ``PORT``).
    port: int = 5000
    #: Human summary of what was detected (framework, server), for ``releases`` and logs.
    summary: str = ""
    #: The app writes under /app at run time (SQLite): a writable root filesystem.
    writable_root: bool = False
    #: What a new web replica must answer before it gets traffic (from the source; the
    #: config vars of ``paas healthcheck:set`` override it at each rollout).
    health: HealthCheck = DEFAULT_CHECK


class ReleaseStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Release:
    app: str
    version: int
    build: Build | None
    config: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    created_by: str = "admin"
    created_at: datetime | None = None
    status: ReleaseStatus = ReleaseStatus.PENDING

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def deployable(self) -> bool:
        return self.build is not None
