"""A hostile tenant against a neighbour: counts, processes and memory are bounded.

A platform of this module's own runs two apps: ``hostile`` (a Flask app with a ``hog``
process type that allocates 1 GB at start) and ``neighbour`` (a plain Flask app). Every
hostile act is bounded in time and count; each test checks the neighbour kept serving.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from e2e.harness import Platform, eventually

HOSTILE, NEIGHBOUR = "hostile", "neighbour"
MIB = 1024 * 1024
#: The default size, standard-1x.
MEMORY, PIDS = 512 * MIB, 512

#: Spawns tiny processes until the kernel refuses one; at most 5,000 and 20 s, and the
#: children end by themselves after 15 s.
FORK_LOOP = """
import os, time
n, deadline = 0, time.monotonic() + 20
while n < 5000 and time.monotonic() < deadline:
    try:
        os.posix_spawn("/bin/sleep", ["sleep", "15"], {})
    except OSError as e:
        print(f"refused after {n}: {e.strerror}", flush=True)
        break
    n += 1
else:
    print(f"spawned {n} without a refusal", flush=True)
"""



@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None
             ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("hostile"))
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


def deploy(platform: Platform, template: str, name: str) -> Path:
    repo = platform.new_repo(template, name)
    assert platform.paas("apps:create", name, cwd=repo).code == 0
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    return repo


@pytest.fixture(scope="module")
def apps(platform: Platform) -> None:
    deploy(platform, "hostile-flask", HOSTILE)
    deploy(platform, "flask-hello", NEIGHBOUR)


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


def containers(client: docker.DockerClient, platform: Platform, app: str | None = None,
               process: str | None = None) -> list[Any]:
    labels = [f"paas.instance={platform.instance}"]
    labels += [f"paas.app={app}"] if app else []
    labels += [f"paas.process-type={process}"] if process else []
    return list(client.containers.list(all=True, filters={"label": labels}))


def neighbour_answers(platform: Platform, requests: int) -> list[int]:
    """Statuses of ``requests`` sequential GETs to the neighbour (errors count as 0)."""
    statuses = []
    for _ in range(requests):
        try:
            statuses.append(platform.get(NEIGHBOUR)[0])
        except OSError:
            statuses.append(0)
    return statuses


@pytest.mark.parametrize("count", ["1000", "9999999999999999999999"])
def test_a_huge_scale_is_one_line_refused_and_starts_nothing(
        platform: Platform, apps: None, client: docker.DockerClient, count: str) -> None:
    before = {c.id for c in containers(client, platform)}
    r = platform.paas("scale", f"web={count}", "-a", HOSTILE)
    assert r.code != 0
    assert r.out == ""
    assert r.err.count("\n") == 1 and r.err.startswith("error: ") and "refused" in r.err, r.err
    assert {c.id for c in containers(client, platform)} == before
    ps = platform.paas("ps", "-a", HOSTILE)
    assert ps.out.splitlines()[0].endswith(": hog=0 web=1"), ps.out


def test_replicas_run_confined_and_hardened(
        platform: Platform, apps: None, client: docker.DockerClient) -> None:
    (web,) = containers(client, platform, HOSTILE, "web")
    host = web.attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["CapDrop"] == ["ALL"]
    assert host["Memory"] == host["MemorySwap"] == MEMORY
    assert host["PidsLimit"] == PIDS
    assert host["CpuShares"] == 1024 and not host["CpuQuota"]
    assert "/tmp" in host["Tmpfs"]
    # a replica printing in a loop fills a bounded, rotated log, not the host's disk
    assert host["LogConfig"] == {"Type": "json-file",
                                 "Config": {"max-size": str(10 * 2**20), "max-file": "3"}}
    # and so does the router, which prints every app's access lines
    (router,) = [c for c in containers(client, platform) if c.labels["paas.role"] == "router"]
    assert router.attrs["HostConfig"]["LogConfig"]["Config"]["max-file"] == "4"
    # the app runs as uid 10001 and still binds its port, with no capability at all
    _, out = web.exec_run(["sh", "-c", "id -u; touch /app/x 2>&1; touch /tmp/x && echo tmp"])
    lines = out.decode().splitlines()
    assert lines[0] == "10001" and "Read-only file system" in lines[1] and lines[2] == "tmp"
    # no setuid binary (su, mount) is left in the image to try
    _, found = web.exec_run(["sh", "-c", "find / -xdev -perm /6000 -type f 2>/dev/null"])
    assert found.decode().strip() == ""
    status, body = platform.get(HOSTILE)
    assert (status, body) == (200, "hostile but polite\n")
    assert "standard-1x" in platform.paas("ps", "-a", HOSTILE).out


def test_a_fork_loop_stops_at_the_pids_limit_while_the_neighbour_answers(
        platform: Platform, apps: None) -> None:
    result: dict[str, Any] = {}

    def attack() -> None:
        result["run"] = platform.paas("run", "--no-tty", "-a", HOSTILE, "--",
                                      "python", "-c", FORK_LOOP)

    attacker = threading.Thread(target=attack)
    attacker.start()
    statuses = neighbour_answers(platform, 200)
    attacker.join(timeout=120)
    assert not attacker.is_alive()
    run = result["run"]
    assert "refused after" in run.out, run.text
    spawned = int(run.out.split("refused after ")[1].split(":")[0])
    assert 100 < spawned < PIDS
    assert statuses == [200] * 200


def test_a_memory_hog_is_oom_killed_and_restarted_while_the_neighbour_answers(
        platform: Platform, apps: None, client: docker.DockerClient) -> None:
    r = platform.paas("scale", "hog=1", "-a", HOSTILE)
    assert r.code == 0, r.text
    try:
        (hog,) = containers(client, platform, HOSTILE, "hog")

        def restarted() -> bool:
            hog.reload()
            return int(hog.attrs["RestartCount"]) >= 2

        eventually(restarted, timeout=90)
        assert hog.attrs["HostConfig"]["Memory"] == MEMORY
        assert "allocated" not in hog.logs().decode()  # it never got its gigabyte
        assert neighbour_answers(platform, 100) == [200] * 100
    finally:
        assert platform.paas("scale", "hog=0", "-a", HOSTILE).code == 0
