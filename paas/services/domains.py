"""Custom domains: unique across apps, routed without restarting a replica."""

from __future__ import annotations

import threading

from paas.domain.app import App
from paas.domain.names import validate_hostname
from paas.errors import Conflict, InvalidInput, NotFound, PaasError
from paas.services.deploy import Deployer

#: Domain changes of different apps must not both pass the uniqueness check.
_claims = threading.Lock()


def _check_free(deployer: Deployer, app: str, host: str, platform_domain: str) -> None:
    if host == platform_domain or host.endswith("." + platform_domain):
        raise InvalidInput(
            f"{host} is under the platform domain {platform_domain}: every app already "
            f"answers at NAME.{platform_domain}"
        )
    for other in deployer.store.list_apps():
        if host in other.domains:
            where = "this app" if other.name == app else "another app"
            raise Conflict(f"domain {host} is already taken by {where}")


def add_domain(deployer: Deployer, app: str, host: str, platform_domain: str) -> App:
    host = validate_hostname(host)
    with deployer.locks.hold(app), _claims:
        current = deployer.store.get_app(app)
        _check_free(deployer, app, host, platform_domain)
        return _apply(deployer, current, (*current.domains, host))


def remove_domain(deployer: Deployer, app: str, host: str) -> App:
    host = validate_hostname(host)
    with deployer.locks.hold(app), _claims:
        current = deployer.store.get_app(app)
        if host not in current.domains:
            raise NotFound(f"{app} has no domain {host}")
        return _apply(deployer, current, tuple(d for d in current.domains if d != host))


def _apply(deployer: Deployer, before: App, domains: tuple[str, ...]) -> App:
    after = deployer.store.set_domains(before.name, domains)
    try:
        deployer.runtime.update_routes(after)
    except PaasError:
        deployer.store.set_domains(before.name, before.domains)
        raise
    return after
