"""User journeys on a real control plane (kwok nodes): the CLI and `git push` against
``paas server --runtime kubernetes`` running under the chart's RBAC.

One app walks the whole life in order (each test is one step and needs the ones before):
push, config, scale and restart without re-running the release phase, the Redis add-on,
autoscaling, custom domains, logs, run, rollback and destroy. A second app pushes a
release that never turns ready.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest
from kubernetes import client, watch

from e2e.harness import Platform
from e2e.kubernetes.k8s_e2e import (
    DOMAIN,
    GATEWAY,
    GATEWAY_SECTION,
    KWOK_LOG,
    NEVER_READY,
    ROLLOUT_TIMEOUT,
    SYSTEM_NS,
    AppUnderTest,
    create_app,
    eventually,
)


@pytest.fixture(scope="module")
def shop(platform: Platform) -> Iterator[AppUnderTest]:
    app = create_app(platform)
    try:
        yield app
    finally:
        platform.paas("apps:destroy", app.name, "--confirm", app.name)


def apps_api(kube: Any) -> client.AppsV1Api:
    return client.AppsV1Api(kube)


def deployment(kube: Any, app: AppUnderTest, process_type: str) -> Any:
    return apps_api(kube).read_namespaced_deployment(process_type, app.namespace)


def web(kube: Any, app: AppUnderTest) -> Any:
    return deployment(kube, app, "web")


def release_of(deployment: Any) -> str:
    return str(deployment.spec.template.metadata.labels["paas.io/release"])


def jobs(kube: Any, app: AppUnderTest) -> dict[str, Any]:
    found = client.BatchV1Api(kube).list_namespaced_job(app.namespace).items
    return {str(j.metadata.name): j for j in found}


def config_of(kube: Any, app: AppUnderTest, release: str) -> dict[str, str]:
    secret = client.CoreV1Api(kube).read_namespaced_secret(f"config-{release}", app.namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


def http_route(kube: Any, app: AppUnderTest) -> dict[str, Any]:
    return cast(dict[str, Any], client.CustomObjectsApi(kube).get_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", app.namespace, "httproutes", "web"))


def assert_release_job_ran_once(kube: Any, app: AppUnderTest, release: str) -> None:
    job = eventually(lambda: jobs(kube, app).get(f"release-{release}"))
    assert job.spec.backoff_limit == 0
    done = eventually(lambda: (j := jobs(kube, app)[f"release-{release}"]).status.succeeded and j)
    assert (done.status.succeeded, done.status.failed or 0) == (1, 0)


def test_push_runs_the_release_job_rolls_out_and_routes_through_the_gateway(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    pushed = platform.git("push", "paas", "main", cwd=shop.repo)
    assert pushed.code == 0, pushed.text
    assert "v1 is up" in pushed.text
    assert_release_job_ran_once(kube, shop, "v1")
    dep = web(kube, shop)
    assert release_of(dep) == "v1" and dep.status.ready_replicas == 1
    assert apps_api(kube).read_namespaced_deployment("worker", shop.namespace).spec.replicas == 0
    # gunicorn with sync workers sits behind the buffering nginx sidecar
    pod = dep.spec.template.spec
    assert [c.name for c in pod.containers] == ["app", "nginx"]
    assert pod.containers[0].image.startswith(platform.server_env["PAAS_REGISTRY"])
    route = http_route(kube, shop)
    assert route["spec"]["parentRefs"] == [{
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY,
        "namespace": SYSTEM_NS, "sectionName": GATEWAY_SECTION}]
    assert route["spec"]["hostnames"] == [f"{shop.name}.{DOMAIN}"]
    assert route["spec"]["rules"][0]["backendRefs"][0]["name"] == "web"
    ingresses = client.NetworkingV1Api(kube).list_namespaced_ingress(shop.namespace).items
    assert ingresses == []


def test_config_set_rolls_a_new_release_that_runs_its_release_phase_once(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    r = platform.paas("config:set", "GREETING=bonjour", "-a", shop.name)
    assert r.code == 0, r.text
    dep = web(kube, shop)
    assert release_of(dep) == "v2" and dep.status.ready_replicas == 1
    assert config_of(kube, shop, "v2")["GREETING"] == "bonjour"
    assert client.CoreV1Api(kube).read_namespaced_secret("config-v2", shop.namespace).immutable
    assert_release_job_ran_once(kube, shop, "v2")


def test_scale_and_restart_never_rerun_the_release_phase(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    before = {n: j.metadata.uid for n, j in jobs(kube, shop).items()}
    assert set(before) == {"release-v1", "release-v2"}
    # What the Job's TTL (one day) does: the finished Job goes. Nothing may bring it back.
    client.BatchV1Api(kube).delete_namespaced_job(
        "release-v2", shop.namespace, propagation_policy="Background")
    eventually(lambda: "release-v2" not in jobs(kube, shop))

    r = platform.paas("scale", "web=2", "worker=1", "-a", shop.name)
    assert r.code == 0, r.text
    eventually(lambda: web(kube, shop).status.ready_replicas == 2)
    worker = eventually(lambda: (d := apps_api(kube).read_namespaced_deployment(
        "worker", shop.namespace)).status.ready_replicas == 1 and d)
    assert release_of(worker) == "v2"
    pdb = client.PolicyV1Api(kube).read_namespaced_pod_disruption_budget("web", shop.namespace)
    assert pdb.spec.max_unavailable == 1
    r = platform.paas("ps:restart", "-a", shop.name)
    assert r.code == 0, r.text
    assert "paas.io/restarted-at" in web(kube, shop).spec.template.metadata.annotations
    generation = deployment(kube, shop, "worker").metadata.generation
    r = platform.paas("ps:resize", "worker=standard-2x", "-a", shop.name)
    assert r.code == 0, r.text
    resized = deployment(kube, shop, "worker")
    # The new resources roll the pods once; no restart stamp starts a second rollout.
    assert resized.spec.template.spec.containers[0].resources.limits["memory"] == "1Gi"
    assert resized.metadata.generation == generation + 1
    ps = platform.paas("ps", "-a", shop.name)
    assert ps.code == 0 and ps.out.count("web") >= 2 and "worker" in ps.out, ps.text

    after = {n: j.metadata.uid for n, j in jobs(kube, shop).items()}
    assert after == {"release-v1": before["release-v1"]}
    assert release_of(web(kube, shop)) == "v2"


def test_redis_addon_runs_as_a_statefulset_only_the_app_reaches(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    r = platform.paas("addons:create", "redis", "-a", shop.name)
    assert r.code == 0, r.text
    sts = apps_api(kube).read_namespaced_stateful_set("redis", shop.namespace)
    assert sts.status.ready_replicas == 1
    claim = eventually(lambda: (c := client.CoreV1Api(kube).read_namespaced_persistent_volume_claim(
        "data-redis-0", shop.namespace)).status.phase == "Bound" and c)
    assert claim.spec.access_modes == ["ReadWriteOnce"]
    policy = kube.sanitize_for_serialization(client.NetworkingV1Api(
        kube).read_namespaced_network_policy("addon-redis", shop.namespace))
    [peer] = policy["spec"]["ingress"][0]["from"]
    assert peer["podSelector"]["matchLabels"] == {"paas.io/app": shop.name}
    assert "namespaceSelector" not in peer  # the app's namespace only
    # A new release carries the URLs, as on Docker; it ran its own release phase.
    release = release_of(web(kube, shop))
    assert release == "v3"
    config = config_of(kube, shop, release)
    host = f"redis.{shop.namespace}.svc:6379/0"
    assert config["REDIS_URL"].endswith(host) and config["CELERY_BROKER_URL"] == config["REDIS_URL"]
    assert_release_job_ran_once(kube, shop, "v3")


def test_autoscaling_objects_pass_the_api_server_and_keda_crd_validation(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    r = platform.paas("autoscale:set", "web", "--min", "2", "--max", "5", "--cpu", "70",
                      "-a", shop.name)
    assert r.code == 0, r.text
    hpa = client.AutoscalingV2Api(kube).read_namespaced_horizontal_pod_autoscaler(
        "web", shop.namespace)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (2, 5)
    r = platform.paas("autoscale:set", "worker", "--min", "0", "--max", "4", "--queue", "celery",
                      "--per-replica", "10", "-a", shop.name)
    assert r.code == 0, r.text
    custom = client.CustomObjectsApi(kube)
    so = cast(dict[str, Any], custom.get_namespaced_custom_object(
        "keda.sh", "v1alpha1", shop.namespace, "scaledobjects", "worker"))
    trigger = so["spec"]["triggers"][0]
    assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == "celery"
    auth = cast(dict[str, Any], custom.get_namespaced_custom_object(
        "keda.sh", "v1alpha1", shop.namespace, "triggerauthentications",
        trigger["authenticationRef"]["name"]))
    assert auth["spec"]["secretTargetRef"]
    r = platform.paas("autoscale:unset", "web", "-a", shop.name)
    assert r.code == 0, r.text
    left = client.AutoscalingV2Api(kube).list_namespaced_horizontal_pod_autoscaler(
        shop.namespace, label_selector="paas.io/process-type=web").items
    assert left == []


def test_custom_domain_joins_the_http_route(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    r = platform.paas("domains:add", "www.shop.example", "-a", shop.name)
    assert r.code == 0, r.text
    assert http_route(kube, shop)["spec"]["hostnames"] == [
        f"{shop.name}.{DOMAIN}", "www.shop.example"]


def test_logs_read_the_pods(platform: Platform, shop: AppUnderTest) -> None:
    """kwok serves one placeholder line per container: the path through the pod log API
    is what is checked, not the app's output."""
    r = platform.paas("logs", "-p", "web", "-a", shop.name)
    assert r.code == 0, r.text
    assert KWOK_LOG in r.out and "web" in r.out


