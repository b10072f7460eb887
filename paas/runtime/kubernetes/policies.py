"""NetworkPolicies of an app namespace: the Docker runtime's network isolation, on a cluster.

Tenants are hostile, so each app namespace gets:

- ``default-deny-ingress``: no pod accepts a connection unless a policy below allows it;
- ``allow-web-from-ingress``: web pods accept their ``http`` port from the namespace of
  the ingress controller or Gateway (``PAAS_K8S_INGRESS_NAMESPACE``), and only that;
- ``allow-same-app``: every pod of the namespace (web, workers, add-ons) accepts the
  pods of the same app, so other apps reach neither its replicas nor its add-ons;
- ``deny-metadata-egress``: pods may connect anywhere except link-local addresses
  (169.254.0.0/16: the cloud metadata service and the node's credentials) and the IPv6
  metadata address, plus DNS on port 53 wherever the resolver is (NodeLocal DNSCache
  listens on a link-local address). Pods are listed as peers too: CNIs such as Cilium
  do not match pod addresses with ``ipBlock``, and the receiving namespace's own ingress
  policies decide who gets in.

Policies take effect where the cluster's CNI enforces them (Calico, Cilium, ...); on a
CNI without NetworkPolicy support they are accepted and do nothing.
"""

from __future__ import annotations

from paas.domain.app import App
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.manifests import namespace
from paas.runtime.kubernetes.settings import KubernetesSettings

METADATA_V4 = "169.254.0.0/16"
METADATA_V6 = "fd00:ec2::254/128"
#: Label the API server sets on every namespace (Kubernetes 1.21 and later).
NAMESPACE_NAME = "kubernetes.io/metadata.name"


def _policy(app: App, settings: KubernetesSettings, name: str, spec: Manifest) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": lb.metadata(name, lb.namespace(app.name, settings), lb.labels(app.name)),
        "spec": spec,
    }


def isolated_namespace(app: App, settings: KubernetesSettings) -> list[Manifest]:
    """The app's namespace and its policies, in the order to apply them: whatever runs
    there first (a release phase, or an add-on made before the first deploy) is already
    held by them."""
    return [namespace(app, settings), *network_policies(app, settings)]


def network_policies(app: App, settings: KubernetesSettings) -> list[Manifest]:
    """The four policies above, for the namespace of ``app``."""
    same_app = {"podSelector": {"matchLabels": {lb.APP: app.name}}}
    return [
        _policy(app, settings, "default-deny-ingress",
                {"podSelector": {}, "policyTypes": ["Ingress"]}),
        _policy(app, settings, "allow-web-from-ingress", {
            "podSelector": {"matchLabels": lb.selector(app.name, lb.WEB)},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": {
                    "matchLabels": {NAMESPACE_NAME: settings.ingress_namespace}}}],
                "ports": [{"protocol": "TCP", "port": "http"}],
            }],
        }),
        _policy(app, settings, "allow-same-app", {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [same_app]}],
        }),
        _policy(app, settings, "deny-metadata-egress", {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [
                    {"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_V4]}},
                    {"ipBlock": {"cidr": "::/0", "except": [METADATA_V6]}},
                    {"namespaceSelector": {}},
                ]},
                {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            ],
        }),
    ]
