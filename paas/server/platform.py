"""What the server serves: the platform the composition root assembled."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from paas.server.git_http import Repos
from paas.services.platform import Services
from paas.settings import Settings
from paas.store.port import Store

#: A loop the server runs in a thread until the event is set.
Background = Callable[[threading.Event], None]


@dataclass(frozen=True)
class Platform:
    settings: Settings
    #: Users, tokens and grants, read by the API's checks.
    store: Store
    repos: Repos
    services: Services
    #: Loops the server runs beside the API (the Docker autoscaler); none on Kubernetes.
    background: tuple[Background, ...] = field(default=())