def test_run_starts_a_pod_of_the_release_and_removes_it(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    """kwok completes the pod with exit code 0 without running the command: checked are
    the pod's image, command and config, its exit code and its removal."""
    seen: list[Any] = []
    started = threading.Event()

    def record() -> None:
        w = watch.Watch()
        stream = w.stream(client.CoreV1Api(kube).list_namespaced_pod, shop.namespace,
                          label_selector="paas.io/process-type=run", timeout_seconds=120)
        started.set()
        for event in stream:
            seen.append(event["object"])
            if event["type"] == "DELETED":
                w.stop()

    watcher = threading.Thread(target=record, daemon=True)
    watcher.start()
    started.wait(10)
    r = platform.paas("run", "-a", shop.name, "--no-tty", "python", "-c", "print(6 * 7)")
    assert r.code == 0, r.text
    watcher.join(60)
    assert seen, "no run pod was created"
    pod = seen[0]
    container = pod.spec.containers[0]
    assert container.image == web(kube, shop).spec.template.spec.containers[0].image
    assert container.command == ["/bin/sh", "-c", "python -c 'print(6 * 7)'"]
    assert container.env_from[0].secret_ref.name == f"config-{release_of(web(kube, shop))}"
    assert pod.spec.restart_policy == "Never"
    assert any(p.status.phase == "Succeeded" for p in seen)
    assert client.CoreV1Api(kube).list_namespaced_pod(
        shop.namespace, label_selector="paas.io/process-type=run").items == []


def test_rollback_releases_the_old_build_again(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    # v1's config names no broker: the worker's queue policy would refuse the rollback.
    refused = platform.paas("rollback", "v1", "-a", shop.name)
    assert refused.code != 0 and "queue autoscaling needs a broker" in refused.text
    assert release_of(web(kube, shop)) == "v3"
    r = platform.paas("autoscale:unset", "worker", "-a", shop.name)
    assert r.code == 0, r.text
    r = platform.paas("rollback", "v1", "-a", shop.name)
    assert r.code == 0, r.text
    dep = web(kube, shop)
    assert release_of(dep) == "v5"  # v4 is the refused attempt
    assert "GREETING" not in config_of(kube, shop, "v5")
    assert dep.spec.template.spec.containers[0].image.startswith(
        platform.server_env["PAAS_REGISTRY"])
    assert_release_job_ran_once(kube, shop, "v5")
    assert "release-v4" not in jobs(kube, shop)


def test_destroy_removes_the_namespace(
        platform: Platform, shop: AppUnderTest, kube: Any) -> None:
    r = platform.paas("apps:destroy", shop.name, "--confirm", shop.name)
    assert r.code == 0, r.text

    def gone() -> bool:
        names = {n.metadata.name for n in client.CoreV1Api(kube).list_namespace().items}
        return shop.namespace not in names

    eventually(gone, timeout=180)


def test_release_that_never_turns_ready_is_rolled_back_and_the_old_keeps_its_pods(
        platform: Platform, kube: Any) -> None:
    app = create_app(platform)
    try:
        pushed = platform.git("push", "paas", "main", cwd=app.repo)
        assert pushed.code == 0, pushed.text
        old_pods = {p.metadata.name for p in client.CoreV1Api(kube).list_namespaced_pod(
            app.namespace, label_selector="paas.io/process-type=web").items}
        assert len(old_pods) == 1

        procfile = (app.repo / "Procfile").read_text()
        (app.repo / "Procfile").write_text(
            procfile.replace("web: gunicorn app:app --bind 0.0.0.0:$PORT --workers 2",
                             f"web: {NEVER_READY}"))
        platform.commit_all(app.repo, "a web process that never listens")
        pushed = platform.git("push", "paas", "main", cwd=app.repo)
        assert pushed.code != 0, pushed.text
        assert "v2 of" in pushed.text and "did not become ready" in pushed.text
        assert "rolled back, v1 is still serving" in pushed.text
        assert f"not ready after {ROLLOUT_TIMEOUT}s" in pushed.text or "deadline" in pushed.text

        dep = web(kube, app)
        assert release_of(dep) == "v1"
        eventually(lambda: web(kube, app).status.ready_replicas == 1)
        pods = client.CoreV1Api(kube).list_namespaced_pod(
            app.namespace, label_selector="paas.io/process-type=web").items
        live = {p.metadata.name for p in pods if not p.metadata.deletion_timestamp}
        assert old_pods <= live
        eventually(lambda: not [p for p in client.CoreV1Api(kube).list_namespaced_pod(
            app.namespace, label_selector="paas.io/process-type=web,paas.io/release=v2").items
            if not p.metadata.deletion_timestamp])
        releases = platform.paas("releases", "-a", app.name)
        assert "failed" in releases.out, releases.text
    finally:
        platform.paas("apps:destroy", app.name, "--confirm", app.name)


def test_healthcheck_set_is_the_probe_of_the_applied_deployment(
        platform: Platform, kube: Any) -> None:
    """The kubelet probes what `paas healthcheck:set` names (kwok marks pods ready
    whatever they answer: checked is the Deployment the API server holds)."""
    app = create_app(platform)
    try:
        pushed = platform.git("push", "paas", "main", cwd=app.repo)
        assert pushed.code == 0, pushed.text
        assert web(kube, app).spec.template.spec.containers[0].readiness_probe.tcp_socket

        r = platform.paas("healthcheck:set", "--path", "/health", "--status", "200",
                          "--timeout", "20", "-a", app.name)
        assert r.code == 0, r.text
        dep = web(kube, app)
        assert release_of(dep) == "v2"
        probed = dep.spec.template.spec.containers[0]
        for probe in (probed.readiness_probe, probed.startup_probe):
            assert (probe.http_get.path, str(probe.http_get.port)) == ("/health", "5000")
            assert [(h.name, h.value) for h in probe.http_get.http_headers] == [
                ("Host", "localhost")]
        assert probed.startup_probe.failure_threshold * probed.startup_probe.period_seconds \
            == 20
        assert probed.liveness_probe.tcp_socket  # a failing dependency restarts nothing

        # a status the kubelet cannot accept: an open port, and the deploy says so
        r = platform.paas("healthcheck:set", "--status", "401", "-a", app.name)
        assert r.code == 0, r.text
        assert ("Health check: the kubelet passes only statuses 200-399, so GET /health "
                "answering 401 within 20s is checked as an open port on Kubernetes") in r.out
        probe = web(kube, app).spec.template.spec.containers[0].readiness_probe
        assert probe.http_get is None and str(probe.tcp_socket.port) == "5000"
    finally:
        platform.paas("apps:destroy", app.name, "--confirm", app.name)
