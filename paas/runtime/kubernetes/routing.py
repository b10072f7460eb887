"""How traffic reaches web: a Service, then an HTTPRoute (Gateway API) or an Ingress.

The Service selects web pods of every release, so during a rollout traffic moves pod by
pod as the new ones turn ready, never all at once.

Routing follows ``settings.routing``:

- ``gateway`` (default): one HTTPRoute per app attached to a Gateway the cluster admin
  runs (name, namespace and listener section are settings). With TLS, the app's HTTPS
  listeners (one per host) are applied to that Gateway under a field manager of the app's
  own, so apps add and remove their listeners without touching each other's, and
  cert-manager's Gateway support issues each listener's certificate from the
  ``cert-manager.io/cluster-issuer`` annotation.
- ``ingress``: one Ingress per app with the configured class and an annotation profile:
  the F5 NGINX Ingress Controller (``nginx.org/*``) or the retired community
  ingress-nginx. TLS is the Ingress ``tls`` section plus the cert-manager annotation.

Buffering does not depend on either: the Gateway API has no portable buffering field, so
sync servers sit behind the in-pod nginx sidecar (see ``sidecar.needed``).
"""

from __future__ import annotations

import hashlib

from paas.domain.app import App
from paas.domain.names import validate_hostname
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

GATEWAY_API = "gateway.networking.k8s.io/v1"
_INGRESS_NGINX = "nginx.ingress.kubernetes.io/"
_NGINX_ORG = "nginx.org/"
ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


def _web_metadata(app: App, settings: KubernetesSettings,
                  annotations: dict[str, str] | None = None) -> Manifest:
    return lb.metadata(lb.WEB, lb.namespace(app.name, settings), lb.labels(app.name, lb.WEB),
                       annotations)


def _hosts(app: App, settings: KubernetesSettings) -> list[str]:
    return [validate_hostname(h) for h in app.hostnames(settings.domain)]


def service(app: App, settings: KubernetesSettings) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _web_metadata(app, settings),
        "spec": {
            "type": "ClusterIP",
            "selector": lb.selector(app.name, lb.WEB),
            # "http" is the app's port, or the nginx sidecar's when the pod has one.
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def route(app: App, settings: KubernetesSettings) -> Manifest:
    """The route of web: an HTTPRoute or an Ingress, as ``settings.routing`` says."""
    if settings.routing == "ingress":
        return ingress(app, settings)
    return http_route(app, settings)


# -- Gateway API -------------------------------------------------------------------------


def listener_name(app: str, host: str) -> str:
    """A Gateway listener name unique per (app, host) and stable when other hosts change."""
    return f"paas-{app}-{hashlib.sha256(host.encode()).hexdigest()[:10]}"


def certificate_secret(app: str, host: str) -> str:
    """The Secret (in the Gateway's namespace) cert-manager writes the host's certificate to."""
    return f"{listener_name(app, host)}-tls"


def http_route(app: App, settings: KubernetesSettings) -> Manifest:
    """Every host of the app to the web Service, through the configured Gateway."""
    hosts = _hosts(app, settings)
    parent: Manifest = {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": settings.gateway_name,
        "namespace": settings.gateway_namespace,
    }
    parents = [dict(parent, sectionName=settings.gateway_section)
               if settings.gateway_section else parent]
    if settings.cluster_issuer and settings.gateway_section:
        parents += [dict(parent, sectionName=listener_name(app.name, h)) for h in hosts]
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": _web_metadata(app, settings),
        "spec": {
            "parentRefs": parents,
            "hostnames": hosts,
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"name": lb.WEB, "port": 80}],
                # Websockets and long polls must outlive the Gateway's default timeouts.
                "timeouts": {"request": f"{settings.proxy_timeout}s"},
            }],
        },
    }


def listener_field_manager(app: str) -> str:
    """The field manager owning ``app``'s listeners on the shared Gateway."""
    return f"paas-listeners-{app}"


