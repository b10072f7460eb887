"""How traffic reaches web: a Service, an ingress-nginx Ingress and a PodDisruptionBudget.

The Service selects web pods of every release, so during a rollout traffic moves pod by
pod as the new ones turn ready, never all at once.
"""

from __future__ import annotations

from paas.domain.app import App
from paas.domain.names import validate_hostname
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

_NGINX = "nginx.ingress.kubernetes.io/"


def _web_metadata(app: App, settings: KubernetesSettings) -> Manifest:
    return lb.metadata(lb.WEB, lb.namespace(app.name, settings), lb.labels(app.name, lb.WEB))


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


def ingress_annotations(settings: KubernetesSettings) -> dict[str, str]:
    """What our servers need from ingress-nginx.

    - Response buffering on: ingress-nginx turns it off by default, and a sync gunicorn
      worker must never be held by a slow client. Streaming responses (SSE) opt out per
      response with ``X-Accel-Buffering: no``; websockets are tunnelled and unaffected.
    - Long read/send timeouts so websockets and long polls are not cut after 60 s.
    - A body size for ordinary uploads (ingress-nginx allows 1m).
    """
    timeout = str(settings.proxy_timeout)
    notes = {
        _NGINX + "proxy-body-size": settings.body_size,
        _NGINX + "proxy-read-timeout": timeout,
        _NGINX + "proxy-send-timeout": timeout,
        _NGINX + "proxy-buffering": "on",
        _NGINX + "proxy-request-buffering": "on",
    }
    if settings.cluster_issuer:
        notes["cert-manager.io/cluster-issuer"] = settings.cluster_issuer
        notes[_NGINX + "ssl-redirect"] = "true"
    return notes


def ingress(app: App, settings: KubernetesSettings) -> Manifest:
    """One rule per host: ``NAME.domain`` and each custom domain.

    TLS asks cert-manager (through the issuer annotation) for one certificate covering
    every host; paas creates no cert-manager objects itself.
    """
    hosts = [validate_hostname(h) for h in app.hostnames(settings.domain)]
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
        "metadata": lb.metadata(
            lb.WEB,
            lb.namespace(app.name, settings),
            lb.labels(app.name, lb.WEB),
            ingress_annotations(settings),
        ),
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
