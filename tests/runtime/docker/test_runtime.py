"""DockerRuntime against the in-memory engine: what runs, what is routed, in which order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paas.domain.app import App
from paas.domain.health import Answer, HealthCheck
from paas.domain.release import Build, Release, WebProtocol
from paas.errors import DeployFailed
from paas.router.config import Route as RouterRoute
from paas.runtime.docker.engine import Engine, Spec
from paas.runtime.docker.runtime import DockerRuntime
from paas.settings import Settings
from tests.runtime.docker.fakes import FakeEngine, FakeRouter, NoStatic

BUILD = Build(image="img", commit="c" * 40, processes={
    "web": "gunicorn app:app", "worker": "celery -A app worker", "beat": "celery -A app beat"},
    release_command="python manage.py migrate")
APP = App(name="shop", created_at=datetime(2024, 1, 1, tzinfo=UTC))


def release(version: int, build: Build = BUILD) -> Release:
    return Release(app="shop", version=version, build=build, config={"GREETING": "hi"})


class Platform:
    def __init__(self, home: Path, max_parallel: int = 8,
                 engine: FakeEngine | None = None) -> None:
        self.engine = engine or FakeEngine()
        self.router = FakeRouter(self.engine)
        port: Engine = self.engine  # the fake is typed against the port
        self.runtime = DockerRuntime(
            None, Settings(home=home, health_timeout=0.2), engine=port, router=self.router,
            static=NoStatic(), probe=self.answers, max_parallel=max_parallel,
            crash_watch=0)
        self.log: list[str] = []

    def answers(self, ip: str, port: int, protocol: WebProtocol, check: HealthCheck
                ) -> Answer:
        c = self.engine.inspect(ip)
        return Answer(status=200) if c is not None and c.running else Answer(
            error="connection refused")

    def deploy(self, version: int, **formation: int) -> None:
        self.runtime.deploy(APP, release(version), formation, self.log.append)
        self.runtime.settle("shop")

    def at(self, call: tuple[str, object]) -> int:
        return self.engine.calls.index(call)

    def routes(self) -> list[list[str]]:
        return [c[1]["shop"] for c in self.engine.calls  # type: ignore[index]
                if c[0] == "route" and "shop" in c[1]]  # type: ignore[operator]


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def of(release: int, spec: Spec) -> bool:
    return spec.labels["paas.release"] == str(release)


@pytest.fixture
def p(tmp_path: Path) -> Platform:
    return Platform(tmp_path)


def test_first_deploy_starts_and_routes_web(p: Platform) -> None:
    p.deploy(1)
    web = p.engine.running("web")
    assert len(web) == 1 and p.engine.running("worker") == []
    assert p.routes() == [web]
    spec = p.engine.specs[web[0]]
    assert spec.command == ("/bin/sh", "-c", "gunicorn app:app") and spec.restart
    assert spec.environment["GREETING"] == "hi" and spec.environment["PAAS_RELEASE"] == "v1"
    assert "-----> Starting 1 web replica(s) of v1" in p.log


def test_new_release_is_routed_before_the_old_one_stops(p: Platform) -> None:
    p.deploy(1, web=2)
    old = p.engine.running()
    p.deploy(2, web=2)
    new = p.engine.running()
    assert set(new).isdisjoint(old)
    assert p.routes()[-1] == new  # routed to the new replicas only
    switch = p.at(("route", {"shop": new}))
    # the router's workers of the old config may still send to the old replicas
    drained = p.at(("drained", {"shop": new}))
    assert all(p.at(("start", c)) < switch < drained < p.at(("stop", o))
               for c in new for o in old)


def test_a_replica_restarted_at_another_address_is_routed_there(p: Platform) -> None:
    """The engine's restart may hand a crashed replica another address: the router
    follows it, and reloads only when an address did change."""
    p.deploy(1, web=1)
    web = p.engine.running("web")[0]
    switches = len(p.routes())
    p.runtime._refresh_routes()
    assert len(p.routes()) == switches
    p.engine.addresses[web] = "10.213.0.9"
    p.runtime._refresh_routes()
    assert p.routes()[-1] == ["10.213.0.9"] and len(p.routes()) == switches + 1
    p.runtime._refresh_routes()
    assert len(p.routes()) == switches + 1


def test_workers_stop_before_their_replacements_start(p: Platform) -> None:
    p.deploy(1, web=1, worker=2, beat=1)
    old = {t: p.engine.running(t) for t in ("worker", "beat")}
    p.deploy(2, web=1, worker=2, beat=1)
    for ptype, ids in old.items():
        new = p.engine.running(ptype)
        assert max(p.at(("stop", o)) for o in ids) < min(p.at(("start", n)) for n in new)


def test_scale_up_then_down_routes_exactly_the_kept_replicas(p: Platform) -> None:
    p.deploy(1, web=1)
    first = p.engine.running()
    p.deploy(1, web=3)
    assert first[0] in p.engine.running() and len(p.routes()[-1]) == 3
    p.deploy(1, web=1)
    kept = p.engine.running()
    assert len(kept) == 1 and p.routes()[-1] == kept
    gone = [c for c in p.routes()[-2] if c not in kept]
    switch = len(p.engine.calls) - 1 - p.engine.calls[::-1].index(("route", {"shop": kept}))
    drained = len(p.engine.calls) - 1 - p.engine.calls[::-1].index(
        ("drained", {"shop": kept}))
    assert all(switch < drained < p.at(("stop", g)) for g in gone)


def test_restart_replaces_every_replica_of_the_types(p: Platform) -> None:
    p.deploy(1, web=2, worker=1)
    before = p.engine.running("web") + p.engine.running("worker")
    p.runtime.restart(APP, release(1), {"web": 2, "worker": 1}, ["web", "worker"],
                      p.log.append)
    after = p.engine.running("web") + p.engine.running("worker")
    assert len(after) == 3 and set(after).isdisjoint(before)


def test_failed_health_check_leaves_the_old_release_serving(p: Platform) -> None:
    p.deploy(1, web=2, worker=1)
    serving, workers, calls = p.engine.running(), p.engine.running("worker"), len(p.routes())
    p.engine.crash = lambda spec: of(2, spec)
    with pytest.raises(DeployFailed, match=r"web process exited with code 1 \(v1 keeps "
                                           r"serving\): last log lines: Traceback: boom"
                       ) as failed:
        p.deploy(2, web=2, worker=1)
    assert failed.value.log == "Traceback: boom"
    assert p.engine.running() == serving and p.engine.running("worker") == workers
    assert len(p.routes()) == calls  # the route never switched
    assert [c for c in p.engine.all.values() if c.labels["paas.release"] == "2"] == []
    assert not any(op == "stop" and cid in serving for op, cid in p.engine.calls)


def test_a_failed_start_stops_nothing_and_removes_what_it_started(p: Platform) -> None:
    p.deploy(1, web=1)
    serving = p.engine.running()
    made = iter(range(100))
    p.engine.fail_create = lambda spec: of(2, spec) and next(made) >= 2  # the third fails
    with pytest.raises(DeployFailed, match=r"cannot start web: cannot create .*no space"):
        p.deploy(2, web=4)
    assert p.engine.running() == serving
    assert [c for c in p.engine.all.values() if c.labels["paas.release"] == "2"] == []


def test_a_router_refusal_removes_the_new_replicas(p: Platform) -> None:
    p.deploy(1)
    serving = p.engine.running()
    p.router.fail = True
    with pytest.raises(DeployFailed, match="rejected by nginx"):
        p.deploy(2)
    assert p.engine.running() == serving


def test_starts_are_bounded_so_a_doomed_scale_stops_early(tmp_path: Path) -> None:
    p = Platform(tmp_path, max_parallel=2)
    p.engine.crash = lambda spec: True
    with pytest.raises(DeployFailed):
        p.deploy(1, web=1000)
    assert sum(1 for op, _ in p.engine.calls if op == "start") == 2


def test_batches_start_in_order(tmp_path: Path) -> None:
    p = Platform(tmp_path, max_parallel=2)
    p.deploy(1, web=5)
    assert len(p.engine.running()) == 5
    assert [line for line in p.log if "Starting" in line] == [
        "-----> Starting 2 web replica(s) of v1"] * 2 + ["-----> Starting 1 web replica(s) of v1"]


def test_reconcile_removes_strays_and_converges_known_apps(p: Platform) -> None:
    stray = App(name="gone", created_at=APP.created_at)
    p.runtime.deploy(stray, Release(app="gone", version=1, build=BUILD), {}, p.log.append)
    p.deploy(1, web=1)
    p.engine.all = {k: v for k, v in p.engine.all.items() if v.labels["paas.app"] == "gone"}
    p.runtime.reconcile([(APP, release(1))])
    assert [c.labels["paas.app"] for c in p.engine.all.values()] == ["shop"]
    assert p.routes()[-1] == p.engine.running()


def test_reconcile_keeps_what_runs_when_a_deploy_fails(p: Platform) -> None:
    p.deploy(1)
    serving = p.engine.running()
    p.engine.crash = lambda spec: True
    p.runtime.reconcile([(APP, release(2))])
    assert p.engine.running() == serving


def test_release_phase_logs_output_and_fails_on_exit_code(p: Platform) -> None:
    p.runtime.run_release_phase(APP, release(1), p.log.append)
    assert p.log[-2:] == ["       migrating", "       done"] and p.engine.all == {}
    p.engine.exit_code = 3
    with pytest.raises(DeployFailed, match="release phase failed with exit code 3"):
        p.runtime.run_release_phase(APP, release(1), p.log.append)
    assert p.engine.all == {}


def test_processes_and_destroy(p: Platform) -> None:
    p.deploy(1, web=1, worker=1)
    assert [(x.process_type, x.release, x.state) for x in p.runtime.processes("shop")] == [
        ("web", 1, "running"), ("worker", 1, "running")]
    serving = p.engine.running("web")
    p.runtime.destroy("shop")
    assert p.engine.all == {}
    assert p.at(("route", {})) < p.at(("drained", {})) < p.at(("stop", serving[0]))
    last_route = [args for op, args in p.engine.calls if op == "route"][-1]
    assert last_route == {} and p.engine.calls[-2][0] == "remove_labelled"
    assert p.engine.calls[-1] == ("remove_network", p.runtime.networks.name("shop"))


# health checks that explain themselves ------------------------------------------------
PROC_NET_80 = ("  sl  local_address rem_address   st\n"
               "   0: 00000000:0050 00000000:0000 0A 00000000:00000000\n")


def checked(p: Platform, answer: Answer) -> list[HealthCheck]:
    """Make every probe get ``answer``; the checks the probes were given."""
    seen: list[HealthCheck] = []

    def probe(ip: str, port: int, protocol: WebProtocol, check: HealthCheck) -> Answer:
        seen.append(check)
        return answer

    p.runtime.probe = probe
    return seen


def test_a_configured_check_that_gets_500_names_status_and_path(p: Platform) -> None:
    build = replace(BUILD, health=HealthCheck("/health", 200, 0.2))
    seen = checked(p, Answer(status=500))
    with pytest.raises(DeployFailed) as failed:
        p.runtime.deploy(APP, release(1, build), {"web": 1}, p.log.append)
    assert str(failed.value.message) == ("web process answered 500 on /health: "
                                         "last log lines: Traceback: boom")
    assert seen[0] == HealthCheck("/health", 200, 0.2)
    assert p.engine.running() == []


def test_config_vars_override_the_builds_check(p: Platform) -> None:
    seen = checked(p, Answer(status=204))
    rel = replace(release(1), config={"PAAS_HEALTHCHECK_PATH": "/ready",
                                      "PAAS_HEALTHCHECK_STATUS": "204"})
    p.runtime.deploy(APP, rel, {"web": 1}, p.log.append)
    assert seen[0] == HealthCheck("/ready", 204)


def test_a_hard_coded_port_is_found_in_the_containers_sockets(p: Platform) -> None:
    checked(p, Answer(error="connection refused"))
    p.engine.exec_result = (0, PROC_NET_80)
    p.engine.log_text = "serving on port 80"
    with pytest.raises(DeployFailed, match=r"^nothing is listening on PORT=5000; the app "
                                           r"listens on 80: last log lines: serving on port "
                                           r"80$"):
        p.deploy(1)
    execs = [c[1] for c in p.engine.calls if c[0] == "exec"]
    assert [e[1] for e in execs] == [("cat", "/proc/net/tcp", "/proc/net/tcp6")]  # type: ignore[index]


def test_only_a_release_that_serves_is_said_to_keep_serving(p: Platform) -> None:
    p.engine.crash = lambda spec: True
    with pytest.raises(DeployFailed) as first:
        p.deploy(1)
    assert "serving" not in first.value.message
    p.engine.crash = lambda spec: False
    p.deploy(2)
    p.engine.crash = lambda spec: of(3, spec)
    with pytest.raises(DeployFailed, match=r"\(v2 keeps serving\)"):
        p.deploy(3)


# DYNO ---------------------------------------------------------------------------------
def dynos(p: Platform, process_type: str = "web") -> list[str]:
    return sorted(p.engine.specs[c].environment["DYNO"] for c in p.engine.running(process_type))


def test_each_replica_gets_its_dyno_name(p: Platform) -> None:
    p.deploy(1, web=2, worker=1)
    assert dynos(p) == ["web.1", "web.2"] and dynos(p, "worker") == ["worker.1"]
    p.deploy(1, web=3, worker=1)  # a scale-up takes the next free number
    assert dynos(p) == ["web.1", "web.2", "web.3"]
    p.deploy(2, web=2, worker=1)  # a new release numbers from 1 again
    assert dynos(p) == ["web.1", "web.2"]
    p.runtime.restart(APP, release(2), {"web": 2, "worker": 1}, ["web"], p.log.append)
    assert dynos(p) == ["web.1", "web.2"]  # the replaced replicas' numbers are reused


# crash loops --------------------------------------------------------------------------
def test_a_crash_looping_worker_is_reported_in_the_rollout(p: Platform) -> None:
    p.runtime.crash_watch = 0.2
    p.engine.crash = lambda spec: spec.labels["paas.process-type"] == "worker"
    p.engine.crash_code = 3
    p.engine.log_text = "connecting\nImportError: redis"
    p.deploy(1, web=1, worker=1)
    assert (" !     worker.1 is crash-looping: exited with code 3: ImportError: redis "
            "(see `paas logs -p worker`)") in p.log
    worker = next(i for i in p.runtime.processes("shop") if i.process_type == "worker")
    assert (worker.exit_code, worker.last_log) == (3, "ImportError: redis")
    web = next(i for i in p.runtime.processes("shop") if i.process_type == "web")
    assert (web.exit_code, web.last_log) == (None, None)


def test_healthy_workers_are_not_reported(p: Platform) -> None:
    p.runtime.crash_watch = 0.2
    p.deploy(1, web=1, worker=1)
    assert not any("crash-looping" in line for line in p.log)


# data folders: Flask's instance folder with its SQLite database ------------------------
FLASKR = replace(BUILD, processes={"web": "gunicorn 'flaskr:create_app()'"},
                 release_command="flask --app flaskr init-db", data_dirs=("/app/instance",))


def test_the_release_phase_and_every_replica_share_the_data_volume(p: Platform) -> None:
    p.runtime.run_release_phase(APP, release(1, FLASKR), p.log.append)
    p.runtime.deploy(APP, release(1, FLASKR), {"web": 2}, p.log.append)
    p.runtime.deploy(APP, release(2, FLASKR), {"web": 2}, p.log.append)
    mounts = {tuple(s.volumes.items()) for s in p.engine.specs.values()}
    [(name, (path, mode))] = mounts.pop()
    assert not mounts and len(p.engine.specs) == 5  # release phase + 2 + 2, one volume
    assert (path, mode) == ("/app/instance", "rw")
    assert name.startswith(f"paas-{p.runtime.instance}-shop-data-instance-")
    assert p.engine.volumes == {name: {"paas.instance": p.runtime.instance,
                                       "paas.app": "shop", "paas.role": "data"}}
    # the volume is the app's: destroy removes what carries the app's label, volumes too
    p.runtime.destroy("shop")
    assert ("remove_labelled", {"paas.instance": p.runtime.instance, "paas.app": "shop"}) \
        in p.engine.calls


def test_a_build_without_data_folders_mounts_nothing(p: Platform) -> None:
    p.deploy(1, web=1)
    assert all(s.volumes == {} for s in p.engine.specs.values()) and not p.engine.volumes


def test_a_data_folder_outside_the_app_is_refused_before_anything_starts(p: Platform) -> None:
    bad = replace(FLASKR, data_dirs=("/opt/venv",))
    with pytest.raises(DeployFailed, match="a data folder must be a path below /app"):
        p.runtime.deploy(APP, release(1, bad), {"web": 1}, p.log.append)
    assert p.engine.all == {} and not p.engine.volumes


# answering before the predecessors stop ------------------------------------------------
class HeldStops(FakeEngine):
    """Stops wait for ``release``: the rollout must not wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def stop(self, cid: str, timeout: float) -> None:
        assert self.release.wait(5), "a stop was never let through"
        super().stop(cid, timeout)


