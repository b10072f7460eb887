"""User journeys on a real cluster: push, scale, autoscale, config, rollback."""

from __future__ import annotations

import pytest

from e2e.kubernetes.k8s_e2e import NEEDS_CLUSTER, commit, eventually

pytestmark = NEEDS_CLUSTER


def deployment(kube, app, name):
    return kube.AppsV1Api().read_namespaced_deployment(name, app.namespace)


def test_push_deploys_web_behind_the_ingress(platform, app, kube):
    pushed = app.push()
    assert pushed.returncode == 0, pushed.stderr
    assert "release phase ran" in pushed.stderr  # streamed back as "remote:" lines

    _, body = eventually(lambda: (r := platform.get(app.name))[0] == 200 and r)
    assert body.startswith("hello from v")
    web = deployment(kube, app, "web")
    assert web.metadata.labels["app.kubernetes.io/managed-by"] == "paas"
    assert web.status.ready_replicas == 1
    assert deployment(kube, app, "worker").spec.replicas == 0
    ing = kube.NetworkingV1Api().read_namespaced_ingress("web", app.namespace)
    assert ing.spec.ingress_class_name == "nginx"
    assert ing.metadata.annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "on"


def test_scale_changes_replicas(platform, app, kube):
    assert app.push().returncode == 0
    platform.cli("ps:scale", "web=2", "worker=1", "--app", app.name)
    eventually(lambda: deployment(kube, app, "web").status.ready_replicas == 2)
    eventually(lambda: deployment(kube, app, "worker").status.ready_replicas == 1)
    pdb = kube.PolicyV1Api().read_namespaced_pod_disruption_budget("web", app.namespace)
    assert pdb.spec.max_unavailable == 1
    ps = platform.cli("ps", "--app", app.name).stdout
    assert ps.count("web") >= 2 and "worker" in ps


def test_autoscale_objects_are_present(platform, app, kube):
    assert app.push().returncode == 0
    platform.cli(
        "autoscale:set", "web", "--min", "2", "--max", "5", "--cpu", "70", "--app", app.name
    )
    hpa = kube.AutoscalingV2Api().read_namespaced_horizontal_pod_autoscaler("web", app.namespace)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (2, 5)

    crds = kube.ApiextensionsV1Api().list_custom_resource_definition().items
    if "scaledobjects.keda.sh" not in {c.metadata.name for c in crds}:
        pytest.skip("KEDA is not installed: queue autoscaling cannot be checked")
    platform.cli("config:set", "CELERY_BROKER_URL=redis://redis.invalid:6379/0", "--app", app.name)
    platform.cli(
        "autoscale:set",
        "worker",
        "--min",
        "0",
        "--max",
        "4",
        "--queue",
        "celery",
        "--per-replica",
        "10",
        "--app",
        app.name,
    )
    so = kube.CustomObjectsApi().get_namespaced_custom_object(
        "keda.sh", "v1alpha1", app.namespace, "scaledobjects", "worker"
    )
    assert so["spec"]["triggers"][0]["type"] == "redis"
    assert so["spec"]["triggers"][0]["metadata"]["listName"] == "celery"

    platform.cli("autoscale:unset", "web", "--app", app.name)
    eventually(
        lambda: (
            not kube.AutoscalingV2Api()
            .list_namespaced_horizontal_pod_autoscaler(
                app.namespace, label_selector="paas.io/process-type=web"
            )
            .items
        )
    )


def test_config_change_rolls_a_new_release(platform, app, kube):
    assert app.push().returncode == 0
    eventually(lambda: platform.get(app.name)[0] == 200)
    platform.cli("config:set", "GREETING=bonjour", "--app", app.name)
    eventually(lambda: platform.get(app.name)[1].startswith("bonjour from v"))
    release = deployment(kube, app, "web").spec.template.metadata.labels["paas.io/release"]
    secret = kube.CoreV1Api().read_namespaced_secret(f"config-{release}", app.namespace)
    assert "GREETING" in secret.data and secret.immutable


def test_broken_release_rolls_back_and_the_old_one_keeps_serving(platform, app, kube):
    assert app.push().returncode == 0
    _, before = eventually(lambda: (r := platform.get(app.name))[0] == 200 and r)

    (app.source / "app.py").write_text("raise SystemExit('boom: broken on import')\n")
    commit(app.source, "broken")
    pushed = app.push()
    assert pushed.returncode != 0
    assert "rolled back" in pushed.stderr and "boom: broken on import" in pushed.stderr
    assert platform.get(app.name) == (200, before)
    labels = deployment(kube, app, "web").spec.template.metadata.labels
    assert labels["paas.io/release"] == before.split()[-1]

    # An explicit rollback to the first release makes a new release from its build.
    platform.cli("releases:rollback", "v1", "--app", app.name)
    eventually(lambda: platform.get(app.name)[1].startswith("hello from v"))
