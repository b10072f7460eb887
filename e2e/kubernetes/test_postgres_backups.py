"""PostgreSQL backups on a real control plane (kwok nodes): the pg:backups verbs against
``paas server --runtime kubernetes`` under the chart's RBAC.

kwok runs nothing inside pods: it completes Job pods with exit code 0 (and fails those
whose image names ``paas-test-failing``, scripts/k8s/kwok-stages.yaml), so these
journeys check what the API server accepted (the Job's command, its environment from
the add-on's Secret, the backups claim it mounts; the CronJob) and what the platform
made of the Job's outcome, not the dump's bytes (the Docker journeys in
e2e/test_postgres.py restore real rows).

One app walks in order: attach postgres, capture, list, restore, schedule (set, update,
remove); a second platform whose postgres image fails shows a failed capture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from e2e.harness import Platform
from e2e.kubernetes.k8s_e2e import (
    DOMAIN,
    GATEWAY,
    GATEWAY_SECTION,
    SYSTEM_NS,
    AppUnderTest,
    create_app,
    eventually,
)
from e2e.registry import Registry

#: The image kwok fails Job pods of (scripts/k8s/kwok-stages.yaml).
FAILING_IMAGE = "paas-test-failing/postgres:15"


@pytest.fixture(scope="module")
def db_app(platform: Platform) -> Iterator[AppUnderTest]:
    app = create_app(platform)
    try:
        r = platform.paas("addons:create", "postgres", "-a", app.name)
        assert r.code == 0, r.text
        yield app
    finally:
        platform.paas("apps:destroy", app.name, "--confirm", app.name)


def batch(kube: Any) -> client.BatchV1Api:
    return client.BatchV1Api(kube)


def job_named(kube: Any, app: AppUnderTest, name: str) -> Any:
    return batch(kube).read_namespaced_job(name, app.namespace)


def jobs_with(kube: Any, app: AppUnderTest, selector: str) -> list[Any]:
    return list(batch(kube).list_namespaced_job(app.namespace, label_selector=selector).items)


def pod_of(job: Any) -> Any:
    return job.spec.template.spec


def test_capture_runs_a_job_into_the_apps_backups_claim(
        platform: Platform, db_app: AppUnderTest, kube: Any) -> None:
    captured = platform.paas("pg:backups:capture", "-a", db_app.name)
    assert captured.code == 0, captured.text
    assert captured.out.startswith(f"Captured b001 of {db_app.name}: ")
    job = job_named(kube, db_app, "postgres-capture-b001")
    assert job.status.succeeded == 1 and job.spec.backoff_limit == 0
    pod = pod_of(job)
    (container,) = pod.containers
    script = container.command[2]
    assert container.command[:2] == ["sh", "-c"]
    assert f"pg_dump -h postgres.{db_app.namespace}.svc -p 5432 -U app -d app " \
        "--format=custom > /backups/b001.dump.partial" in script
    password = next(e for e in container.env if e.name == "PGPASSWORD")
    assert password.value is None
    assert (password.value_from.secret_key_ref.name,
            password.value_from.secret_key_ref.key) == ("addon-postgres", "password")
    assert [(m.name, m.mount_path) for m in container.volume_mounts] == [
        ("backups", "/backups")]
    (volume,) = pod.volumes
    assert volume.persistent_volume_claim.claim_name == "backups"
    assert pod.security_context.run_as_user == 999 and pod.restart_policy == "Never"
    claim = eventually(lambda: (c := client.CoreV1Api(kube).read_namespaced_persistent_volume_claim(
        "backups", db_app.namespace)).status.phase == "Bound" and c)
    assert dict(claim.spec.resources.requests or {}).get("storage") == "20Gi"
    # the Job's pods are not the add-on's: its Service selects the database alone
    service = client.CoreV1Api(kube).read_namespaced_service("postgres", db_app.namespace)
    labels = job.spec.template.metadata.labels
    assert not service.spec.selector.items() <= labels.items()


def test_the_recorded_backup_is_listed_with_its_state(
        platform: Platform, db_app: AppUnderTest) -> None:
    listed = platform.paas("pg:backups", "-a", db_app.name)
    assert listed.code == 0, listed.text
    (line,) = listed.out.splitlines()
    assert line.startswith("b001 ") and line.endswith("manual")  # completed: no state shown
    capture = platform.paas("pg:backups:capture", "-a", db_app.name)
    assert capture.code == 0, capture.text
    listed = platform.paas("pg:backups", "-a", db_app.name)
    assert [row.split()[0] for row in listed.out.splitlines()] == ["b001", "b002"]


def test_restore_runs_a_job_reading_the_backup_in_one_transaction(
        platform: Platform, db_app: AppUnderTest, kube: Any) -> None:
    refused = platform.paas("pg:backups:restore", "b001", "-a", db_app.name)
    assert refused.code != 0 and "--confirm" in refused.err
    restored = platform.paas("pg:backups:restore", "b001", "--confirm", db_app.name,
                             "-a", db_app.name)
    assert restored.code == 0, restored.text
    assert restored.out.strip() == f"Restored b001 into {db_app.name}"
    (job,) = jobs_with(kube, db_app, "paas.io/backup-action=restore,paas.io/backup=b001")
    assert job.status.succeeded == 1
    script = pod_of(job).containers[0].command[2]
    assert "pg_restore" in script and "--single-transaction" in script
    assert script.endswith("< /backups/b001.dump")
    # again, the latest by default: a Job of its own, never the finished one reused
    again = platform.paas("pg:backups:restore", "--confirm", db_app.name, "-a", db_app.name)
    assert again.code == 0, again.text
    assert again.out.strip() == f"Restored b002 into {db_app.name}"
    assert len(jobs_with(kube, db_app, "paas.io/backup-action=restore")) == 2
    unknown = platform.paas("pg:backups:restore", "b999", "--confirm", db_app.name,
                            "-a", db_app.name)
    assert unknown.code != 0 and unknown.err.strip().count("\n") == 0
    assert "no backup b999" in unknown.err


def test_schedule_is_a_cronjob_updated_and_removed_in_place(
        platform: Platform, db_app: AppUnderTest, kube: Any) -> None:
    r = platform.paas("pg:backups:schedule", "--at", "03:30", "--keep", "3", "-a", db_app.name)
    assert r.code == 0, r.text
    cron = batch(kube).read_namespaced_cron_job("postgres-backups", db_app.namespace)
    assert (cron.spec.schedule, cron.spec.time_zone) == ("30 3 * * *", "Etc/UTC")
    assert cron.spec.successful_jobs_history_limit == 3
    script = pod_of(cron.spec.job_template).containers[0].command[2]
    assert "tail -n +4" in script and "/backups/a${n}.dump" in script
    uid = cron.metadata.uid
    r = platform.paas("pg:backups:schedule", "--at", "22:05", "--keep", "10", "-a", db_app.name)
    assert r.code == 0, r.text
    cron = batch(kube).read_namespaced_cron_job("postgres-backups", db_app.namespace)
    assert cron.metadata.uid == uid  # updated, not replaced
    assert (cron.spec.schedule, cron.spec.successful_jobs_history_limit) == ("5 22 * * *", 10)
    listed = platform.paas("pg:backups", "-a", db_app.name)
    assert "Daily at 22:05 UTC, keeping the last 10" in listed.out

    # What the CronJob controller does at 22:05, done now from its own template: the
    # Job it makes is listed as a scheduled backup, named after the Job.
    template = cron.spec.job_template
    made = client.V1Job(
        metadata=client.V1ObjectMeta(name="postgres-backups-29400000",
                                     labels=template.metadata.labels),
        spec=template.spec)
    batch(kube).create_namespaced_job(db_app.namespace, made)
    eventually(lambda: job_named(kube, db_app, "postgres-backups-29400000").status.succeeded)
    listed = platform.paas("pg:backups", "-a", db_app.name)
    assert "a29400000" in listed.out and "scheduled" in listed.out

    for _ in range(2):  # idempotent
        r = platform.paas("pg:backups:unschedule", "-a", db_app.name)
        assert r.code == 0, r.text
    eventually(lambda: not batch(kube).list_namespaced_cron_job(db_app.namespace).items)
    listed = platform.paas("pg:backups", "-a", db_app.name)
    assert "a29400000" in listed.out and "Daily" not in listed.out


def test_download_says_where_the_file_is(platform: Platform, db_app: AppUnderTest) -> None:
    r = platform.paas("pg:backups:download", "b001", "-a", db_app.name, "-o", "-")
    assert r.code != 0
    (line,) = r.err.strip().splitlines()
    assert f"/backups/b001.dump on the PersistentVolumeClaim backups of namespace " \
        f"{db_app.namespace}" in line and "kubectl cp" in line


@pytest.fixture(scope="module")
def failing_platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None,
                     registry: Registry, server_kubeconfig: Path) -> Iterator[Platform]:
    """A second platform on the same cluster whose postgres image kwok fails Jobs of."""
    p = Platform(
        tmp_path_factory.mktemp("platform-k8s-failing"),
        server_args=("--runtime", "kubernetes"),
        server_env={
            "KUBECONFIG": str(server_kubeconfig),
            "PAAS_REGISTRY": f"{registry.host}/apps",
            "PAAS_DOMAIN": DOMAIN,
            "PAAS_K8S_GATEWAY": GATEWAY,
            "PAAS_K8S_GATEWAY_NAMESPACE": SYSTEM_NS,
            "PAAS_K8S_GATEWAY_SECTION": GATEWAY_SECTION,
            "PAAS_POSTGRES_IMAGE": FAILING_IMAGE,
        },
    )
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


def test_a_failed_job_is_a_one_line_error_and_a_failed_backup(
        failing_platform: Platform, kube: Any) -> None:
    app = create_app(failing_platform)
    try:
        r = failing_platform.paas("addons:create", "postgres", "-a", app.name)
        assert r.code == 0, r.text
        failed = failing_platform.paas("pg:backups:capture", "-a", app.name)
        assert failed.code != 0
        # the Job's log lines (the detail) first, then the error in one line
        line = failed.err.strip().splitlines()[-1]
        assert line.startswith("error: the postgres backup b001 failed: "
                               "BackoffLimitExceeded: Job has reached the specified "
                               "backoff limit")
        assert "exit code 1 (Error)" in line
        listed = failing_platform.paas("pg:backups", "-a", app.name)
        assert listed.out.split()[0] == "b001" and listed.out.rstrip().endswith("failed")
        nothing = failing_platform.paas("pg:backups:restore", "--confirm", app.name,
                                        "-a", app.name)
        assert nothing.code != 0 and "no postgres backup yet" in nothing.err
    finally:
        failing_platform.paas("apps:destroy", app.name, "--confirm", app.name)
