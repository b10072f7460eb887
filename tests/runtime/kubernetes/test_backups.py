"""Backups on the kubernetes runtime against the small fake cluster: the backup service
records what its Jobs did; a schedule is a CronJob whose Jobs are the scheduled backups
(the objects themselves are tested in test_addon_manifests.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paas.domain.addons import Addon
from paas.domain.app import App
from paas.errors import BackupFailed, InvalidInput
from paas.runtime.kubernetes.backups import KubernetesBackups, scheduled_backup
from paas.runtime.kubernetes.settings import KubernetesSettings
from paas.services.backups import BackupService
from paas.store.backups import BackupFiles
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore
from tests.runtime.kubernetes.fake import FakeKube
from tests.services.fakes import FakeAddons

SETTINGS = KubernetesSettings(backup_storage="3Gi")
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeKube:
    return FakeKube()


@pytest.fixture
def service(fake, tmp_path) -> BackupService:
    store = SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())
    store.create_app(App(name="shop", created_at=CREATED))
    store.add_addon(Addon("shop", "postgres", "p" * 24, CREATED))
    runtime = KubernetesBackups(fake, SETTINGS, lambda kind: f"img/{kind.name}", fake.clock,
                                run_name=lambda: "r1")
    return BackupService(store, FakeAddons(), BackupFiles(tmp_path / "backups"),
                         kept_by_runtime=runtime)


def test_capture_runs_a_job_into_a_claim_made_once_and_records_it(fake, service):
    first = service.capture("shop", "postgres")
    assert (first.id, first.state) == ("b001", "completed")
    assert fake.applied() == ["PersistentVolumeClaim/backups", "Job/postgres-capture-b001"]
    claim = fake.objects[("PersistentVolumeClaim", "paas-shop", "backups")]
    assert claim["spec"]["resources"]["requests"]["storage"] == "3Gi"
    second = service.capture("shop", "postgres")
    assert second.id == "b002"
    assert fake.applied().count("PersistentVolumeClaim/backups") == 1
    assert [(b.id, b.state) for b in service.backups("shop")] == [
        ("b001", "completed"), ("b002", "completed")]
    assert service.latest("shop", "postgres") == second


def test_size_comes_from_the_jobs_last_log_line(fake, service):
    job_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "postgres-capture-b001-x", "namespace": "paas-shop", "labels": {
            "app.kubernetes.io/managed-by": "paas", "paas.io/app": "shop",
            "batch.kubernetes.io/job-name": "postgres-capture-b001"}},
        "spec": {"containers": [{"name": "capture"}]}}
    fake.add(job_pod)
    fake.logs["postgres-capture-b001-x"] = "4096\n"
    assert service.capture("shop", "postgres").size == 4096


def test_a_failed_job_is_a_one_line_error_and_a_failed_record(fake, service):
    fake.failing.add("Job")
    with pytest.raises(BackupFailed) as e:
        service.capture("shop", "postgres")
    assert e.value.message.startswith("the postgres backup b001 failed: ")
    assert "\n" not in e.value.message
    (b,) = service.backups("shop")
    assert (b.id, b.state) == ("b001", "failed")
    assert service.latest("shop", "postgres") is None
    with pytest.raises(InvalidInput, match="b001 is failed"):
        service.restore("shop", "postgres", "b001")
    fake.failing.clear()
    assert service.capture("shop", "postgres").id == "b002"  # the id is never reused


def test_restore_runs_a_job_per_run_of_the_latest_completed(fake, service):
    service.capture("shop", "postgres")
    restored = service.restore("shop", "postgres")
    assert restored.id == "b001"
    assert "Job/postgres-restore-b001-r1" in fake.applied()


def test_schedule_applies_updates_and_removes_the_cronjob_keeping_its_jobs(fake, service):
    service.set_schedule("shop", "postgres", "03:30", 4)
    cron = fake.objects[("CronJob", "paas-shop", "postgres-backups")]
    assert cron["spec"]["schedule"] == "30 3 * * *"
    service.set_schedule("shop", "postgres", "04:15", 9)
    cron = fake.objects[("CronJob", "paas-shop", "postgres-backups")]
    assert (cron["spec"]["schedule"], cron["spec"]["successfulJobsHistoryLimit"]) == (
        "15 4 * * *", 9)
    template = cron["spec"]["jobTemplate"]
    fake.add({"apiVersion": "batch/v1", "kind": "Job", "metadata": {
        "name": "postgres-backups-29400000", "namespace": "paas-shop",
        "creationTimestamp": "2026-01-02T04:15:00Z", "labels": template["metadata"]["labels"]},
        "status": {"startTime": "2026-01-02T04:15:01Z",
                   "completionTime": "2026-01-02T04:15:31Z",
                   "conditions": [{"type": "Complete", "status": "True"}]}})
    (scheduled,) = service.backups("shop")
    assert (scheduled.id, scheduled.state, scheduled.duration) == ("a29400000", "completed",
                                                                   30.0)
    assert scheduled.scheduled and service.get("shop", "a29400000") == scheduled
    service.unset_schedule("shop", "postgres")
    service.unset_schedule("shop", "postgres")  # idempotent
    assert ("CronJob", "paas-shop", "postgres-backups") not in fake.objects
    assert [b.id for b in service.backups("shop")] == ["a29400000"]
    assert service.schedule("shop") is None


def test_download_says_where_the_file_is(service):
    service.capture("shop", "postgres")
    with pytest.raises(InvalidInput) as e:
        service.open("shop", "b001")
    assert "/backups/b001.dump on the PersistentVolumeClaim backups of namespace " \
        "paas-shop" in e.value.message and "kubectl cp" in e.value.message


def test_only_the_cronjobs_jobs_are_scheduled_backups():
    labels = {"paas.io/app": "shop", "paas.io/process-type": "addon-postgres-backup"}
    manual = {"metadata": {"name": "postgres-capture-b001",
                           "labels": {**labels, "paas.io/backup": "b001"}}}
    stranger = {"metadata": {"name": "postgres-backups-x1", "labels": labels}}
    assert scheduled_backup(manual) is None and scheduled_backup(stranger) is None
