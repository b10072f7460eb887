"""Backups of add-ons on Kubernetes: Jobs and a CronJob beside the app, never through the
platform server.

A capture is a Job running the kind's dump command against the add-on's Service into
the app's backups claim (made when the first backup is); the platform waits for it
(``PAAS_K8S_BACKUP_TIMEOUT``) and reads the size the Job prints. A restore is a Job
reading a file from that claim into the kind's restore command (one transaction: a
broken dump leaves the data as it was). A schedule is a CronJob whose command captures
and keeps the last N files itself, so the keep holds whether or not the platform server
runs at that hour; its Jobs (as many successful ones as it keeps) are the record of
scheduled backups. Downloads are refused with where the file is: the bytes stay on the
cluster. Objects come from ``paas.runtime.kubernetes.addons`` (pure); nothing here names
a kind.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from paas.domain.addons import Addon, AddonKind, kind_of
from paas.domain.backups import (
    COMPLETED,
    FAILED,
    RUNNING,
    SCHEDULED,
    Backup,
    Schedule,
    validate_id,
)
from paas.errors import BackupFailed, InvalidInput, PaasError
from paas.runtime.kubernetes import addons, state
from paas.runtime.kubernetes import labels as lb
from paas.runtime.kubernetes.api import KubeApi
from paas.runtime.kubernetes.labels import Manifest
from paas.runtime.kubernetes.settings import KubernetesSettings

#: Seconds the platform waits beyond a Job's own deadline for the Job controller to mark
#: it failed.
GRACE = 60
LOG_TAIL = 5


def job_state(job: Manifest) -> str:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") == "Complete":
            return COMPLETED
        if cond.get("status") == "True" and cond.get("type") == "Failed":
            return FAILED
    return RUNNING


def job_failure(job: Manifest) -> str:
    """The Job controller's reason in one line (``BackoffLimitExceeded: ...``)."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") == "Failed":
            reason, message = cond.get("reason") or "", cond.get("message") or ""
            return ": ".join(p for p in (reason, message) if p) or "the Job failed"
    return "the Job failed"


