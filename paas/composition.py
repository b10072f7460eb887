"""The composition root: the one module that knows every adapter.

``assemble`` builds, once, the platform for the configured runtime: its runtime,
builder, add-on provider and scaling strategy, handed to the use cases that need them.
What a runtime lacks is declared here (no in-process autoscaler on Kubernetes, whose
HPA and KEDA objects scale instead), never discovered later.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import docker
from cryptography import x509
from cryptography.fernet import Fernet

from paas.autoscale.loop import Autoscaler
from paas.autoscale.queue import QueueProbe, RedisQueueProbe
from paas.builder.docker_builder import DockerBuilder
from paas.builder.port import Builder
from paas.builder.registry import PublishingBuilder, ensure_image
from paas.domain.addons import AddonKind
from paas.domain.certs import trusted_subjects
from paas.domain.scaling import Behavior
from paas.errors import InvalidInput
from paas.logsink import LogSink
from paas.runtime.docker.addons import DockerAddons
from paas.runtime.docker.engine import DockerEngine
from paas.runtime.docker.metrics import DockerMetrics
from paas.runtime.docker.networks import APP_NETWORK_ADDRESSES
from paas.runtime.docker.runtime import DockerRuntime, connect
from paas.runtime.kubernetes.addon_provider import KubernetesAddons
from paas.runtime.kubernetes.backups import KubernetesBackups
from paas.runtime.kubernetes.runtime import KubernetesRuntime
from paas.runtime.kubernetes.scaling import ClusterAutoscaling
from paas.server.git_http import Repos
from paas.server.platform import Platform
from paas.services.addons import AddonService
from paas.services.autoscale import ScalingStrategy
from paas.services.backups import BackupScheduler
from paas.services.certs import TlsPorts, router_sites
from paas.services.formation import FormationService
from paas.services.platform import build_services
from paas.settings import ROUTER_NETWORKS, Settings
from paas.stack.debian import build_stack
from paas.store.backups import BackupFiles
from paas.store.logbook import LogBook
from paas.store.port import Store
from paas.store.secrets import (
    KEY_ENV,
    SecretBox,
    home_lock,
    load_secret_box,
    write_key_file,
)
from paas.store.sql import SqlStore
from paas.tls.acme_issuer import AcmeIssuer
from paas.tls.files import CertFiles


def check(settings: Settings) -> None:
    """Refuse a configuration that cannot work before anything is started."""
    if settings.runtime not in ("docker", "kubernetes"):
        raise InvalidInput(f"unknown runtime {settings.runtime!r}: use docker or kubernetes")
    if settings.router_network not in ROUTER_NETWORKS:
        raise InvalidInput(f"unknown router network {settings.router_network!r}: use "
                           + " or ".join(ROUTER_NETWORKS))
    if settings.runtime == "kubernetes" and not settings.registry.enabled:
        raise InvalidInput("the kubernetes runtime needs a registry: set PAAS_REGISTRY "
                           "(and PAAS_REGISTRY_PUSH when the build engine reaches it "
                           "by another name)")


def assemble(settings: Settings, say: LogSink, *, build_missing_stack: bool = True,
             engine: docker.DockerClient | None = None) -> Platform:
    """The platform ``settings.runtime`` asks for, over the store of ``settings``.

    Builds run on a Docker engine on every runtime: ``engine``, else this host's.
    """
    check(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.home.chmod(0o700)
    engine = engine or connect()
    store = SqlStore(settings.db_url, secrets=load_secret_box(settings.home, os.environ))
    repos = Repos(settings.repos_dir)
    logbook = LogBook(settings.home / "logs")
    registry = settings.registry
    if settings.runtime == "kubernetes":
        # The sidecar engine cannot debootstrap: the stack image comes from the registry.
        ensure_image(engine, settings.stack.python, registry.auth)
        cluster = KubernetesRuntime.from_environment()
        def addon_image(kind: AddonKind) -> str:
            return str(getattr(settings.stack, kind.image))

        addons = KubernetesAddons(cluster.api, cluster.settings, addon_image)
        services = build_services(
            store=store, runtime=cluster,
            builder=PublishingBuilder(DockerBuilder(engine, settings), engine, registry),
            addon_provider=addons,
            scaling=lambda _formation, _addons: ClusterAutoscaling(cluster),
            repos=repos, logbook=logbook, platform_domain=settings.domain,
            # pods spread over nodes; the scheduler admits each against a node's memory
            bounds=settings.replicas, host_memory=None,
            # records only: Jobs and a CronJob keep the dumps on a claim beside the app
            backup_files=BackupFiles(settings.backups_dir),
            backups_kept_by_runtime=KubernetesBackups(cluster.api, cluster.settings,
                                                      addon_image))
        return Platform(settings, store, repos, services)
    if build_missing_stack:
        build_stack(settings.stack, settings.home / "cache", say, client=engine)
    loops: list[Autoscaler] = []

    def docker_scaling(formation: FormationService, addons: AddonService) -> ScalingStrategy:
        loop = _docker_autoscaler(settings, engine, store, formation, addons)
        loops.append(loop)
        return loop

    cert_files = CertFiles(settings.cert_dir, settings.acme_challenge_dir)
    tls = _docker_tls(settings, cert_files)
    runtime = DockerRuntime(engine, settings, tls=lambda: router_sites(store, cert_files))
    # builds run the tenant's code: on a bridge of the platform's, as apps do
    builder: Builder = DockerBuilder(engine, settings, network=runtime.networks.ensure_build)
    if registry.enabled:
        builder = PublishingBuilder(builder, engine, registry)
    services = build_services(
        store=store, runtime=runtime, builder=builder,
        addon_provider=DockerAddons(engine, settings), scaling=docker_scaling,
        repos=repos, logbook=logbook, platform_domain=settings.domain,
        # one host: every replica's memory limit is admitted against the engine's memory,
        # and each app's rollouts against its network's addresses
        bounds=replace(settings.replicas, network=APP_NETWORK_ADDRESSES),
        host_memory=DockerEngine(engine),
        backup_files=BackupFiles(settings.backups_dir), tls=tls)
    scheduled_backups = BackupScheduler(services.backups, say)
    background = [*(a.run for a in loops), scheduled_backups.run, runtime.follow_restarts]
    if services.certs is not None and tls.issuer is not None:
        background.append(services.certs.run)
    return Platform(settings, store, repos, services, background=tuple(background))


#: The host's CA bundle (Debian's ca-certificates): an uploaded chain may end below one.
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _docker_tls(settings: Settings, files: CertFiles) -> TlsPorts:
    """Uploads work on any router; ACME needs the HTTPS listener the CA's users reach."""
    issuer = None
    if settings.router_https_port is not None:
        issuer = AcmeIssuer(settings.acme, settings.acme_account_key, files)
    trusted: list[frozenset[x509.Name]] = []

    def trusted_issuers() -> frozenset[x509.Name]:
        if not trusted:  # read once, when the first upload needs it
            try:
                trusted.append(trusted_subjects(SYSTEM_CA_BUNDLE.read_bytes()))
            except OSError:
                trusted.append(frozenset())
        return trusted[0]

    return TlsPorts(files=files, issuer=issuer, trusted=trusted_issuers,
                    interval=settings.acme.interval)


