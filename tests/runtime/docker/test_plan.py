"""The zero-downtime rules of a Docker convergence, pinned on values."""

from __future__ import annotations

import pytest

from paas.runtime.docker.plan import (
    AwaitHealthy,
    Plan,
    Replica,
    Route,
    Start,
    Step,
    Stop,
    Unroute,
    batches,
    converge,
)


def r(id: str, ptype: str = "web", release: int = 1, running: bool = True) -> Replica:
    return Replica(id, ptype, release, running)


def index(plan: Plan, step: Step) -> int:
    return plan.steps.index(step)


def test_first_deploy_starts_web_checks_it_then_routes() -> None:
    plan = converge([], 1, {"web": 2})
    assert plan.steps == (Start("web", 2), AwaitHealthy("web"), Route(()))


def test_new_release_healthy_before_route_and_route_before_old_web_stops() -> None:
    plan = converge([r("a"), r("b")], 2, {"web": 2})
    assert plan.steps == (
        Start("web", 2), AwaitHealthy("web"), Route(()),
        Stop(("a", "b"), "replica(s) of earlier releases", later=True),
    )


def test_workers_and_beat_stop_before_their_replacements_start() -> None:
    current = [r("w1", "web"), r("k1", "worker"), r("k2", "worker"), r("b1", "beat")]
    plan = converge(current, 2, {"web": 1, "worker": 2, "beat": 1})
    for ptype, old in (("worker", ("k1", "k2")), ("beat", ("b1",))):
        stop = Stop(old, f"replaced {ptype} replica(s)")
        assert index(plan, stop) < index(plan, Start(ptype, len(old)))
    # web goes first: a web that fails its health check touches no worker
    assert index(plan, AwaitHealthy("web")) < min(
        i for i, s in enumerate(plan.steps) if isinstance(s, Stop))
    assert plan.steps[-1] == Stop(("w1",), "replica(s) of earlier releases", later=True)


def test_every_start_and_health_check_comes_before_any_web_replica_stops() -> None:
    current = [r("a"), r("b"), r("k", "worker")]
    plan = converge(current, 2, {"web": 20, "worker": 1}, max_parallel=4)
    web_stops = [i for i, s in enumerate(plan.steps)
                 if isinstance(s, Stop) and {"a", "b"} & set(s.ids)]
    web_work = [i for i, s in enumerate(plan.steps)
                if isinstance(s, (Start, AwaitHealthy)) and s.process_type == "web"]
    route = index(plan, Route(()))
    assert max(web_work) < route < min(web_stops)


def test_scale_down_routes_exactly_the_kept_replicas_before_stopping_the_rest() -> None:
    plan = converge([r("a"), r("b"), r("c")], 1, {"web": 1})
    assert plan.steps == (Route(("a",)), Stop(("b", "c"), "replica(s) no longer needed"))


def test_scale_up_keeps_running_replicas_and_starts_only_the_difference() -> None:
    plan = converge([r("a"), r("k", "worker")], 1, {"web": 3, "worker": 1})
    assert plan.steps == (Start("web", 2), AwaitHealthy("web"), Route(("a",)))
    assert plan.stopped() == ()


def test_nothing_to_do_still_routes_what_runs() -> None:
    assert converge([r("a")], 1, {"web": 1}).steps == (Route(("a",)),)


def test_exited_replicas_are_replaced_not_kept() -> None:
    plan = converge([r("a", running=False), r("k", "worker", running=False)], 1,
                    {"web": 1, "worker": 1})
    assert plan.steps == (
        Start("web", 1), AwaitHealthy("web"),
        Stop(("k",), "replaced worker replica(s)"), Start("worker", 1),
        Route(()), Stop(("a",), "replica(s) no longer needed"),
    )


def test_restart_replaces_every_replica_of_the_fresh_types() -> None:
    current = [r("a"), r("k", "worker"), r("c", "clock")]
    plan = converge(current, 1, {"web": 1, "worker": 1, "clock": 1},
                    fresh=frozenset({"web", "worker"}))
    assert plan.steps == (
        Start("web", 1), AwaitHealthy("web"),
        Stop(("k",), "replaced worker replica(s)"), Start("worker", 1),
        Route(()), Stop(("a",), "replica(s) no longer needed"),
    )


def test_types_no_longer_wanted_stop_after_the_route_and_no_web_unroutes() -> None:
    plan = converge([r("a"), r("k", "worker")], 2, {"worker": 1})
    assert plan.steps == (
        Stop(("k",), "replaced worker replica(s)"), Start("worker", 1), Unroute(),
        Stop(("a",), "replica(s) of earlier releases", later=True),
    )
    assert not plan.routes


def test_web_scaled_to_zero_routes_to_nothing() -> None:
    plan = converge([r("a")], 1, {"web": 0})
    assert plan.steps == (Route(()), Stop(("a",), "replica(s) no longer needed"))


def test_starts_come_in_bounded_batches_each_health_checked() -> None:
    plan = converge([], 1, {"web": 10, "worker": 5}, max_parallel=4)
    starts = [s for s in plan.steps if isinstance(s, Start)]
    assert [(s.process_type, s.count) for s in starts] == [
        ("web", 4), ("web", 4), ("web", 2), ("worker", 4), ("worker", 1)]
    assert plan.steps[:6] == (Start("web", 4), AwaitHealthy("web"), Start("web", 4),
                              AwaitHealthy("web"), Start("web", 2), AwaitHealthy("web"))


def test_a_huge_count_is_still_a_list_of_bounded_batches() -> None:
    assert all(s.count <= 8 for s in batches("web", 1000, 8))
    assert sum(s.count for s in batches("web", 1000, 8)) == 1000
    assert batches("web", 0, 8) == []
    with pytest.raises(ValueError):
        batches("web", 1, 0)


def test_a_new_release_answers_before_its_predecessors_stop_a_scale_down_after() -> None:
    """Only what the router no longer sends to stops after the rollout answered: the
    predecessors of a new release; a scale-down's surplus stops before it answers."""
    current = [r("old", release=1), r("a", release=2), r("b", release=2),
               r("gone", release=2, running=False)]
    plan = converge(current, 2, {"web": 1})
    assert plan.steps == (
        Route(("a",)),
        Stop(("b", "gone"), "replica(s) no longer needed"),
        Stop(("old",), "replica(s) of earlier releases", later=True),
    )
    # nothing stops later that a worker of the router could still send to
    for step in plan.steps:
        if isinstance(step, Stop) and step.later:
            assert index(plan, step) > index(plan, Route(("a",)))
