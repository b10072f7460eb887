"""Apply, release phase, rollout wait, rollback and prune, against the small fake."""

from __future__ import annotations

import pytest

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.errors import DeployFailed, PaasError
from paas.runtime.kubernetes.runtime import KubernetesRuntime
from paas.runtime.kubernetes.settings import KubernetesSettings
from tests.runtime.kubernetes.apps import FULL, WHEN, build, release
from tests.runtime.kubernetes.fake import FakeKube

NS = "paas-shop"
APP = App("shop", WHEN, formation={"web": 2, "worker": 1})


def runtime(fake: FakeKube) -> KubernetesRuntime:
    settings = KubernetesSettings(domain="apps.example.com")
    return KubernetesRuntime(fake, settings, clock=fake.clock, run_name=lambda: "run-1")


def deployed(fake: FakeKube, name: str) -> dict:
    return fake.objects[("Deployment", NS, name)]


def release_of(dep: dict) -> str:
    return dep["spec"]["template"]["metadata"]["labels"]["paas.io/release"]


def add_pod(fake: FakeKube, name: str, process_type: str, version: int, **status) -> None:
    labels = {
        "app.kubernetes.io/managed-by": "paas",
        "paas.io/app": "shop",
        "paas.io/process-type": process_type,
        "paas.io/release": f"v{version}",
    }
    fake.add(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": labels},
            "status": status,
        }
    )


def test_release_job_then_workloads_and_waits():
    # The deploy use case runs the release phase, then deploys (paas.services.deploy).
    fake, lines = FakeKube(), list[str]()
    rt = runtime(fake)
    rt.run_release_phase(APP, release(b=FULL, version=1), lines.append)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lines.append)
    order = fake.applied()
    assert order.index("Secret/config-v1") < order.index("Job/release-v1")
    assert order.index("Job/release-v1") < order.index("Deployment/web")
    assert {
        "Deployment/web",
        "Deployment/worker",
        "Deployment/beat",
        "Service/web",
        "HTTPRoute/web",
    } <= set(order)
    assert (
        "watch",
        "Deployment",
        "app.kubernetes.io/managed-by=paas,paas.io/app=shop",
    ) in fake.calls
    assert lines[0].startswith("Running release command: python manage.py migrate")
    assert lines[-1] == "v1 is up: web, worker, beat"


def test_failed_release_phase_changes_no_workload_and_shows_the_job_log():
    fake = FakeKube(failing=("Job",))
    add_pod(fake, "release-v1-x", "release", 1)
    fake.logs["release-v1-x"] = (
        "Applying shop.0001_initial...\ndjango.db.utils.OperationalError: no db"
    )
    with pytest.raises(DeployFailed, match="release command of v1 failed") as err:
        runtime(fake).run_release_phase(APP, release(b=FULL, version=1), lambda _: None)
    assert "OperationalError: no db" in err.value.log
    assert not fake.applied("Deployment") and not fake.applied("Service")


def test_release_phase_runs_once_per_release():
    fake = FakeKube()
    rt = runtime(fake)
    rt.run_release_phase(APP, release(b=FULL, version=1), lambda _: None)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lambda _: None)
    assert fake.applied("Job") == ["Job/release-v1"]


def test_deploy_and_restart_never_run_the_release_phase():
    # A scale or restart after the Job's TTL must not run migrations again.
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lambda _: None)
    rt.restart(APP, release(b=FULL, version=1), APP.formation, ["web"], lambda _: None)
    assert not fake.applied("Job")


def test_release_phase_is_skipped_without_a_release_command():
    fake = FakeKube()
    runtime(fake).deploy(APP, release(version=1), {}, lambda _: None)
    assert not fake.applied("Job")