def _docker_autoscaler(settings: Settings, engine: docker.DockerClient, store: Store,
                       formation: FormationService, addons: AddonService) -> Autoscaler:
    """The loop reads CPU from container stats and queue backlogs from the app's broker
    add-on, which the server (on the host) reaches by container address."""
    probes: dict[str, RedisQueueProbe] = {}  # one connection pool per broker URL

    def probe(app: str) -> QueueProbe | None:
        url = addons.broker_url(app)
        if url is None:
            return None
        if url not in probes:
            probes[url] = RedisQueueProbe(url)
        return probes[url]

    return Autoscaler(
        store,
        formation,
        DockerMetrics(engine, settings.instance),
        probe,
        behavior=Behavior(stabilization_seconds=settings.autoscale_window),
        interval=settings.autoscale_interval,
    )


def rotate_secret_key(settings: Settings, say: LogSink) -> int:
    """Seal every stored secret with a new key and retire the old ones; the server must be
    stopped (its keys in memory would keep sealing with the old key).

    With the key file: the new key is written first, ahead of the old ones (so a crash
    at any point leaves every row readable), every row is resealed in one transaction,
    then the file keeps the new key alone. With ``PAAS_SECRET_KEY`` the operator owns the
    keys: put the new key first, run this, then drop the others from the variable.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    with home_lock(settings.home):
        old = load_secret_box(settings.home, os.environ)
        from_env = bool(os.environ.get(KEY_ENV, "").strip())
        box = old if from_env else SecretBox([Fernet.generate_key(), *old.keys])
        if not from_env:
            write_key_file(settings.home, box.keys)
        store = SqlStore(settings.db_url, secrets=box)
        count = store.reseal_all()
        store.engine.dispose()
        if from_env:
            say(f"Resealed {count} secrets with the first key of {KEY_ENV}; "
                "drop the other keys from it now")
        else:
            write_key_file(settings.home, box.keys[:1])
            say(f"Resealed {count} secrets with a new key; the old key is retired")
        return count
