"""The router on the host's network namespace, listening on every address (0.0.0.0):

- a web replica whose process dies is restarted by the engine, possibly at another
  address of its app network (another container took its old one while it was down);
  the router follows it there and the app keeps answering;
- an app container reaches the router as any client does, through the host, but the
  router's control endpoint answers it 403;
- a router address already taken on the host stops the server with one line.

The platform is this module's own (the session's listens on 127.0.0.1 only); every
container it and the test started is removed at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import textwrap
from collections.abc import Iterator

import docker
import pytest

from e2e.harness import Platform, eventually, free_port, http_get
from e2e.harness import network_gateway as _gateway
from paas.router.config import CONTROL_HOST
from paas.runtime.docker import labels as L
from paas.settings import StackImages

APP = "revive"
#: Kills in a row, each after the replica came back: the engine doubles its restart
#: delay every time (100 ms first), so the window another container needs opens.
MAX_KILLS = 8

#: Run in the app's one-off: status lines of requests to the router through the host.
PROBE = textwrap.dedent("""
    import json, socket, sys
    host, port, requests = json.loads(sys.argv[1])
    def status(name, path):
        try:
            s = socket.create_connection((host, port), timeout=4)
            s.sendall(("GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" % (path, name)).encode())
            return s.recv(4096).decode(errors="replace").split("\\r\\n")[0]
        except OSError as e:
            return type(e).__name__
    print(json.dumps([status(name, path) for name, path in requests]))
""")


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory, stack_images: None
         ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("router-host"), router_port=free_port(),
                 server_args=("--router-host", "0.0.0.0"))
    try:
        p.start()
        p.login()
        repo = p.new_repo("flask-hello", APP)
        assert p.paas("apps:create", APP, cwd=repo).code == 0
        pushed = p.git("push", "paas", "main", cwd=repo)
        assert pushed.code == 0, pushed.text
        yield p
    finally:
        p.cleanup()


def _web(p: Platform) -> docker.models.containers.Container:
    found = docker.from_env().containers.list(all=True, filters={"label": [
        f"{L.INSTANCE}={p.instance}", f"{L.APP}={APP}", f"{L.PROCESS}=web"]})
    assert len(found) == 1, [c.name for c in found]
    return found[0]


def _ip(c: docker.models.containers.Container, network: str) -> str:
    c.reload()
    return str(((c.attrs["NetworkSettings"]["Networks"] or {}).get(network) or {})
               .get("IPAddress") or "")


def test_a_restarted_replica_is_reached_at_its_new_address(wide: Platform) -> None:
    client = docker.from_env()
    network = L.app_network_name(wide.instance, APP)
    web = _web(wide)
    first_ip = _ip(web, network)
    assert first_ip and first_ip in (wide.home / "router" / "nginx.conf").read_text()
    squatter = None
    try:
        for _ in range(MAX_KILLS):
            restarts = int(web.attrs["RestartCount"])
            os.kill(int(web.attrs["State"]["Pid"]), signal.SIGKILL)
            eventually(lambda before=restarts: (  # type: ignore[misc]
                web.reload(), web.status != "running"
                or int(web.attrs["RestartCount"]) > before)[1], timeout=60, every=0.01)
            if squatter is None and web.status != "running":
                # Down, waiting for its restart: take its address while it is free.
                squatter = client.containers.run(
                    StackImages().router, ["sleep", "600"], detach=True, network=network,
                    labels={L.INSTANCE: wide.instance, L.ROLE: "e2e-squatter"})
            eventually(lambda: (web.reload(), web.status == "running")[1], timeout=120)
            if _ip(web, network) != first_ip:
                break
            if squatter is not None:
                squatter.remove(force=True)
                squatter = None
        new_ip = _ip(web, network)
        assert new_ip and new_ip != first_ip, "the replica never came back elsewhere"
        assert squatter is not None and _ip(squatter, network) == first_ip

        # the router was reloaded with the new address, and the app answers through it
        eventually(lambda: new_ip in (wide.home / "router" / "nginx.conf").read_text())
        assert first_ip not in (wide.home / "router" / "nginx.conf").read_text()
        eventually(lambda: wide.get(APP) == (200, "Hello from paas! release=v1\n"))
    finally:
        if squatter is not None:
            squatter.remove(force=True)


def test_an_app_container_cannot_read_the_control_endpoint(wide: Platform) -> None:
    client = docker.from_env()
    network = L.app_network_name(wide.instance, APP)
    gateway = _gateway(client, network)
    args = json.dumps([gateway, wide.router_port,
                       [[CONTROL_HOST, "/__paas/generation"], [f"{APP}.localhost", "/"]]])
    r = wide.paas("run", "-a", APP, "--", "python", "-c", PROBE, args)
    assert r.code == 0, r.text
    control, app = json.loads(r.out.strip().splitlines()[-1])
    assert control.startswith("HTTP/1.1 403"), control
    # an app reaches apps the way any client does: through the router, by host name
    assert app.startswith("HTTP/1.1 200"), app
    # the platform, on the host, reads the generation
    status, body = http_get(wide.router_port, CONTROL_HOST, "/__paas/generation")
    assert status == 200 and body.strip().isdigit(), (status, body)


def test_a_taken_router_port_stops_the_server_with_one_line(
        tmp_path_factory: pytest.TempPathFactory, stack_images: None) -> None:
    """The engine used to refuse a taken published port; on the host's network nginx
    finds out itself, and the server says so instead of restarting nginx forever."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = Platform(tmp_path_factory.mktemp("router-taken"), router_port=port)
        try:
            with pytest.raises(RuntimeError, match="paas server exited"):
                p.start()
            assert p.proc is not None and p.proc.returncode not in (0, None)
            errors = [line for line in p.log_path.read_text().splitlines()
                      if line.startswith("error:")]
            assert errors == [f"error: the router cannot serve on 127.0.0.1:{port}: nginx: "
                              f"[emerg] bind() to 127.0.0.1:{port} failed (98: Address "
                              "already in use)"], errors
            routers = docker.from_env().containers.list(all=True, filters={"label": [
                f"{L.INSTANCE}={p.instance}", f"{L.ROLE}={L.ROLE_ROUTER}"]})
            assert routers == []  # removed, not left restarting
        finally:
            p.cleanup()
