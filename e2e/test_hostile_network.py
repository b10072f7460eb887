"""Tenants are hostile: from `paas run` in one app, nothing of another app is reachable,
nor the router's control endpoint, nor the cloud metadata address; the app still reaches
its own add-on and both apps still answer through the router.

Every probe runs inside app A's one-off container with Python's socket module and a
connect timeout of a few seconds, so the whole check is bounded in time. The two apps
(and their networks) are destroyed at the end; the host's metadata firewall rule goes at
the end of the session when the suite put it there (``conftest.stack_images``).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from e2e.harness import Platform, http_get, metadata_rule_present
from e2e.harness import network_gateway as _gateway
from paas.router.config import CONTROL_HOST
from paas.runtime.docker import labels as L

A, B = "neta", "netb"
METADATA = ("169.254.169.254", 80)

#: Run in A's one-off: each probe's outcome as JSON, never an exception.
PROBE = textwrap.dedent("""
    import json, socket, sys
    def reach(host, port):
        try:
            addr = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
        except OSError:
            return "unresolved"
        try:
            socket.create_connection(addr, timeout=4).close()
            return "connected"
        except socket.timeout:
            return "timeout"
        except OSError as e:
            return type(e).__name__
    def control(ip, port, host):
        try:
            s = socket.create_connection((ip, port), timeout=4)
            s.sendall(("GET /__paas/generation HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" % host).encode())
            return s.recv(4096).decode(errors="replace")
        except OSError as e:
            return type(e).__name__
    args = json.loads(sys.argv[1])
    print(json.dumps({
        "b_web": reach(args["b_web"], args["b_port"]),
        "b_redis": reach(args["b_redis"], 6379),
        "metadata": reach(*args["metadata"]),
        "control": control(args["router"], args["router_port"], args["control_host"]),
        "own_redis": reach(args["a_redis"], 6379),
        "own_web": reach(args["a_web"], args["a_port"]),
    }))
