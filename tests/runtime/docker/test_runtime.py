"""DockerRuntime against the in-memory engine: what runs, what is routed, in which order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from paas.domain.app import App
from paas.domain.release import Build, Release, WebProtocol
from paas.errors import DeployFailed
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
    def __init__(self, home: Path, max_parallel: int = 8) -> None:
        self.engine = FakeEngine()
        self.router = FakeRouter(self.engine)
        port: Engine = self.engine  # the fake is typed against the port
        self.runtime = DockerRuntime(
            None, Settings(home=home, health_timeout=0.2), engine=port, router=self.router,
            static=NoStatic(), probe=self.answers, max_parallel=max_parallel)
        self.log: list[str] = []

    def answers(self, ip: str, port: int, protocol: WebProtocol) -> bool:
        c = self.engine.inspect(ip)
        return c is not None and c.running

    def deploy(self, version: int, **formation: int) -> None:
        self.runtime.deploy(APP, release(version), formation, self.log.append)

    def at(self, call: tuple[str, object]) -> int:
        return self.engine.calls.index(call)

    def routes(self) -> list[list[str]]:
        return [c[1]["shop"] for c in self.engine.calls  # type: ignore[index]
                if c[0] == "route" and "shop" in c[1]]  # type: ignore[operator]


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
    assert all(p.at(("start", c)) < switch < p.at(("stop", o)) for c in new for o in old)


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
    assert all(switch < p.at(("stop", g)) for g in gone)


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
    with pytest.raises(DeployFailed, match="web process exited; the previous release keeps "
                                           "serving") as failed:
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
    p.runtime.destroy("shop")
    assert p.engine.all == {}
    last_route = [args for op, args in p.engine.calls if op == "route"][-1]
    assert last_route == {} and p.engine.calls[-2][0] == "remove_labelled"
    assert p.engine.calls[-1] == ("remove_network", p.runtime.networks.name("shop"))