def test_a_new_release_answers_before_its_predecessors_stop(tmp_path: Path) -> None:
    held = HeldStops()
    p = Platform(tmp_path, engine=held)
    held.release.set()
    p.deploy(1, web=2)
    old = held.running("web")
    held.release.clear()
    p.runtime.deploy(APP, release(2), {"web": 2}, p.log.append)  # returns: nothing stopped
    new = [c for c in held.running("web") if c not in old]
    assert len(new) == 2 and set(old) <= set(held.running("web"))
    assert p.routes()[-1] == sorted(new)  # the router already sends to v2 only
    assert "-----> v2 serves; 2 replica(s) of earlier releases stop in the background" \
        in p.log
    assert not p.runtime.settled("shop", timeout=0.05)
    held.release.set()
    assert p.runtime.settled("shop", timeout=5)
    assert sorted(held.running("web")) == sorted(new)


class SlowDrain(FakeRouter):
    """A router whose old workers never finish in time."""

    def apply(self, routes: list[RouterRoute], networks: Collection[str]
              ) -> Callable[[], None]:
        super().apply(routes, networks)

        def drained() -> None:
            raise DeployFailed("the router's workers of the previous config did not "
                               "finish their requests in time")

        return drained


def test_predecessors_still_reachable_by_the_router_are_not_stopped(p: Platform) -> None:
    p.deploy(1, web=1)
    old = p.engine.running("web")
    p.runtime.router = SlowDrain(p.engine)
    p.deploy(2, web=1)  # answers: v2 serves
    assert p.runtime.settled("shop", timeout=5)
    assert set(old) < set(p.engine.running("web"))  # left for the next convergence
    assert not any(op == "stop" for op, _ in p.engine.calls)


def test_a_scale_down_stops_its_surplus_before_it_answers(p: Platform) -> None:
    p.deploy(1, web=3)
    p.runtime.deploy(APP, release(1), {"web": 1}, p.log.append)
    assert len(p.engine.running("web")) == 1  # no settle needed: `paas ps` sees 1


def test_a_web_replica_crashing_after_the_switch_is_named_in_the_log(p: Platform) -> None:
    p.runtime.crash_watch = 1.0
    p.deploy(1, web=1)
    web = p.engine.running("web")[0]
    # it answered its check, then exits: the engine restarts it forever
    p.engine.all[web] = replace(p.engine.all[web], state="restarting", exit_code=1)
    assert eventually(lambda: any("web.1 is crash-looping: exited with code 1" in line
                                  for line in p.log))
