"""Settings of the kubernetes runtime, read from the platform's environment.

They live here rather than in the platform settings because only this adapter gives them
meaning; the Helm chart sets them as ``PAAS_K8S_*`` variables of the server Deployment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from paas.errors import InvalidInput


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise InvalidInput(f"{name} must be a whole number, got {raw!r}") from e


ROUTING_MODES = ("gateway", "ingress")
#: A storage request: a whole number of Mi, Gi or Ti (at most 6 digits).
_STORAGE = re.compile(r"[1-9][0-9]{0,5}(Mi|Gi|Ti)")
#: Upper bound of ``backup_timeout`` (a day): a Job may not run for ever.
MAX_BACKUP_TIMEOUT = 86400
INGRESS_PROFILES = ("nginx-org", "ingress-nginx")


@dataclass(frozen=True)
class KubernetesSettings:
    #: Apps answer at ``NAME.domain`` (plus their custom domains).
    domain: str = "localhost"
    #: Namespace of app ``NAME`` is ``prefix + NAME``; at most 33 characters so that a
    #: 30-character app name still fits a 63-character DNS label.
    namespace_prefix: str = "paas-"
    #: How web traffic reaches apps: ``gateway`` (an HTTPRoute per app, the default) or
    #: ``ingress`` (an Ingress per app, for clusters with an Ingress controller).
    routing: str = "gateway"
    #: The Gateway app HTTPRoutes attach to, and the listener (section) they use; no
    #: section attaches to every listener of the Gateway.
    gateway_name: str = "paas-gateway"
    gateway_namespace: str = "paas-system"
    gateway_section: str | None = None
    ingress_class: str = "nginx"
    #: Annotations for the Ingress controller: ``nginx-org`` (F5 NGINX Ingress
    #: Controller) or ``ingress-nginx`` (the retired community controller).
    ingress_profile: str = "nginx-org"
    #: Namespace of the ingress controller (or Gateway) pods: the only source web pods
    #: accept connections from (besides pods of their own app).
    ingress_namespace: str = "ingress-nginx"
    #: cert-manager ClusterIssuer that signs app certificates; no TLS when unset.
    cluster_issuer: str | None = None
    #: nginx image of the web sidecar that serves static files and speaks uwsgi.
    sidecar_image: str = "nginx:1.27"
    #: Every app container runs as this uid/gid: images must not need root.
    run_as_user: int = 10001
    #: CPU request of one 1x of a size in millicores (memory comes from the size alone);
    #: the HPA target is derived from it.
    cpu_request_m: int = 250
    #: Largest request body (ingress-nginx and nginx default to 1m, too small for uploads).
    body_size: str = "25m"
    #: Seconds the proxies wait on a silent upstream; long so websockets stay open.
    proxy_timeout: int = 3600
    #: Seconds between SIGTERM and SIGKILL (gunicorn's graceful window, celery warm stop).
    stop_timeout: int = 25
    rollout_timeout: int = 300
    release_timeout: int = 600
    #: Seconds a backup capture or restore Job may run (``activeDeadlineSeconds``; the
    #: platform waits as long, plus a minute for the Job controller to say so).
    backup_timeout: int = 3600
    #: Size of the claim that holds an app's backups, made when the first one is.
    backup_storage: str = "20Gi"
    #: Broker for queue autoscaling when the app's config names none (the chart's Redis).
    broker_url: str | None = None
    #: Secret (in each app namespace) holding credentials for a private registry.
    image_pull_secret: str | None = None

    def __post_init__(self) -> None:
        if len(self.namespace_prefix) > 33:
            raise InvalidInput("the namespace prefix must be at most 33 characters")
        if self.routing not in ROUTING_MODES:
            raise InvalidInput(f"PAAS_K8S_ROUTING must be one of {', '.join(ROUTING_MODES)}, "
                               f"got {self.routing!r}")
        if not _STORAGE.fullmatch(self.backup_storage):
            raise InvalidInput("PAAS_K8S_BACKUP_STORAGE must be a size such as 20Gi or "
                               f"500Mi, got {self.backup_storage!r}")
        if not 60 <= self.backup_timeout <= MAX_BACKUP_TIMEOUT:
            raise InvalidInput("PAAS_K8S_BACKUP_TIMEOUT must be between 60 and "
                               f"{MAX_BACKUP_TIMEOUT} seconds, got {self.backup_timeout}")
        if self.ingress_profile not in INGRESS_PROFILES:
            raise InvalidInput(
                f"PAAS_K8S_INGRESS_PROFILE must be one of {', '.join(INGRESS_PROFILES)}, "
                f"got {self.ingress_profile!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KubernetesSettings:
        e = os.environ if env is None else env
        d = cls()
        return cls(
            domain=e.get("PAAS_DOMAIN") or d.domain,
            namespace_prefix=e.get("PAAS_K8S_NAMESPACE_PREFIX") or d.namespace_prefix,
            routing=e.get("PAAS_K8S_ROUTING") or d.routing,
            gateway_name=e.get("PAAS_K8S_GATEWAY") or d.gateway_name,
            gateway_namespace=e.get("PAAS_K8S_GATEWAY_NAMESPACE") or d.gateway_namespace,
            gateway_section=e.get("PAAS_K8S_GATEWAY_SECTION") or d.gateway_section,
            ingress_class=e.get("PAAS_K8S_INGRESS_CLASS") or d.ingress_class,
            ingress_profile=e.get("PAAS_K8S_INGRESS_PROFILE") or d.ingress_profile,
            ingress_namespace=e.get("PAAS_K8S_INGRESS_NAMESPACE") or d.ingress_namespace,
            cluster_issuer=e.get("PAAS_K8S_CLUSTER_ISSUER") or None,
            sidecar_image=e.get("PAAS_K8S_SIDECAR_IMAGE") or d.sidecar_image,
            run_as_user=_int(e, "PAAS_K8S_RUN_AS_USER", d.run_as_user),
            cpu_request_m=_int(e, "PAAS_K8S_CPU_REQUEST_M", d.cpu_request_m),
            body_size=e.get("PAAS_K8S_BODY_SIZE") or d.body_size,
            proxy_timeout=_int(e, "PAAS_K8S_PROXY_TIMEOUT", d.proxy_timeout),
            stop_timeout=_int(e, "PAAS_K8S_STOP_TIMEOUT", d.stop_timeout),
            rollout_timeout=_int(e, "PAAS_K8S_ROLLOUT_TIMEOUT", d.rollout_timeout),
            release_timeout=_int(e, "PAAS_K8S_RELEASE_TIMEOUT", d.release_timeout),
            backup_timeout=_int(e, "PAAS_K8S_BACKUP_TIMEOUT", d.backup_timeout),
            backup_storage=e.get("PAAS_K8S_BACKUP_STORAGE") or d.backup_storage,
            broker_url=e.get("PAAS_BROKER_URL") or None,
            image_pull_secret=e.get("PAAS_K8S_IMAGE_PULL_SECRET") or None,
        )