def test_unready_rollout_rolls_back_to_the_previous_release_and_says_why():
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(version=1), {"web": 2}, lambda _: None)
    fake.failing.add("Deployment")
    add_pod(
        fake, "web-7f9c-abcde", "web", 2, containerStatuses=[{"name": "app", "restartCount": 3}]
    )
    fake.logs["web-7f9c-abcde"] = (
        "Traceback (most recent call last):\nImportError: no module named shop"
    )
    fake.add(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container app",
            "involvedObject": {"kind": "Pod", "name": "web-7f9c-abcde"},
            "metadata": {"name": "e1", "namespace": NS},
        }
    )

    with pytest.raises(DeployFailed) as err:
        rt.deploy(APP, release(version=2, b=build(port=8000)), {"web": 2}, lambda _: None)

    assert "v2 of shop did not become ready" in err.value.message
    assert "rolled back, v1 is still serving" in err.value.message
    assert "\n" not in err.value.message
    assert "BackOff: Back-off restarting failed container app" in err.value.log
    assert "web-7f9c-abcde: ImportError: no module named shop" in err.value.log
    web = deployed(fake, "web")
    assert release_of(web) == "v1" and web["metadata"]["labels"]["paas.io/release"] == "v1"
    assert "deployment.kubernetes.io/revision" not in web["metadata"].get("annotations", {})
    port = web["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert port == 5000


def test_failed_first_deploy_removes_what_it_created():
    fake = FakeKube(failing=("Deployment",))
    with pytest.raises(DeployFailed, match="nothing was running"):
        runtime(fake).deploy(APP, release(version=1), {"web": 1}, lambda _: None)
    assert not [k for k in fake.objects if k[0] in ("Deployment", "Service", "HTTPRoute")]


def test_rollout_that_never_becomes_ready_times_out_on_the_watch_clock():
    fake = FakeKube(failing=("Deployment",))
    with pytest.raises(DeployFailed, match="web not ready after 300s"):
        runtime(fake).deploy(APP, release(version=1), {"web": 1}, lambda _: None)
    assert fake.now >= 300


def test_progress_deadline_fails_the_rollout_early():
    fake = FakeKube()
    rt = runtime(fake)

    def stuck(obj):
        live = fake.objects[(obj["kind"], NS, obj["metadata"]["name"])]
        live["status"] = {
            "observedGeneration": live["metadata"]["generation"],
            "conditions": [
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
            ],
        }

    fake.settle = stuck  # type: ignore[method-assign]
    with pytest.raises(DeployFailed, match="web exceeded its progress deadline"):
        rt.deploy(APP, release(version=1), {"web": 1}, lambda _: None)
    assert fake.now < 300


def test_removed_process_types_and_old_release_objects_are_pruned():
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lambda _: None)
    rt.deploy(APP, release(b=FULL, version=2), APP.formation, lambda _: None)
    fake.add(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "keda-owned",
                "namespace": NS,
                "labels": {"app.kubernetes.io/managed-by": "paas", "paas.io/app": "shop"},
                "ownerReferences": [{"kind": "ScaledObject"}],
            },
        }
    )
    web_only = build(processes={"web": "gunicorn shop.wsgi"})
    rt.deploy(APP, release(b=web_only, version=3), APP.formation, lambda _: None)

    names = {(k, n) for k, ns, n in fake.objects if ns == NS}
    assert ("Deployment", "worker") not in names and ("Deployment", "beat") not in names
    assert ("Deployment", "keda-owned") in names  # its owner prunes it, not us
    assert ("Secret", "config-v1") not in names  # v3 and v2 (rollback target) stay
    assert {("Secret", "config-v2"), ("Secret", "config-v3")} <= names
    assert ("ConfigMap", "web-nginx-v1") not in names and ("ConfigMap", "web-nginx-v2") in names
    assert ("Deployment", "web") in names and ("Service", "web") in names


def test_app_that_drops_web_loses_its_route():
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(version=1), {"web": 1}, lambda _: None)
    rt.deploy(
        APP, release(version=2, b=build(processes={"worker": "celery worker"})), {}, lambda _: None
    )
    kinds = {k for k, ns, n in fake.objects if ns == NS and n == "web"}
    assert kinds == set()


def test_cpu_autoscaling_hands_replicas_to_the_hpa_and_back():
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(version=1), {"web": 3}, lambda _: None)
    policy = AutoscalePolicy("web", 2, 8, Metric.CPU, cpu_percent=60)

    rt.apply_autoscaling(APP, [policy])
    assert ("apply:paas-replicas", "Deployment", "web") in fake.calls
    assert ("HorizontalPodAutoscaler", NS, "web") in fake.objects

    deployed(fake, "web")["spec"]["replicas"] = 7  # the HPA scaled up
    rt.deploy(APP, release(version=2), {"web": 3}, lambda _: None)
    assert deployed(fake, "web")["spec"]["replicas"] == 7  # paas no longer sets the count
    assert ("HorizontalPodAutoscaler", NS, "web") in fake.objects  # deploy keeps it
    assert ("PodDisruptionBudget", NS, "web") in fake.objects

    rt.apply_autoscaling(APP, [])
    assert ("HorizontalPodAutoscaler", NS, "web") not in fake.objects
    assert deployed(fake, "web")["spec"]["replicas"] == 2  # APP.formation


