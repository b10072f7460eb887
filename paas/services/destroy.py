"""Destroying an app: everything it runs and everything the platform remembers of it.

The order makes a failure safe to retry: replicas, routes and images go first (the
runtime's destroy is idempotent), the stored state last, so an app is never forgotten
while something of it still runs. Add-ons follow the same two steps: their containers
and volumes carry the app's label (the runtime removes them), their rows reference the
app with ON DELETE CASCADE (the store removes them).
"""

from __future__ import annotations

from paas.errors import InvalidInput
from paas.services.deploy import Deployer


def destroy_app(deployer: Deployer, name: str, confirm: str | None) -> None:
    if confirm != name:
        raise InvalidInput(
            f"destroying {name} removes its containers, images, releases and config: "
            f"confirm with --confirm {name}"
        )
    with deployer.locks.hold(name):
        deployer.store.get_app(name)
        deployer.runtime.destroy(name)
        deployer.store.delete_app(name)
        if deployer.logbook is not None:
            deployer.logbook.remove(name)
