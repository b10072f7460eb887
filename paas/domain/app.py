"""The app: a name, the hosts it answers for, and the formation of its processes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from paas.domain.limits import AppLimits


@dataclass(frozen=True)
class App:
    name: str
    created_at: datetime
    owner: str = "admin"
    domains: tuple[str, ...] = ()
    #: Desired replica count per process type. Types absent here run at their default
    #: (web: 1, everything else: 0 - as Deis does, so a worker never starts by surprise).
    formation: Mapping[str, int] = field(default_factory=dict)
    #: Size name per process type (``paas ps:resize``); absent types run the default.
    sizes: Mapping[str, str] = field(default_factory=dict)
    #: Bounds an admin raised for this app, and its root filesystem's writability.
    limits: AppLimits = field(default_factory=AppLimits)

    def hostnames(self, platform_domain: str) -> tuple[str, ...]:
        """The default ``NAME.domain`` host first, then custom domains."""
        return (f"{self.name}.{platform_domain}", *self.domains)

    def url(self, platform_domain: str, router_port: int | None = None) -> str:
        port = "" if router_port in (None, 80) else f":{router_port}"
        return f"http://{self.name}.{platform_domain}{port}/"