def test_queue_autoscaling_creates_keda_objects_and_removes_them_with_the_policy():
    fake = FakeKube()
    rt = runtime(fake)
    config = {"CELERY_BROKER_URL": "redis://redis:6379/0"}
    rt.deploy(APP, release(b=FULL, version=1, **config), APP.formation, lambda _: None)
    policy = AutoscalePolicy("worker", 0, 10, Metric.QUEUE, queue="celery", per_replica=5)

    rt.apply_autoscaling(APP, [policy], config)
    for kind, name in [
        ("ScaledObject", "worker"),
        ("TriggerAuthentication", "broker"),
        ("Secret", "broker"),
    ]:
        assert (kind, NS, name) in fake.objects

    rt.deploy(APP, release(b=FULL, version=2, **config), APP.formation, lambda _: None)
    assert ("ScaledObject", NS, "worker") in fake.objects and (
        "Secret",
        NS,
        "broker",
    ) in fake.objects

    rt.apply_autoscaling(APP, [], config)
    for kind, name in [
        ("ScaledObject", "worker"),
        ("TriggerAuthentication", "broker"),
        ("Secret", "broker"),
    ]:
        assert (kind, NS, name) not in fake.objects
    assert deployed(fake, "worker")["spec"]["replicas"] == 1


def test_processes_lists_replicas_not_release_or_run_pods():
    fake = FakeKube()
    add_pod(
        fake,
        "web-1",
        "web",
        4,
        phase="Running",
        startTime="2025-01-01T10:00:00Z",
        containerStatuses=[{"name": "app", "ready": True, "state": {"running": {}}}],
    )
    add_pod(
        fake,
        "worker-1",
        "worker",
        4,
        containerStatuses=[{"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
    )
    add_pod(fake, "release-v4-x", "release", 4)
    add_pod(fake, "run-1", "run", 4)
    procs = runtime(fake).processes("shop")
    assert [(p.process_type, p.name, p.release, p.state) for p in procs] == [
        ("web", "web-1", 4, "up"),
        ("worker", "worker-1", 4, "CrashLoopBackOff"),
    ]
    assert procs[0].started_at is not None and procs[0].started_at.hour == 10


def test_logs_merge_pods_in_time_order():
    fake = FakeKube()
    add_pod(fake, "web-1", "web", 1)
    add_pod(fake, "worker-1", "worker", 1)
    fake.logs["web-1"] = "2025-01-01T10:00:01Z GET /\n2025-01-01T10:00:03Z GET /about"
    fake.logs["worker-1"] = "2025-01-01T10:00:02Z task ok"
    assert runtime(fake).logs("shop") == [
        "2025-01-01T10:00:01Z web-1: GET /",
        "2025-01-01T10:00:02Z worker-1: task ok",
        "2025-01-01T10:00:03Z web-1: GET /about",
    ]
    assert runtime(fake).logs("shop", "worker") == ["2025-01-01T10:00:02Z worker-1: task ok"]


def test_logs_leave_out_add_on_pods_which_run_no_app_container():
    fake = FakeKube()
    add_pod(fake, "web-1", "web", 1)
    add_pod(fake, "postgres-0", "addon-postgres", 1)
    fake.logs["web-1"] = "2025-01-01T10:00:01Z GET /"
    # the cluster answers an error for its (absent) app container; never asked for it
    fake.logs["postgres-0"] = "2025-01-01T10:00:00Z not an app line"
    assert runtime(fake).logs("shop") == ["2025-01-01T10:00:01Z web-1: GET /"]


@pytest.mark.parametrize("failing, code", [((), 0), (("Pod",), 3)])
def test_run_returns_the_exit_code_shows_output_and_removes_the_pod(failing, code):
    fake, lines = FakeKube(failing=failing), list[str]()
    fake.logs["run-1"] = "hello"
    assert runtime(fake).run(APP, release(version=4), "python -c 'print(1)'", lines.append) == code
    assert lines == ["hello"]
    assert ("delete", "Pod", "run-1") in fake.calls and ("Pod", NS, "run-1") not in fake.objects
    pod = next(c for c in fake.calls if c[1] == "Pod")
    assert pod == ("apply:paas", "Pod", "run-1")


def test_network_policies_are_in_place_before_any_app_pod_runs():
    fake, lines = FakeKube(), list[str]()
    rt = runtime(fake)
    rt.run_release_phase(APP, release(b=FULL, version=1), lines.append)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lines.append)
    order = fake.applied()
    wanted = ["NetworkPolicy/default-deny-ingress", "NetworkPolicy/allow-web-from-ingress",
              "NetworkPolicy/allow-same-app", "NetworkPolicy/deny-metadata-egress"]
    assert set(wanted) <= set(order)
    first_pod = min(order.index("Job/release-v1"), order.index("Deployment/web"))
    assert all(order.index(p) < first_pod for p in wanted)
    assert ("NetworkPolicy", NS, "deny-metadata-egress") in fake.objects


def test_destroy_deletes_the_namespace():
    fake = FakeKube()
    runtime(fake).destroy("shop")
    assert fake.calls == [("delete", "Namespace", "paas-shop")]


def test_reconcile_reapplies_current_releases_without_release_phase_or_waiting():
    fake = FakeKube()
    runtime(fake).reconcile([(APP, release(b=FULL, version=5)), (App("idle", WHEN), None)])
    assert "Deployment/web" in fake.applied() and not fake.applied("Job")
    assert not [c for c in fake.calls if c[0] == "watch"]


def test_follow_logs_polls_new_lines_of_old_and_new_pods_once(monkeypatch):
    import threading
    from datetime import UTC, datetime

    import paas.runtime.kubernetes.runtime as k8s_runtime

    monkeypatch.setattr(k8s_runtime, "FOLLOW_POLL", 0.01)
    fake = FakeKube()
    add_pod(fake, "web-1", "web", 1)
    fake.logs["web-1"] = "2025-01-01T10:00:01Z before the follow"
    got: list[str] = []
    stop = threading.Event()

    def sink(line):
        got.append(line.render())
        if line.message == "old pod, new line":
            add_pod(fake, "web-2", "web", 1)  # a pod that starts during the follow
            fake.logs["web-2"] = "2025-01-01T10:00:03.5Z new pod"
        if line.message == "new pod":
            stop.set()

    fake.logs["web-1"] += "\n2025-01-01T10:00:03Z old pod, new line"
    since = datetime(2025, 1, 1, 10, 0, 2, tzinfo=UTC).timestamp()
    t = threading.Thread(target=runtime(fake).follow_logs,
                         args=("shop", None, since, sink, stop))
    t.start()
    t.join(10)
    assert got == ["2025-01-01T10:00:03.000000000Z web-1: old pod, new line",
                   "2025-01-01T10:00:03.500000000Z web-2: new pod"]


@pytest.mark.parametrize("tty", [False, True])
def test_paas_run_on_a_cluster_streams_the_pod_output_then_its_exit_code(tty):
    fake = FakeKube(failing=("Pod",))
    fake.logs["run-1"] = "migrating\ndone"
    oneoff = runtime(fake).start_oneoff(APP, release(version=4), ["python", "manage.py"], tty,
                                        24, 80)
    frames = []
    while (frame := oneoff.recv()) is not None:
        frames.append(frame)
    assert oneoff.wait() == 3 and oneoff.name == "run-1"
    out = b"".join(data for stream, data in frames if stream == 1)
    notices = [data for stream, data in frames if stream == 2]
    assert out == b"migrating\ndone\n"
    assert bool(notices) is tty  # told that no terminal is attached
    oneoff.close()
    assert [c for c in fake.calls if c[0] == "delete"] == [("delete", "Pod", "run-1")]
    assert ("Pod", NS, "run-1") not in fake.objects


def test_release_phase_is_not_run_for_a_release_the_deploy_would_refuse():
    """A queue autoscaler needs the broker in the release's config: a release without it
    is refused before its release command (migrations) runs, not after."""
    fake = FakeKube()
    fake.add({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "worker", "namespace": NS, "labels": {
            "app.kubernetes.io/managed-by": "paas", "paas.io/app": "shop",
            "paas.io/process-type": "worker"}},
    })
    with pytest.raises(PaasError, match="broker"):
        runtime(fake).run_release_phase(APP, release(b=FULL, version=3), print)
    assert "Job/release-v3" not in fake.applied()


