"""Add-ons on a cluster: any AddonKind record as strictly valid objects, applied and
removed by the provider against the small fake."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from paas.domain.addons import KINDS, REDIS, Addon, addon_config
from paas.errors import RuntimeUnavailable
from paas.runtime.kubernetes import addons
from paas.runtime.kubernetes.addon_provider import KubernetesAddons
from paas.runtime.kubernetes.settings import KubernetesSettings
from tests.runtime.kubernetes.fake import FakeKube
from tests.runtime.kubernetes.strict import validate_all

SETTINGS = KubernetesSettings(domain="apps.example.com")
ADDON = Addon("shop", "redis", "p" * 24, datetime(2025, 1, 1, tzinfo=UTC))


def by_kind(objs: list[dict]) -> dict[str, dict]:
    return {o["kind"]: o for o in objs}


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_kind_gives_strictly_valid_objects(kind):
    addon = Addon("shop", kind.name, "p" * 24, ADDON.created_at)
    objs = addons.addon_objects(addon, kind, "paas-stack/x:1", SETTINGS)
    validate_all(objs)
    assert [o["kind"] for o in objs] == ["Secret", "Service", "NetworkPolicy", "StatefulSet"]
    for obj in objs:
        assert obj["metadata"]["namespace"] == "paas-shop"
        # never matched by the app's own prune selector (managed-by=paas)
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "paas-addons"


def test_redis_reads_its_password_from_a_mounted_secret_file_only():
    objs = by_kind(addons.addon_objects(ADDON, REDIS, "redis:7", SETTINGS))
    conf = base64.b64decode(objs["Secret"]["data"]["redis.conf"]).decode()
    assert f'requirepass "{ADDON.password}"' in conf
    sts = objs["StatefulSet"]["spec"]
    pod = sts["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["redis-server", "/etc/paas/redis.conf"]
    assert ADDON.password not in str(sts)
    assert {"name": "files-0", "mountPath": "/etc/paas", "readOnly": True} in (
        container["volumeMounts"])
    assert container["readinessProbe"]["exec"]["command"] == list(REDIS.ready)
    assert container["env"] == [{"name": "REDISCLI_AUTH", "valueFrom": {
        "secretKeyRef": {"name": "addon-redis", "key": "REDISCLI_AUTH"}}}]
    claim = sts["volumeClaimTemplates"][0]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]


def test_network_policy_admits_only_the_apps_process_pods_on_the_port():
    policy = by_kind(addons.addon_objects(ADDON, REDIS, "redis:7", SETTINGS))["NetworkPolicy"]
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"]["paas.io/addon"] == "redis"
    assert spec["policyTypes"] == ["Ingress"]
    [rule] = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    [peer] = rule["from"]
    assert set(peer) == {"podSelector"}  # same namespace only: no namespaceSelector
    assert peer["podSelector"]["matchLabels"] == {"paas.io/app": "shop"}


def test_provider_applies_waits_and_returns_the_service_host():
    fake = FakeKube()
    provider = KubernetesAddons(fake, SETTINGS, lambda kind: f"img/{kind.name}", fake.clock)
    host = provider.ensure(ADDON)
    assert host == "addon-redis.paas-shop.svc"
    assert addon_config(ADDON, host)["REDIS_URL"] == (
        f"redis://:{ADDON.password}@addon-redis.paas-shop.svc:6379/0")
    assert fake.applied() == ["Namespace/paas-shop", "Secret/addon-redis", "Service/addon-redis",
                              "NetworkPolicy/addon-redis", "StatefulSet/addon-redis"]
    assert provider.address("shop", "redis") == host
    provider.remove("shop")
    assert not [k for k in fake.objects if k[0] != "Namespace"]
    assert provider.address("shop", "redis") is None


def test_provider_says_when_the_addon_never_turns_ready():
    fake = FakeKube(failing=("StatefulSet",))
    provider = KubernetesAddons(fake, SETTINGS, lambda kind: "img", fake.clock)
    with pytest.raises(RuntimeUnavailable, match="redis add-on of shop was not ready"):
        provider.ensure(ADDON)
