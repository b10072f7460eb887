"""Add-ons on Kubernetes: any kind from its record, valid strictly on every version."""

import base64
from datetime import UTC, datetime

import pytest

from paas.domain.addons import KINDS, Addon
from paas.runtime.kubernetes import addons
from paas.runtime.kubernetes.settings import KubernetesSettings
from tests.runtime.kubernetes.strict import validate_all

SECRET = "abcDEF123_-xyz-0123456789"
SETTINGS = KubernetesSettings()


def addon(kind: str) -> Addon:
    return Addon("shop", kind, SECRET, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_gives_valid_objects(kind):
    objs = addons.addon_objects(addon(kind), f"{kind}:1", SETTINGS)
    validate_all(objs)
    assert {o["kind"] for o in objs} >= {"Secret", "Service", "NetworkPolicy", "StatefulSet"}
    assert all(o["metadata"]["namespace"] == "paas-shop" for o in objs)


def test_postgres_statefulset_keeps_its_data_and_no_secret_in_the_pod_spec():
    objs = addons.addon_objects(addon("postgres"), "postgres:15", SETTINGS)
    sts = next(o for o in objs if o["kind"] == "StatefulSet")
    assert SECRET not in str(sts)
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    pod = sts["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 999 and pod["securityContext"]["runAsNonRoot"]
    (container,) = pod["containers"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/var/lib/postgresql" in mounts and "/etc/paas/postgres-password" in mounts
    secret = next(o for o in objs if o["kind"] == "Secret")
    assert base64.b64decode(secret["data"]["postgres-password"]).decode() == SECRET
    assert any(o["kind"] == "PersistentVolumeClaim" for o in objs)


def test_only_the_apps_pods_reach_the_addon():
    policy = addons.addon_network_policy(addon("postgres"), SETTINGS)
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"paas.io/app": "shop"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert policy["spec"]["podSelector"]["matchLabels"]["paas.io/process-type"] == \
        "addon-postgres"


def test_backup_and_restore_jobs_write_to_the_backups_claim():
    backup = addons.backup_job(addon("postgres"), "postgres:15", "b001", SETTINGS)
    restore = addons.backup_job(addon("postgres"), "postgres:15", "b001", SETTINGS,
                                restore=True)
    validate_all([backup, restore])
    script = backup["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "pg_dump" in script and "postgres.paas-shop.svc" in script
    assert "> /backups/b001.dump.partial && mv" in script
    assert SECRET not in str(backup) and SECRET not in str(restore)
    assert "< /backups/b001.dump" in restore["spec"]["template"]["spec"]["containers"][0][
        "command"][2]
    with pytest.raises(ValueError):
        addons.backup_job(addon("redis"), "redis", "b001", SETTINGS)
    from paas.errors import InvalidInput
    with pytest.raises(InvalidInput):
        addons.backup_job(addon("postgres"), "x", "../b001", SETTINGS)
