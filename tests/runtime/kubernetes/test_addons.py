"""The add-on provider of the kubernetes runtime against the small fake: objects of any
kind applied, readiness awaited, removal with the volume claims, never pruned by a
deploy (the objects themselves are tested in test_addon_manifests.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paas.domain.addons import Addon, addon_config
from paas.domain.app import App
from paas.errors import RuntimeUnavailable
from paas.runtime.kubernetes import state
from paas.runtime.kubernetes.addon_provider import KubernetesAddons
from paas.runtime.kubernetes.runtime import KubernetesRuntime
from paas.runtime.kubernetes.settings import KubernetesSettings
from tests.runtime.kubernetes.apps import build, release
from tests.runtime.kubernetes.fake import FakeKube

SETTINGS = KubernetesSettings(domain="apps.example.com")
ADDON = Addon("shop", "redis", "p" * 24, datetime(2025, 1, 1, tzinfo=UTC))


def provider(fake: FakeKube) -> KubernetesAddons:
    return KubernetesAddons(fake, SETTINGS, lambda kind: f"img/{kind.name}", fake.clock)


def test_provider_applies_waits_and_returns_the_service_host():
    fake = FakeKube()
    host = provider(fake).ensure(ADDON)
    assert host == "redis.paas-shop.svc"
    assert addon_config(ADDON, host)["REDIS_URL"] == (
        f"redis://:{ADDON.password}@redis.paas-shop.svc:6379/0")
    applied = fake.applied()
    assert applied[0] == "Namespace/paas-shop" and applied[-1] == "StatefulSet/redis"
    assert {"Secret/addon-redis", "Service/redis", "NetworkPolicy/addon-redis"} <= set(applied)
    assert provider(fake).address("shop", "redis") == host


def test_an_add_on_made_before_the_first_deploy_is_already_held_by_the_app_policies():
    """The tenant controls what runs in its database: it must not reach the metadata
    address in the window before the app's first deploy applies the policies."""
    fake = FakeKube()
    provider(fake).ensure(ADDON)
    applied = fake.applied()
    first_addon_pod = applied.index("StatefulSet/redis")
    for policy in ("NetworkPolicy/default-deny-ingress", "NetworkPolicy/deny-metadata-egress"):
        assert applied.index(policy) < first_addon_pod


def test_a_deploy_never_prunes_add_on_objects():
    fake = FakeKube()
    provider(fake).ensure(ADDON)
    app = App("shop", ADDON.created_at)
    KubernetesRuntime(fake, SETTINGS, clock=fake.clock).deploy(
        app, release(b=build(), version=2), {"web": 1}, print)
    assert ("Secret", "paas-shop", "addon-redis") in fake.objects
    assert ("Service", "paas-shop", "redis") in fake.objects


def test_remove_takes_the_objects_and_the_volume_claims():
    fake = FakeKube()
    p = provider(fake)
    p.ensure(ADDON)
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
        "name": "data-redis-0", "namespace": "paas-shop",
        "labels": fake.objects[("StatefulSet", "paas-shop", "redis")]["metadata"]["labels"]}}
    fake.add(claim)
    p.remove("shop")
    # the namespace and its policies are the app's (they hold it before any deploy)
    app_policies = {"default-deny-ingress", "allow-web-from-ingress", "allow-same-app",
                    "deny-metadata-egress"}
    left = [k for k in fake.objects if k[0] != "Namespace"
            and not (k[0] == "NetworkPolicy" and k[2] in app_policies)]
    assert left == []
    assert p.address("shop", "redis") is None
    assert state.ADDON_TYPE_PREFIX == "addon-"


def test_provider_says_when_the_addon_never_turns_ready():
    fake = FakeKube(failing=("StatefulSet",))
    with pytest.raises(RuntimeUnavailable, match="redis add-on of shop was not ready"):
        provider(fake).ensure(ADDON)
