"""Add-ons on Kubernetes: any kind from its record, valid strictly on every version."""

import base64
from datetime import UTC, datetime, time

import pytest

from paas.domain.addons import KINDS, Addon
from paas.domain.backups import Schedule
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
    # the backups claim is not the add-on's: it is made with the first backup
    assert not any(o["kind"] == "PersistentVolumeClaim" for o in objs)


def test_only_the_apps_pods_reach_the_addon():
    policy = addons.addon_network_policy(addon("postgres"), SETTINGS)
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"paas.io/app": "shop"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert policy["spec"]["podSelector"]["matchLabels"]["paas.io/process-type"] == \
        "addon-postgres"


def _container(job):
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def test_capture_job_dumps_through_the_service_into_the_backups_claim():
    job = addons.backup_job(addon("postgres"), "postgres:15", "b001", SETTINGS, timeout=600)
    validate_all([job])
    container = _container(job)
    script = container["command"][2]
    assert container["command"][:2] == ["sh", "-c"]
    assert "pg_dump -h postgres.paas-shop.svc -p 5432 -U app -d app --format=custom" in script
    assert "> /backups/b001.dump.partial; mv /backups/b001.dump.partial /backups/b001.dump" \
        in script
    assert script.startswith("set -e;") and "stat -c %s /backups/b001.dump" in script
    password = next(e for e in container["env"] if e["name"] == "PGPASSWORD")
    assert password["valueFrom"] == {"secretKeyRef": {"name": "addon-postgres",
                                                      "key": "password"}}
    assert SECRET not in str(job)
    assert container["volumeMounts"] == [{"name": "backups", "mountPath": "/backups"}]
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "backups",
                               "persistentVolumeClaim": {"claimName": "backups"}}]
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 600
    assert job["metadata"]["name"] == "postgres-capture-b001"
    labels = job["spec"]["template"]["metadata"]["labels"]
    # the app's label (the add-on admits the app's pods), not the add-on's process type
    # (its Service would send the app's connections to the Job's pod)
    assert labels["paas.io/app"] == "shop"
    assert labels["paas.io/process-type"] == "addon-postgres-backup"
    assert labels["paas.io/backup"] == "b001"


def test_restore_job_reads_the_file_in_one_transaction_and_has_a_name_per_run():
    job = addons.backup_job(addon("postgres"), "postgres:15", "b001", SETTINGS,
                            restore=True, run="f00d")
    validate_all([job])
    script = _container(job)["command"][2]
    assert "pg_restore -h postgres.paas-shop.svc" in script
    assert "--single-transaction" in script and "--exit-on-error" in script
    assert script.endswith("< /backups/b001.dump")
    assert job["metadata"]["name"] == "postgres-restore-b001-f00d"
    assert SECRET not in str(job)


def test_kinds_without_backups_and_bad_ids_are_refused():
    with pytest.raises(ValueError):
        addons.backup_job(addon("redis"), "redis", "b001", SETTINGS)
    from paas.errors import InvalidInput
    with pytest.raises(InvalidInput):
        addons.backup_job(addon("postgres"), "x", "../b001", SETTINGS)


def test_backups_claim_belongs_to_the_app_not_the_addon():
    claim = addons.backups_pvc("shop", SETTINGS, "5Gi")
    validate_all([claim])
    assert claim["metadata"]["name"] == "backups"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert claim["metadata"]["labels"]["paas.io/process-type"] == "backups"


def test_schedule_is_a_daily_utc_cronjob_that_keeps_the_last_n():
    schedule = Schedule("shop", "postgres", time(3, 7), 5, datetime(2026, 1, 1, tzinfo=UTC))
    cron = addons.backup_cronjob(addon("postgres"), "postgres:15", schedule, SETTINGS)
    validate_all([cron])
    spec = cron["spec"]
    assert (spec["schedule"], spec["timeZone"]) == ("7 3 * * *", "Etc/UTC")
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] == 5
    container = _container(spec["jobTemplate"])
    script = container["command"][2]
    assert "pg_dump -h postgres.paas-shop.svc" in script
    assert "mv /backups/a${n}.dump.partial /backups/a${n}.dump" in script
    assert "tail -n +6" in script
    job_name = next(e for e in container["env"] if e["name"] == "PAAS_BACKUP_JOB")
    assert job_name["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['batch.kubernetes.io/job-name']"
    assert SECRET not in str(cron)


def test_scheduled_script_names_the_file_after_its_job_and_prunes_the_oldest(tmp_path):
    """The script's own file handling, run by sh with the dump replaced by echo."""
    import subprocess

    schedule = Schedule("shop", "postgres", time(3, 7), 2, datetime(2026, 1, 1, tzinfo=UTC))
    cron = addons.backup_cronjob(addon("postgres"), "postgres:15", schedule, SETTINGS)
    script = _container(cron["spec"]["jobTemplate"])["command"][2]
    script = script.replace("/backups", str(tmp_path))
    dump = script[script.index("pg_dump"):script.index(" > ")]
    script = script.replace(dump, "echo dump")
    for minute in ("29000001", "29000002", "29000003"):
        done = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                              env={"PAAS_BACKUP_JOB": f"postgres-backups-{minute}",
                                   "PATH": "/usr/bin:/bin"}, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "5"  # "dump\n"
    (tmp_path / "b001.dump").write_text("manual")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a29000002.dump", "a29000003.dump", "b001.dump"]
    bad = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                         env={"PAAS_BACKUP_JOB": "x-../1", "PATH": "/usr/bin:/bin"},
                         check=False)
    assert bad.returncode == 2