def pod_failure(pod: Manifest) -> str | None:
    """How the Job's pod ended (``exit code 1 (Error)``), if it did."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        ended = (status.get("state") or {}).get("terminated")
        if ended:
            reason = ended.get("reason")
            return f"exit code {ended.get('exitCode')}" + (f" ({reason})" if reason else "")
    return None


def scheduled_backup(job: Manifest) -> Backup | None:
    """The scheduled backup a CronJob's Job made (``a<N>``, N from the Job's name, as
    its command names the file), or None for any other Job."""
    labels = job["metadata"].get("labels") or {}
    kind = (labels.get(lb.PROCESS_TYPE) or "").removeprefix(addons.addon_type(""))
    kind = kind.removesuffix("-backup")
    name = state.name_of(job)
    prefix = f"{addons.backup_schedule_name(kind)}-"
    if addons.BACKUP_ID in labels or not kind or not name.startswith(prefix):
        return None
    try:
        backup_id = validate_id(f"{SCHEDULED}{name.removeprefix(prefix)}")
    except InvalidInput:
        return None
    status = job.get("status") or {}
    started = state.parse_time(status.get("startTime"))
    created = state.parse_time(job["metadata"].get("creationTimestamp")) or started
    ended = state.parse_time(status.get("completionTime"))
    duration = (ended - started).total_seconds() if started and ended else 0.0
    return Backup(id=backup_id, app=labels.get(lb.APP, ""), kind=kind,
                  created_at=created or datetime.fromtimestamp(0, UTC), size=None,
                  duration=round(duration, 3), state=job_state(job))


class KubernetesBackups:
    """The runtime's side of add-on backups on a cluster (``RuntimeBackups``)."""

    def __init__(self, api: KubeApi, settings: KubernetesSettings,
                 image: Callable[[AddonKind], str],
                 clock: Callable[[], float] = time.monotonic,
                 run_name: Callable[[], str] = lambda: secrets.token_hex(3)) -> None:
        self._api = api
        self._settings = settings
        self._image = image
        self._clock = clock
        self._run_name = run_name

    def _ns(self, app: str) -> str:
        return lb.namespace(app, self._settings)

    def _ensure_claim(self, app: str) -> None:
        """The app's backups claim, made when first needed and then left alone (a claim
        cannot shrink, so a smaller setting later must not fail every capture)."""
        selector = f"{lb.managed(app)},{lb.PROCESS_TYPE}={addons.BACKUPS}"
        if not self._api.list("v1", "PersistentVolumeClaim", self._ns(app), selector):
            self._api.apply(addons.backups_pvc(app, self._settings,
                                               self._settings.backup_storage))

    def _run(self, addon: Addon, job: Manifest, what: str) -> list[str]:
        """Apply ``job``, wait until it ends; its log's last lines, or BackupFailed."""
        self._ensure_claim(addon.app)
        self._api.apply(job)
        name, ns = state.name_of(job), self._ns(addon.app)
        selector = ",".join(f"{k}={v}" for k, v in sorted(job["metadata"]["labels"].items()))
        timeout = self._settings.backup_timeout + GRACE
        deadline = self._clock() + timeout
        ended: Manifest | None = None
        while ended is None and (remaining := deadline - self._clock()) > 0:
            for obj in self._api.watch("batch/v1", "Job", ns, selector,
                                       max(1, math.ceil(remaining))):
                if state.name_of(obj) == name and job_state(obj) != RUNNING:
                    ended = obj
                    break
        tail, pod_end = self._pod(addon.app, name)
        if ended is None:
            raise BackupFailed(f"{what} did not finish within {timeout}s (Job {name} in "
                               f"namespace {ns})", "\n".join(tail))
        if job_state(ended) == FAILED:
            details = [d for d in (pod_end, tail[-1] if tail else None) if d]
            raise BackupFailed(f"{what} failed: {job_failure(ended)}"
                               + (f" ({'; '.join(details)})" if details else ""),
                               "\n".join(tail))
        return tail

    def _pod(self, app: str, job: str) -> tuple[list[str], str | None]:
        """The last log lines and the end of the Job's pod."""
        pods = self._api.list("v1", "Pod", self._ns(app),
                              f"{lb.managed(app)},{addons.JOB_NAME_LABEL}={job}")
        if not pods:
            return [], None
        pod = pods[-1]
        container = pod["spec"]["containers"][0]["name"]
        try:
            text = self._api.pod_log(self._ns(app), state.name_of(pod), container, LOG_TAIL)
        except PaasError:
            text = ""
        return [line for line in text.splitlines() if line.strip()], pod_failure(pod)

    def capture(self, addon: Addon, backup_id: str) -> int | None:
        """Run the capture Job to its end; the size it printed, if it did."""
        kind = kind_of(addon)
        job = addons.backup_job(addon, self._image(kind), backup_id, self._settings,
                                timeout=self._settings.backup_timeout)
        tail = self._run(addon, job, f"the {kind.name} backup {backup_id}")
        last = tail[-1].strip() if tail else ""
        return int(last) if last.isdigit() else None

    def restore(self, addon: Addon, backup_id: str) -> None:
        kind = kind_of(addon)
        job = addons.backup_job(addon, self._image(kind), backup_id, self._settings,
                                restore=True, run=self._run_name(),
                                timeout=self._settings.backup_timeout)
        self._run(addon, job, f"the {kind.name} restore of {backup_id} (the data is "
                              "unchanged)")

    def scheduled(self, app: str) -> list[Backup]:
        """Scheduled backups: the Jobs of the app's backup CronJobs still listed."""
        jobs = self._api.list("batch/v1", "Job", self._ns(app),
                              f"{lb.managed(app)},{addons.BACKUP_ACTION}={addons.CAPTURE}")
        return [b for j in jobs if (b := scheduled_backup(j)) is not None]

    def set_schedule(self, addon: Addon, schedule: Schedule) -> None:
        """Apply the CronJob (a new time or keep updates it in place)."""
        self._ensure_claim(addon.app)
        kind = kind_of(addon)
        self._api.apply(addons.backup_cronjob(addon, self._image(kind), schedule,
                                              self._settings,
                                              timeout=self._settings.backup_timeout))

    def unset_schedule(self, app: str, kind: str) -> None:
        """Delete the CronJob; its Jobs stay (orphaned), and with them the list of the
        scheduled backups whose files stay on the claim."""
        self._api.delete("batch/v1", "CronJob", addons.backup_schedule_name(kind),
                         self._ns(app), keep_dependents=True)

    def locate(self, backup: Backup) -> str:
        """Where a person finds the file, for a download this runtime does not do."""
        return (f"{addons.backup_path(backup.id)} on the PersistentVolumeClaim "
                f"{addons.BACKUPS} of namespace {self._ns(backup.app)}: `kubectl cp` it "
                "from a pod that mounts that claim")
