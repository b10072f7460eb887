"""Every use case of the platform, built once by the composition root (paas.composition).

The API and the git receiver get this bundle and nothing else: each service received
exactly the ports it needs when it was built, so no handler reaches through one service
for another's adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paas.builder.port import Builder
from paas.domain.limits import ReplicaBounds
from paas.domain.logs import RELEASE
from paas.logsink import LogSink
from paas.runtime.port import Runtime
from paas.services.addons import AddonProvider, AddonService
from paas.services.apps import AppService, SourceRepos
from paas.services.autoscale import AutoscaleService, ScalingStrategy
from paas.services.backups import BackupService, BackupStore, RuntimeBackups
from paas.services.certs import CertService, TlsPorts
from paas.services.config import ConfigService
from paas.services.deploy import AppLocks, Deployer
from paas.services.destroy import DestroyService
from paas.services.domains import DomainService
from paas.services.formation import FormationService, HostMemory
from paas.services.logs import AppLogs
from paas.services.oneoff import OneOffService
from paas.services.releases import ReleaseService
from paas.store.logbook import LogBook
from paas.store.port import Store


@dataclass(frozen=True)
class Services:
    apps: AppService
    deploys: Deployer
    config: ConfigService
    releases: ReleaseService
    domains: DomainService
    formation: FormationService
    autoscale: AutoscaleService
    addons: AddonService
    backups: BackupService
    logs: AppLogs
    oneoff: OneOffService
    destroy: DestroyService
    #: Kept for recovery at start-up only.
    runtime: Runtime
    logbook: LogBook | None
    #: HTTPS certificates; None on a runtime that terminates TLS elsewhere (Kubernetes:
    #: cert-manager).
    certs: CertService | None = None

    def recover(self, say: LogSink) -> None:
        """After a server (re)start: interrupted releases are failed, add-ons run again
        (brokers first: workers connect at start), replicas and routes match the store."""
        store = self.apps.store
        for rel in store.fail_pending_releases():
            say(f"{rel.app} {rel.label} was interrupted by a server stop: marked failed")
            if self.logbook is not None:
                self.logbook.append(rel.app, RELEASE,
                                    f"{rel.label} was interrupted by a server stop: "
                                    "marked failed")
        say("Reconciling running apps with stored state")
        self.addons.reconcile(say)
        self.runtime.reconcile([(a, store.current_release(a.name)) for a in store.list_apps()])


def build_services(
    *,
    store: Store,
    runtime: Runtime,
    builder: Builder,
    addon_provider: AddonProvider,
    scaling: Callable[[FormationService, AddonService], ScalingStrategy],
    repos: SourceRepos,
    logbook: LogBook | None,
    platform_domain: str,
    backup_files: BackupStore,
    locks: AppLocks | None = None,
    bounds: ReplicaBounds | None = None,
    host_memory: HostMemory | None = None,
    tls: TlsPorts | None = None,
    backups_kept_by_runtime: RuntimeBackups | None = None,
) -> Services:
    """Hand each use case exactly its ports; the one place services are constructed.

    ``scaling`` makes the runtime's scaling strategy from the formation and add-on
    services, which the Docker loop drives (scale) and reads (queue brokers).
    ``bounds`` limit every formation; ``host_memory`` admits formations against one
    host's memory, where the runtime has one host (None: no such admission).
    ``backups_kept_by_runtime``: the runtime makes and keeps add-on backups itself
    (None: they stream through the platform into ``backup_files``).
    """
    locks = locks or AppLocks()
    bounds = bounds or ReplicaBounds()
    deploys = Deployer(store, builder, runtime, locks, logbook, bounds)
    backups = BackupService(store, addon_provider, backup_files,
                            kept_by_runtime=backups_kept_by_runtime)
    addons = AddonService(store, deploys, addon_provider, forget_backups=backups.forget)
    formation = FormationService(store, runtime, locks, bounds, host_memory)
    return Services(
        apps=AppService(store, repos, bounds),
        deploys=deploys,
        config=ConfigService(store, deploys),
        releases=ReleaseService(store, deploys),
        domains=DomainService(store, runtime, locks, platform_domain),
        formation=formation,
        autoscale=AutoscaleService(store, scaling(formation, addons), bounds),
        addons=addons,
        backups=backups,
        logs=AppLogs(runtime, logbook),
        oneoff=OneOffService(store, runtime, bounds),
        destroy=DestroyService(store, runtime, locks, addons, repos, logbook),
        runtime=runtime,
        logbook=logbook,
        certs=CertService(store, runtime, locks, tls) if tls is not None else None,
    )
