"""Every object paas generates is valid, strictly, on every supported Kubernetes version.

TLS is requested from cert-manager with the ``cert-manager.io/cluster-issuer`` annotation
on the Ingress plus its ``tls`` section, or on the Gateway with the app's HTTPS listeners;
paas generates no cert-manager objects, so only those are validated for it (and KEDA and
Gateway API objects against their CRDs).
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace

import pytest

from paas.domain.release import Release
from paas.errors import InvalidInput
from paas.runtime.kubernetes import (
    autoscaling,
    labels,
    manifests,
    policies,
    routing,
    sidecar,
    workloads,
)
from paas.runtime.kubernetes.settings import KubernetesSettings
from tests.runtime.kubernetes.apps import CASES, FULL, Case, release
from tests.runtime.kubernetes.strict import validate_all


def everything(case: Case) -> list[dict]:
    objs = [
        manifests.namespace(case.app, case.settings),
        manifests.config_secret(case.app, case.release, case.settings),
        *policies.network_policies(case.app, case.settings),
    ]
    if case.release.build and case.release.build.release_command:
        objs.append(workloads.release_job(case.app.name, case.release, case.settings))
    objs += manifests.release_objects(
        case.app,
        case.release,
        case.formation,
        case.settings,
        {p.process_type for p in case.policies},
    )
    objs += autoscaling.autoscaling_objects(
        case.app, case.policies, case.release.config, case.settings
    )
    objs.append(workloads.run_pod(case.app.name, case.release, "run-1a2b", "bash", case.settings))
    objs.append(routing.ingress(case.app, case.settings))
    return objs


def by_kind(objs: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_object_validates_strictly(case):
    validate_all(everything(case))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_object_is_labelled_and_dns_named(case):
    dns = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    for obj in everything(case):
        meta = obj["metadata"]
        assert dns.match(meta["name"]) and len(meta["name"]) <= 63, meta["name"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "paas"
        assert meta["labels"]["paas.io/app"] == "shop"
        if obj["kind"] != "Namespace":
            assert meta["namespace"] == "paas-shop"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gateway_listeners_validate_strictly(case):
    gateway = routing.gateway_listeners(case.app, case.app.name, case.settings)
    # A whole Gateway as the API server sees it once the app's listeners are merged in.
    gateway["spec"]["gatewayClassName"] = "nginx"
    gateway["spec"]["listeners"].append({"name": "http", "protocol": "HTTP", "port": 80})
    validate_all([gateway])


def test_deployment_per_process_type_with_release_label_and_default_replicas():
    case = CASES[1]
    objs = manifests.release_objects(case.app, case.release, {"web": 3}, case.settings)
    deps = by_kind(objs, "Deployment")
    assert sorted(deps) == ["beat", "web", "worker"]  # never "release"
    assert [deps[n]["spec"]["replicas"] for n in ("web", "worker", "beat")] == [3, 0, 0]
    tpl = deps["worker"]["spec"]["template"]
    assert tpl["metadata"]["labels"]["paas.io/release"] == "v2"
    assert "paas.io/release" not in deps["worker"]["spec"]["selector"]["matchLabels"]
    container = tpl["spec"]["containers"][0]
    assert container["image"] == FULL.image
    assert container["envFrom"] == [{"secretRef": {"name": "config-v2"}}]
    assert container["command"] == ["/bin/sh", "-c", "exec celery -A shop worker -l info"]


def test_rolling_update_never_drops_a_ready_replica_and_beat_is_recreated_as_one():
    case = CASES[1]
    deps = by_kind(
        manifests.release_objects(case.app, case.release, {"web": 2, "beat": 5}, case.settings),
        "Deployment",
    )
    assert deps["web"]["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert deps["beat"]["spec"]["strategy"] == {"type": "Recreate"}
    assert deps["beat"]["spec"]["replicas"] == 1


def test_only_web_gets_probes_service_and_route():
    case = CASES[1]
    objs = manifests.release_objects(case.app, case.release, case.formation, case.settings)
    deps = by_kind(objs, "Deployment")
    web_app = deps["web"]["spec"]["template"]["spec"]["containers"][0]
    worker = deps["worker"]["spec"]["template"]["spec"]["containers"][0]
    assert web_app["readinessProbe"]["tcpSocket"]["port"] == 5000
    assert "livenessProbe" in web_app and "readinessProbe" not in worker
    assert list(by_kind(objs, "Service")) == ["web"] and list(by_kind(objs, "HTTPRoute")) == ["web"]
    assert not by_kind(objs, "Ingress")


def test_http_route_attaches_to_the_configured_gateway_listener():
    case = CASES[0]
    settings = replace(case.settings, gateway_name="edge", gateway_namespace="gw",
                       gateway_section="web-http")
    objs = manifests.release_objects(case.app, case.release, {}, settings)
    route = by_kind(objs, "HTTPRoute")["web"]
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [{
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge",
        "namespace": "gw", "sectionName": "web-http"}]
    assert route["spec"]["hostnames"] == ["shop.apps.example.com"]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 80}]


def test_gateway_tls_gives_each_host_a_listener_with_its_certificate():
    case = CASES[5]
    settings = replace(case.settings, gateway_section="http")
    gateway = routing.gateway_listeners(case.app, "shop", settings)
    assert gateway["metadata"] == {
        "name": "paas-gateway", "namespace": "paas-system",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}}
    listeners = gateway["spec"]["listeners"]
    hosts = ["shop.apps.example.com", "shop.example.org", "www.shop.example.org"]
    assert [x["hostname"] for x in listeners] == hosts
    assert all(x["protocol"] == "HTTPS" and x["port"] == 443 for x in listeners)
    assert listeners[1]["tls"]["certificateRefs"][0]["name"] == (
        routing.certificate_secret("shop", "shop.example.org"))
    route = routing.http_route(case.app, settings)
    assert [p.get("sectionName") for p in route["spec"]["parentRefs"]] == [
        "http", *(x["name"] for x in listeners)]
    # Without an app (destroy), the app's field manager applies no listener at all.
    assert routing.gateway_listeners(None, "shop", settings)["spec"]["listeners"] == []


def test_worker_only_app_gets_no_route():
    b = FULL.__class__(image="i", commit="c", processes={"worker": "celery worker"})
    case = CASES[0]
    objs = manifests.release_objects(case.app, release(b=b), {}, case.settings)
    assert [o["kind"] for o in objs] == ["Deployment"]
    assert objs[0]["spec"]["replicas"] == 0


def test_pods_run_as_non_root_without_privileges():
    case = CASES[1]
    for dep in by_kind(
        manifests.release_objects(case.app, case.release, case.formation, case.settings),
        "Deployment",
    ).values():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"] + pod.get("initContainers", []):
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_ingress_routing_uses_the_f5_nginx_profile_by_default():
    case = CASES[0]
    settings = replace(case.settings, routing="ingress")
    objs = manifests.release_objects(case.app, case.release, {}, settings)
    assert not by_kind(objs, "HTTPRoute")
    ing = by_kind(objs, "Ingress")["web"]
    notes = ing["metadata"]["annotations"]
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert notes["nginx.org/proxy-buffering"] == "true"
    assert notes["nginx.org/client-max-body-size"] == "25m"
    assert notes["nginx.org/proxy-read-timeout"] == "3600s"
    assert notes["nginx.org/websocket-services"] == "web"
    assert not [k for k in notes if k.startswith("nginx.ingress.kubernetes.io/")]


def test_ingress_has_the_legacy_ingress_nginx_profile_on_request():
    case = CASES[0]
    settings = replace(case.settings, routing="ingress", ingress_profile="ingress-nginx",
                       ingress_class="legacy")
    ing = by_kind(manifests.release_objects(case.app, case.release, {}, settings), "Ingress")
    spec, notes = ing["web"]["spec"], ing["web"]["metadata"]["annotations"]
    assert spec["ingressClassName"] == "legacy"
    assert [r["host"] for r in spec["rules"]] == ["shop.apps.example.com"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "on"
    assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "25m"
    assert notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert "tls" not in spec and "cert-manager.io/cluster-issuer" not in notes


def test_tls_and_custom_domains_share_one_certificate():
    case = CASES[5]
    settings = replace(case.settings, routing="ingress")
    ing = by_kind(manifests.release_objects(case.app, case.release, {}, settings), "Ingress")
    spec = ing["web"]["spec"]
    hosts = ["shop.apps.example.com", "shop.example.org", "www.shop.example.org"]
    assert [r["host"] for r in spec["rules"]] == hosts
    assert spec["tls"] == [{"hosts": hosts, "secretName": "web-tls"}]
    assert ing["web"]["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"


def test_uwsgi_and_static_go_through_the_nginx_sidecar():
    case = CASES[1]
    objs = manifests.release_objects(case.app, case.release, case.formation, case.settings)
    pod = by_kind(objs, "Deployment")["web"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["app", "nginx"]
    assert [c["command"] for c in pod["initContainers"]] == [
        ["cp", "-R", "/app/staticfiles/.", "/paas-static/0"],
        ["cp", "-R", "/app/media/.", "/paas-static/1"],
    ]
    conf = by_kind(objs, "ConfigMap")["web-nginx-v2"]["data"]["nginx.conf"]
    assert "location /static/ {\n      alias /paas-static/0/;" in conf
    assert "proxy_pass http://127.0.0.1:5000;" in conf

    uwsgi = CASES[5]
    objs = manifests.release_objects(uwsgi.app, uwsgi.release, {}, uwsgi.settings)
    conf = by_kind(objs, "ConfigMap")["web-nginx-v2"]["data"]["nginx.conf"]
    assert "uwsgi_pass 127.0.0.1:8000;" in conf and "proxy_pass" not in conf


@pytest.mark.parametrize(("command", "buffered"), [
    ("gunicorn shop.wsgi --bind 0.0.0.0:$PORT", True),
    ("gunicorn --config /opt/paas/gunicorn.conf.py shop.wsgi", True),  # gthread
    ("/app/.venv/bin/gunicorn -k gthread --threads 4 shop.wsgi", True),
    ("uwsgi --http :$PORT --module shop.wsgi", True),
    ("gunicorn -k uvicorn_worker.UvicornWorker shop.asgi:app", False),
    ("gunicorn --worker-class=gevent shop.wsgi", False),
    ("uvicorn shop.asgi:app --port $PORT", False),
    ("python server.py", False),
])
def test_prefork_wsgi_servers_stay_behind_the_buffering_sidecar(command, buffered):
    assert sidecar.prefork_wsgi(command) is buffered
    b = FULL.__class__(image="i", commit="c", processes={"web": command})
    assert sidecar.needed(b) is buffered
    if buffered:
        conf = sidecar.render(b, CASES[0].settings)
        assert "proxy_buffering on;" in conf and "proxy_request_buffering on;" in conf


def test_event_loop_web_has_no_sidecar_and_service_reaches_the_app():
    case = CASES[0]
    b = FULL.__class__(image="i", commit="c",
                       processes={"web": "uvicorn shop.asgi:app --port $PORT"})
    objs = manifests.release_objects(case.app, release(b=b), {}, case.settings)
    pod = by_kind(objs, "Deployment")["web"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["app"]
    assert pod["containers"][0]["ports"] == [{"name": "http", "containerPort": 5000}]
    assert by_kind(objs, "Service")["web"]["spec"]["ports"][0]["targetPort"] == "http"


def test_static_paths_cannot_inject_nginx_directives():
    from paas.domain.release import StaticMount

    b = FULL.__class__(
        image="i", commit="c", processes={"web": "w"}, static=(StaticMount("/s; evil", "/app"),)
    )
    with pytest.raises(InvalidInput):
        manifests.release_objects(CASES[0].app, release(b=b), {}, CASES[0].settings)


def test_pdb_only_when_web_runs_more_than_one_replica_or_autoscales():
    case = CASES[0]
    one = manifests.release_objects(case.app, case.release, {"web": 1}, case.settings)
    two = manifests.release_objects(case.app, case.release, {"web": 2}, case.settings)
    auto = manifests.release_objects(case.app, case.release, {"web": 1}, case.settings, {"web"})
    assert not by_kind(one, "PodDisruptionBudget")
    assert by_kind(two, "PodDisruptionBudget")["web"]["spec"]["maxUnavailable"] == 1
    assert by_kind(auto, "PodDisruptionBudget")
    assert "replicas" not in by_kind(auto, "Deployment")["web"]["spec"]


def test_config_secret_is_per_release_and_immutable():
    case = CASES[0]
    secret = manifests.config_secret(case.app, release(version=7, A="1"), case.settings)
    assert secret["metadata"]["name"] == "config-v7" and secret["immutable"] is True
    assert base64.b64decode(secret["data"]["A"]) == b"1"


def test_hpa_target_means_percent_of_one_core_like_the_docker_runtime():
    case = CASES[2]
    objs = autoscaling.autoscaling_objects(
        case.app, case.policies, case.release.config, case.settings
    )
    hpa = by_kind(objs, "HorizontalPodAutoscaler")["web"]
    # 80 % of a core with a 250m request is 320 % of the request.
    target = hpa["spec"]["metrics"][0]["resource"]["target"]
    assert target == {"type": "Utilization", "averageUtilization": 320}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "web"


def test_redis_queue_policy_becomes_keda_redis_trigger_with_credentials_in_a_secret():
    case = CASES[2]
    objs = autoscaling.autoscaling_objects(
        case.app, case.policies, case.release.config, case.settings
    )
    so = by_kind(objs, "ScaledObject")["worker"]["spec"]
    assert (so["minReplicaCount"], so["maxReplicaCount"]) == (0, 20)
    trigger = so["triggers"][0]
    assert trigger["type"] == "redis"
    assert trigger["metadata"] == {
        "listName": "celery",
        "listLength": "10",
        "activationListLength": "0",
        "databaseIndex": "0",
    }
    assert trigger["authenticationRef"] == {"name": "broker"}
    secret = by_kind(objs, "Secret")["broker"]["data"]
    assert {k: base64.b64decode(v).decode() for k, v in secret.items()} == {
        "address": "redis.shop:6379",
        "password": "pw",
    }
    refs = by_kind(objs, "TriggerAuthentication")["broker"]["spec"]["secretTargetRef"]
    assert {r["parameter"] for r in refs} == {"address", "password"}


def test_rabbitmq_queue_policy_becomes_queue_length_trigger():
    case = CASES[3]
    objs = autoscaling.autoscaling_objects(
        case.app, case.policies, case.release.config, case.settings
    )
    trigger = by_kind(objs, "ScaledObject")["worker"]["spec"]["triggers"][0]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["mode"] == "QueueLength"
    assert (trigger["metadata"]["value"], trigger["metadata"]["queueName"]) == ("5", "emails")


def test_queue_policy_without_a_broker_is_refused():
    case = CASES[2]
    with pytest.raises(InvalidInput, match="CELERY_BROKER_URL"):
        autoscaling.autoscaling_objects(case.app, case.policies, {}, case.settings)


def test_release_job_runs_once_with_the_release_config():
    case = CASES[1]
    job = workloads.release_job("shop", case.release, case.settings)
    assert job["metadata"]["name"] == "release-v2" and job["spec"]["backoffLimit"] == 0
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["command"][-1] == "exec python manage.py migrate --noinput"


@pytest.mark.parametrize(
    "line, body",
    [
        ("gunicorn app:app", "exec gunicorn app:app"),
        ("python manage.py migrate && gunicorn x", "python manage.py migrate && gunicorn x"),
        ("celery worker; echo done", "celery worker; echo done"),
    ],
)
def test_simple_commands_exec_so_the_server_gets_sigterm(line, body):
    assert workloads.command_line(line) == ["/bin/sh", "-c", body]


def test_namespace_prefix_is_configurable():
    s = KubernetesSettings(namespace_prefix="apps-")
    assert labels.namespace("shop", s) == "apps-shop"


def test_config_secret_of_an_empty_config_has_no_data_to_re_apply():
    """The API server stores ``data: {}`` as absent: applying it again to the immutable
    Secret would be refused as a change."""
    case = CASES[0]
    empty = manifests.config_secret(case.app, Release("shop", 1, FULL, config={}),
                                    case.settings)
    assert "data" not in empty and empty["immutable"] is True
def _policies(settings: KubernetesSettings | None = None) -> dict[str, dict]:
    case = CASES[1]
    objs = policies.network_policies(case.app, settings or case.settings)
    validate_all(objs)
    return {name: o["spec"] for name, o in by_kind(objs, "NetworkPolicy").items()}


def test_app_namespace_denies_every_ingress_it_does_not_allow():
    deny = _policies()["default-deny-ingress"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}  # no rule: nothing in


def test_web_pods_accept_only_the_ingress_namespace_on_their_http_port():
    web = _policies(KubernetesSettings(ingress_namespace="gateway-system"))[
        "allow-web-from-ingress"]
    assert web["podSelector"] == {"matchLabels": {"paas.io/app": "shop",
                                                  "paas.io/process-type": "web"}}
    (rule,) = web["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "gateway-system"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": "http"}]
    assert KubernetesSettings.from_env({"PAAS_K8S_INGRESS_NAMESPACE": "gw"}
                                       ).ingress_namespace == "gw"
    assert KubernetesSettings().ingress_namespace == "ingress-nginx"


def test_pods_and_add_ons_accept_only_pods_of_their_own_app():
    same = _policies()["allow-same-app"]
    assert same["podSelector"] == {}  # every pod of the namespace, add-ons included
    # a podSelector alone selects in this namespace only: no other app's pods
    assert same["ingress"] == [{"from": [{"podSelector": {"matchLabels": {
        "paas.io/app": "shop"}}}]}]


def test_egress_reaches_everything_but_link_local_metadata_plus_dns():
    egress = _policies()["deny-metadata-egress"]
    assert egress["podSelector"] == {} and egress["policyTypes"] == ["Egress"]
    anywhere, dns = egress["egress"]
    blocks = [peer["ipBlock"] for peer in anywhere["to"] if "ipBlock" in peer]
    assert {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]} in blocks
    assert {"cidr": "::/0", "except": ["fd00:ec2::254/128"]} in blocks
    assert all("169.254.169.254" not in str(b["cidr"]) for b in blocks)
    assert "ports" not in anywhere
    assert dns == {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}


def _pods(case: Case) -> dict[str, dict]:
    objs = manifests.release_objects(case.app, case.release, case.formation, case.settings)
    return {n: d["spec"]["template"]["spec"] for n, d in by_kind(objs, "Deployment").items()}


def _app_container(pod: dict) -> dict:
    return next(c for c in pod["containers"] if c["name"] == workloads.APP_CONTAINER)


def test_the_default_size_is_requested_and_limited_with_a_read_only_root():
    pod = _pods(CASES[1])["worker"]
    app = _app_container(pod)
    assert app["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi"},
                                "limits": {"memory": "512Mi"}}
    assert app["securityContext"]["readOnlyRootFilesystem"] is True
    assert app["volumeMounts"] == [{"name": "app-tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "app-tmp", "emptyDir": {"medium": "Memory",
                                                               "sizeLimit": "128Mi"}}]
    web = _pods(CASES[1])["web"]
    assert {"name": "app-tmp", "mountPath": "/tmp"} in _app_container(web)["volumeMounts"]
    assert any(v["name"] == "app-tmp" for v in web["volumes"])


def test_sizes_become_requests_and_limits_and_only_basic_is_cpu_capped():
    case = next(c for c in CASES if c.id == "sized-writable-root")
    pods = _pods(case)
    assert _app_container(pods["web"])["resources"] == {
        "requests": {"cpu": "1000m", "memory": "2560Mi"}, "limits": {"memory": "2560Mi"}}
    assert _app_container(pods["worker"])["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"memory": "512Mi", "cpu": "1000m"}}
    # an admin-granted writable root: no read-only root, no /tmp volume
    worker = _app_container(pods["worker"])
    assert worker["securityContext"]["readOnlyRootFilesystem"] is False
    assert "volumeMounts" not in worker and "volumes" not in pods["worker"]
    # the HPA target is relative to the (4x) request: 80 % of a core is 80 % of 1000m
    hpa = by_kind(autoscaling.autoscaling_objects(case.app, case.policies, case.release.config,
                                                  case.settings), "HorizontalPodAutoscaler")
    assert hpa["web"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80


def test_release_job_and_one_off_runs_get_the_size_and_hardening_they_are_given():
    from paas.domain.sizes import SIZES
    case = CASES[1]
    job = workloads.release_job("shop", case.release, case.settings, SIZES["standard-2x"])
    run = workloads.run_pod("shop", case.release, "run-1", "bash", case.settings,
                            SIZES["standard-2x"])
    for pod in (job["spec"]["template"]["spec"], run["spec"]):
        app = _app_container(pod)
        assert app["resources"]["limits"] == {"memory": "1024Mi"}
        assert app["securityContext"] == {"allowPrivilegeEscalation": False,
                                          "capabilities": {"drop": ["ALL"]},
                                          "readOnlyRootFilesystem": True}
        assert pod["securityContext"]["runAsNonRoot"] is True
