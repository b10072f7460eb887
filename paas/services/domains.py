"""Custom domains: unique across apps, routed without restarting a replica.

Adding checks the name is one a tenant may claim (paas.domain.names); removing takes any
stored name, so a domain accepted under older rules can still be taken away.
"""

from __future__ import annotations

import threading

from paas.domain.app import App
from paas.domain.names import validate_custom_domain, validate_hostname
from paas.errors import Conflict, InvalidInput, NotFound, PaasError
from paas.runtime.port import Runtime
from paas.services.deploy import AppLocks
from paas.store.port import Store

#: Domain changes of different apps must not both pass the uniqueness check.
_claims = threading.Lock()
#: Domains of one app: each is a name in the router's config and, with HTTPS, a
#: certificate to obtain and renew.
MAX_DOMAINS = 100


class DomainService:
    def __init__(self, store: Store, runtime: Runtime, locks: AppLocks,
                 platform_domain: str) -> None:
        self.store = store
        self.runtime = runtime
        self.locks = locks
        self.platform_domain = platform_domain

    def _check_free(self, app: str, host: str) -> None:
        for other in self.store.list_apps():
            if host in other.domains:
                where = "this app" if other.name == app else "another app"
                raise Conflict(f"domain {host} is already taken by {where}")

    def add(self, app: str, host: str) -> App:
        host = validate_custom_domain(host, self.platform_domain)
        with self.locks.hold(app), _claims:
            current = self.store.get_app(app)
            if len(current.domains) >= MAX_DOMAINS:
                raise InvalidInput(f"{app} has {len(current.domains)} domains, the most an "
                                   "app may have: remove one first")
            self._check_free(app, host)
            return self._apply(current, (*current.domains, host))

    def remove(self, app: str, host: str) -> App:
        host = validate_hostname(host)
        with self.locks.hold(app), _claims:
            current = self.store.get_app(app)
            if host not in current.domains:
                raise NotFound(f"{app} has no domain {host}")
            return self._apply(current, tuple(d for d in current.domains if d != host))

    def _apply(self, before: App, domains: tuple[str, ...]) -> App:
        after = self.store.set_domains(before.name, domains)
        try:
            self.runtime.update_routes(after)
        except PaasError:
            self.store.set_domains(before.name, before.domains)
            raise
        return after
