"""Builds and releases, in Deis's model: a release is one build plus one config snapshot.

A config change or a rollback makes a new release from an existing build; only a push
makes a new build. Releases are numbered per app (v1, v2, ...) and never change once
recorded, apart from their status.
"""

from __future__ import annotations

import re
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
    #: Folders in the image the app writes at run time and that every container of the
    #: app must see: Flask's instance folder holding a SQLite database that the release
    #: phase creates and the web replicas use. Each is a per-app volume (see
    #: ``data_dir_problem``), kept across releases.
    data_dirs: tuple[str, ...] = ()
    #: What a new web replica must answer before it gets traffic (from the source; the
    #: config vars of ``paas healthcheck:set`` override it at each rollout).
    health: HealthCheck = DEFAULT_CHECK


#: Data folders one build may ask for; Flask has one instance folder.
MAX_DATA_DIRS = 4
#: One name of a data folder's path: no "..", nothing a volume name cannot hold.
_DATA_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")


def data_dir_problem(path: str) -> str | None:
    """Why ``path`` cannot be a data folder, or None: an absolute, normalised folder
    below /app, since a volume elsewhere could hide the app's venv or the system."""
    parts = path.split("/")[2:]
    if (not path.startswith("/app/") or len(path) > 255
            or not all(_DATA_NAME.fullmatch(p) for p in parts)):
        return (f"a data folder must be a path below /app of names made of letters, "
                f"digits, '_', '-' and '.', got {path!r}")
    return None


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