def gateway_listeners(app: App | None, app_name: str, settings: KubernetesSettings) -> Manifest:
    """What ``app_name`` owns of the shared Gateway: its HTTPS listeners (none without
    ``app`` or TLS), applied with ``listener_field_manager`` so that applying an empty
    list removes exactly this app's listeners."""
    listeners: list[Manifest] = []
    if app is not None and settings.cluster_issuer:
        ns = lb.namespace(app_name, settings)
        listeners = [
            {
                "name": listener_name(app_name, host),
                "hostname": host,
                "port": 443,
                "protocol": "HTTPS",
                "tls": {"mode": "Terminate",
                        "certificateRefs": [{"kind": "Secret", "group": "",
                                             "name": certificate_secret(app_name, host)}]},
                "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {
                    "matchLabels": {"kubernetes.io/metadata.name": ns}}}},
            }
            for host in _hosts(app, settings)
        ]
    meta: Manifest = {"name": settings.gateway_name, "namespace": settings.gateway_namespace}
    if listeners:
        meta["annotations"] = {ISSUER_ANNOTATION: str(settings.cluster_issuer)}
    return {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": meta,
            "spec": {"listeners": listeners}}


# -- Ingress -----------------------------------------------------------------------------


def ingress_annotations(settings: KubernetesSettings) -> dict[str, str]:
    """What our servers need from the Ingress controller, in its profile's dialect.

    - Response buffering on (ingress-nginx turns it off by default). Streaming responses
      (SSE) opt out per response with ``X-Accel-Buffering: no``.
    - Long read/send timeouts so websockets and long polls are not cut after 60 s, and
      websockets proxied (the F5 controller needs the Service named for that).
    - A body size for ordinary uploads (both controllers allow 1m).
    """
    timeout = str(settings.proxy_timeout)
    notes: dict[str, str]
    if settings.ingress_profile == "ingress-nginx":
        notes = {
            _INGRESS_NGINX + "proxy-body-size": settings.body_size,
            _INGRESS_NGINX + "proxy-read-timeout": timeout,
            _INGRESS_NGINX + "proxy-send-timeout": timeout,
            _INGRESS_NGINX + "proxy-buffering": "on",
            _INGRESS_NGINX + "proxy-request-buffering": "on",
        }
        if settings.cluster_issuer:
            notes[_INGRESS_NGINX + "ssl-redirect"] = "true"
    else:
        notes = {
            _NGINX_ORG + "client-max-body-size": settings.body_size,
            _NGINX_ORG + "proxy-read-timeout": f"{timeout}s",
            _NGINX_ORG + "proxy-send-timeout": f"{timeout}s",
            _NGINX_ORG + "proxy-buffering": "true",
            _NGINX_ORG + "websocket-services": lb.WEB,
        }
        if settings.cluster_issuer:
            notes[_NGINX_ORG + "redirect-to-https"] = "true"
    if settings.cluster_issuer:
        notes[ISSUER_ANNOTATION] = settings.cluster_issuer
    return notes


def ingress(app: App, settings: KubernetesSettings) -> Manifest:
    """One rule per host: ``NAME.domain`` and each custom domain.

    TLS asks cert-manager (through the issuer annotation) for one certificate covering
    every host; paas creates no cert-manager objects itself.
    """
    hosts = _hosts(app, settings)
    backend = {"service": {"name": lb.WEB, "port": {"name": "http"}}}
    spec: Manifest = {
        "ingressClassName": settings.ingress_class,
        "rules": [
            {
                "host": host,
                "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
            }
            for host in hosts
        ],
    }
    if settings.cluster_issuer:
        spec["tls"] = [{"hosts": hosts, "secretName": "web-tls"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _web_metadata(app, settings, ingress_annotations(settings)),
        "spec": spec,
    }


def disruption_budget(app: App, settings: KubernetesSettings) -> Manifest:
    """Node drains take web replicas one at a time, so some always serve."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _web_metadata(app, settings),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": lb.selector(app.name, lb.WEB)}},
    }
