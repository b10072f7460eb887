"""The routing switch against the real API server: Ingress with either annotation profile,
and TLS listeners of several apps on one shared Gateway (each app's own field manager).

These apply the runtime's objects with its own client and the admin credentials: what
is checked is that the API server accepts them and merges the listeners as intended.
No controller acts on them on this cluster.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.runtime.kubernetes import manifests, routing
from paas.runtime.kubernetes.api import ClusterApi, load_client
from paas.runtime.kubernetes.settings import KubernetesSettings

GATEWAY_API = "gateway.networking.k8s.io/v1"


@pytest.fixture
def api(admin_kubeconfig: str) -> ClusterApi:
    return ClusterApi(load_client(admin_kubeconfig))


@pytest.fixture
def settings() -> KubernetesSettings:
    return KubernetesSettings(domain="apps.paas.test", namespace_prefix=f"r{uuid.uuid4().hex[:6]}-")


@pytest.fixture
def app(api: ClusterApi, settings: KubernetesSettings) -> Iterator[App]:
    shop = App("shop", datetime.now(UTC), domains=("www.shop.example",))
    api.apply(manifests.namespace(shop, settings))
    try:
        yield shop
    finally:
        api.delete("v1", "Namespace", f"{settings.namespace_prefix}shop")


@pytest.mark.parametrize("profile", ["nginx-org", "ingress-nginx"])
def test_ingress_of_either_profile_is_accepted(api: ClusterApi, settings: KubernetesSettings,
                                               app: App, profile: str) -> None:
    chosen = replace(settings, routing="ingress", ingress_profile=profile, cluster_issuer="le")
    live = api.apply(routing.route(app, chosen))
    assert live["kind"] == "Ingress"
    assert live["spec"]["tls"][0]["hosts"] == ["shop.apps.paas.test", "www.shop.example"]
    prefix = "nginx.org/" if profile == "nginx-org" else "nginx.ingress.kubernetes.io/"
    assert any(k.startswith(prefix) for k in live["metadata"]["annotations"])


def test_apps_add_and_remove_only_their_own_tls_listeners(
        api: ClusterApi, settings: KubernetesSettings) -> None:
    name = f"tls-{uuid.uuid4().hex[:6]}"
    api.apply({"apiVersion": GATEWAY_API, "kind": "Gateway",
               "metadata": {"name": name, "namespace": "default"},
               "spec": {"gatewayClassName": "nginx",
                        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}},
              field_manager="cluster-admin")
    s = replace(settings, gateway_name=name, gateway_namespace="default",
                gateway_section="http", cluster_issuer="le")
    shop = App("shop", datetime.now(UTC), domains=("www.shop.example",))
    blog = App("blog", datetime.now(UTC))
    try:
        for app in (shop, blog):
            api.apply(routing.gateway_listeners(app, app.name, s),
                      field_manager=routing.listener_field_manager(app.name))
        live = api.get(GATEWAY_API, "Gateway", name, "default")
        assert live is not None
        hosts = [x.get("hostname") for x in live["spec"]["listeners"]]
        assert hosts == [None, "shop.apps.paas.test", "www.shop.example", "blog.apps.paas.test"]
        assert live["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "le"

        api.apply(routing.gateway_listeners(None, "shop", s),
                  field_manager=routing.listener_field_manager("shop"))
        live = api.get(GATEWAY_API, "Gateway", name, "default")
        assert live is not None
        assert [x["name"] for x in live["spec"]["listeners"]] == [
            "http", routing.listener_name("blog", "blog.apps.paas.test")]
        route = routing.http_route(blog, s)
        route["metadata"]["namespace"] = "default"
        assert api.apply(route)["spec"]["parentRefs"][1]["sectionName"] == (
            routing.listener_name("blog", "blog.apps.paas.test"))
        api.delete(GATEWAY_API, "HTTPRoute", "web", "default")
    finally:
        api.delete(GATEWAY_API, "Gateway", name, "default")