""")


@pytest.fixture(scope="module")
def apps(platform: Platform) -> Iterator[dict[str, Path]]:
    repos: dict[str, Path] = {}
    try:
        for name in (A, B):
            repo = platform.new_repo("flask-hello", name)
            created = platform.paas("apps:create", name, cwd=repo)
            assert created.code == 0, created.text
            addon = platform.paas("addons:create", "redis", "-a", name, cwd=repo)
            assert addon.code == 0, addon.text
            pushed = platform.git("push", "paas", "main", cwd=repo)
            assert pushed.code == 0, pushed.text
            repos[name] = repo
        yield repos
    finally:
        for name in (A, B):
            platform.paas("apps:destroy", name, "--confirm", name)


def _one(client: docker.DockerClient, instance: str, app: str, **labels: str
         ) -> docker.models.containers.Container:
    found = client.containers.list(filters={"label": [
        f"{L.INSTANCE}={instance}", f"{L.APP}={app}",
        *(f"{k}={v}" for k, v in labels.items())]})
    assert len(found) == 1, [c.name for c in found]
    return found[0]


def _ip(container: docker.models.containers.Container, network: str) -> str:
    container.reload()
    return str(container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])


def _port(container: docker.models.containers.Container) -> int:
    env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
    return int(env["PORT"])


def test_an_app_reaches_only_its_own_network(platform: Platform, apps: dict[str, Path]
                                             ) -> None:
    client = docker.from_env()
    inst = platform.instance
    net_a, net_b = L.app_network_name(inst, A), L.app_network_name(inst, B)
    web_a = _one(client, inst, A, **{L.PROCESS: "web"})
    web_b = _one(client, inst, B, **{L.PROCESS: "web"})
    redis_a = _one(client, inst, A, **{L.ROLE: L.ROLE_ADDON})
    redis_b = _one(client, inst, B, **{L.ROLE: L.ROLE_ADDON})
    router = client.containers.list(filters={"label": [
        f"{L.INSTANCE}={inst}", f"{L.ROLE}={L.ROLE_ROUTER}"]})[0]

    # each app container is on its app's network and no other; the router on neither:
    # it runs on the host's network and reaches both bridges as their gateway
    for container, net in ((web_a, net_a), (redis_a, net_a), (web_b, net_b),
                           (redis_b, net_b)):
        container.reload()
        assert list(container.attrs["NetworkSettings"]["Networks"]) == [net], container.name
    router.reload()
    assert list(router.attrs["NetworkSettings"]["Networks"]) == ["host"]
    # what the app's containers see of the host: the gateway of their network
    gateway = _gateway(client, net_a)

    args = {
        "b_web": _ip(web_b, net_b), "b_port": _port(web_b),
        "b_redis": redis_b.name,
        "metadata": list(METADATA),
        "router": gateway, "router_port": platform.router_port,
        "control_host": CONTROL_HOST,
        "a_redis": redis_a.name,
        "a_web": web_a.name, "a_port": _port(web_a),
    }
    r = platform.paas("run", "-a", A, "--", "python", "-c", PROBE, json.dumps(args))
    assert r.code == 0, r.text
    seen = json.loads(r.out.strip().splitlines()[-1])

    assert seen["b_web"] in ("timeout", "ConnectionRefusedError"), seen
    assert seen["b_redis"] in ("unresolved", "timeout", "ConnectionRefusedError"), seen
    assert seen["metadata"] == "timeout", seen  # dropped by the host rule
    # the router listens on the platform's router address (127.0.0.1 here), and answers
    # the control endpoint only to sources on the host: refused, or 403 on 0.0.0.0
    assert " 200 " not in seen["control"].split("\r\n")[0], seen
    assert seen["control"] in ("ConnectionRefusedError", "TimeoutError") \
        or seen["control"].startswith("HTTP/1.1 403"), seen
    assert seen["own_redis"] == "connected", seen
    assert seen["own_web"] == "connected", seen

    # the internet-facing path, through the router, serves both apps
    for name in (A, B):
        status, body = platform.get(name)
        assert status == 200 and "Hello from paas!" in body, (name, status, body)
    # the platform (on the host) still reads the control endpoint, by the published port
    status, body = http_get(platform.router_port, CONTROL_HOST, "/__paas/generation")
    assert status == 200 and body.strip().isdigit(), (status, body)
    # the one host rule that dropped the metadata connection is in place
    assert metadata_rule_present()


def test_destroying_an_app_removes_its_network(platform: Platform, apps: dict[str, Path]
                                               ) -> None:
    client = docker.from_env()
    net_b = L.app_network_name(platform.instance, B)
    assert client.networks.list(names=[net_b])
    r = platform.paas("apps:destroy", B, "--confirm", B)
    assert r.code == 0, r.text
    assert [n.name for n in client.networks.list(names=[net_b]) if n.name == net_b] == []
    status, _ = platform.get(A)
    assert status == 200


def test_a_build_runs_on_the_platforms_build_network(platform: Platform) -> None:
    # A build backend runs the tenant's code as root at build time. On the engine's
    # default bridge the host rule (it matches the platform's bridges) would not keep
    # it from the cloud metadata address.
    app = "netbuild"
    repo = platform.new_repo("build-probe", app)
    try:
        assert platform.paas("apps:create", app, cwd=repo).code == 0
        pushed = platform.git("push", "paas", "main", cwd=repo)
        assert pushed.code != 0, pushed.text
        client = docker.from_env()
        network = client.networks.get(L.build_network_name(platform.instance))
        bridge = network.attrs["Options"]["com.docker.network.bridge.name"]
        assert bridge.startswith("pa-"), bridge  # the rule's wildcard: pa-+
        reported = re.search(r"PAAS-PROBE gateway=(\S+) metadata=(\S+)", pushed.text)
        assert reported is not None, pushed.text
        assert reported.group(1) == _gateway(client, network.name), pushed.text
        assert reported.group(2) == "timeout", pushed.text  # dropped by the host rule
        assert metadata_rule_present()
    finally:
        platform.paas("apps:destroy", app, "--confirm", app)