def test_a_resize_rolls_each_deployment_once():
    # The new resources change the pod template, which rolls the Deployment already;
    # a restart stamp on top would start a second rollout during the first.
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lambda _: None)
    resized = App("shop", WHEN, formation=APP.formation, sizes={"web": "performance-m"})
    rt.restart(resized, release(b=FULL, version=1), APP.formation, ["web"], lambda _: None)
    assert ("apply:paas-restart", "Deployment", "web") not in fake.calls
    resources = deployed(fake, "web")["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["limits"]["memory"] == "2560Mi"


def test_a_restart_without_changes_stamps_the_pod_template():
    fake = FakeKube()
    rt = runtime(fake)
    rt.deploy(APP, release(b=FULL, version=1), APP.formation, lambda _: None)
    rt.restart(APP, release(b=FULL, version=1), APP.formation, ["web"], lambda _: None)
    assert ("apply:paas-restart", "Deployment", "web") in fake.calls
    annotations = deployed(fake, "web")["spec"]["template"]["metadata"]["annotations"]
    assert "paas.io/restarted-at" in annotations


def test_one_offs_count_until_their_pod_finished():
    fake = FakeKube()
    add_pod(fake, "run-1", "run", 1, phase="Running")
    add_pod(fake, "run-2", "run", 1, phase="Pending")
    add_pod(fake, "run-3", "run", 1, phase="Succeeded",
            containerStatuses=[{"state": {"terminated": {"exitCode": 0}}}])
    add_pod(fake, "web-1", "web", 1, phase="Running")
    assert runtime(fake).oneoffs("shop") == 2
