"""Traces of (time, observed metric, current replicas) through the pure policy."""

from __future__ import annotations

import pytest

from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.formation import parse_scale_args
from paas.domain.scaling import (
    Behavior,
    Decision,
    History,
    check_manual_scale,
    decide,
    owned_by_policy_message,
)
from paas.errors import Conflict


def cpu(min_=1, max_=5, percent=70, process_type="web"):
    return AutoscalePolicy(process_type, min_, max_, Metric.CPU, cpu_percent=percent)


def queue(min_=0, max_=30, per=10, process_type="worker"):
    return AutoscalePolicy(process_type, min_, max_, Metric.QUEUE, queue="celery", per_replica=per)


def trace(policy, steps, behavior=None) -> list[Decision]:
    """Open loop: each step gives the replicas actually running."""
    history = History()
    out = []
    for now, observed, current in steps:
        d, history = decide(
            policy,
            now=now,
            current=current,
            observed=observed,
            history=history,
            behavior=behavior,
        )
        out.append(d)
    return out


def closed_loop(policy, start, steps, behavior=None) -> list[int]:
    """Closed loop: the runtime applies every decision before the next step."""
    history = History()
    current = start
    seq = []
    for now, observed in steps:
        d, history = decide(
            policy,
            now=now,
            current=current,
            observed=observed,
            history=history,
            behavior=behavior,
        )
        current = d.desired
        seq.append(current)
    return seq


# -- CPU: the ratio rule and tolerance ------------------------------------------------


def test_ratio_rule_scales_up_by_ceil():
    [d] = trace(cpu(max_=10), [(0, 140, 2)])
    assert d.desired == 4  # ceil(2 * 140 / 70)
    assert d.reason == "cpu 140% > target 70% across 2 replicas: 2 -> 4"


def test_capped_by_max_is_explained():
    [d] = trace(cpu(max_=5), [(0, 250, 2)])
    assert d.desired == 5  # ceil(2 * 250 / 70) = 8
    assert d.reason == "cpu 250% > target 70% across 2 replicas: 2 -> 5 (capped by max 5)"


@pytest.mark.parametrize("observed", [63, 70, 77])
def test_within_tolerance_holds(observed):
    [d] = trace(cpu(), [(0, observed, 3)])
    assert d.desired == 3
    assert not d.changed
    assert "within tolerance 10%" in d.reason


def test_just_outside_tolerance_moves():
    [d] = trace(cpu(max_=10), [(0, 78, 3)])
    assert d.desired == 4  # 78/70 = 1.114 > 1.1; ceil(3 * 1.114) = 4


def test_whole_ratio_is_exact_not_float_rounded():
    # 3 * 0.1 style float error must not turn 30/10 into 3.0000000004 -> 4.
    [d] = trace(queue(per=10), [(0, 30.0, 1)])
    assert d.desired == 3


def test_min_clamp_on_low_cpu_after_window():
    b = Behavior(stabilization_seconds=60)
    seq = closed_loop(cpu(min_=2), 4, [(0, 5), (30, 5), (61, 5)], behavior=b)
    # The first low reading is the window's only sample: it can go straight to min.
    assert seq == [2, 2, 2]


def test_out_of_bounds_current_is_fixed_at_once():
    d1, d2 = trace(cpu(min_=2, max_=4), [(0, 70, 7), (1, 70, 1)])
    assert (d1.desired, d2.desired) == (4, 2)
    assert d1.reason == "7 replicas above max 4: 7 -> 4"
    assert d2.reason == "1 replicas below min 2: 1 -> 2"


def test_missing_metric_keeps_current():
    [d] = trace(cpu(), [(0, None, 3)])
    assert d.desired == 3
    assert d.reason == "cpu metric unavailable: stays 3"


# -- scale-up rate limit: max(+4 pods, +100 %) per 15 s --------------------------------


def test_scale_up_limited_per_period_then_continues():
    p = cpu(max_=20, percent=50)
    # 1 replica at 1000 %: wants 20 at once.
    seq = closed_loop(p, 1, [(0, 1000), (5, 1000), (15, 1000), (30, 1000), (45, 1000)])
    # t=0: max(1+4, 2)=5. t=5: same period, start 1 -> still 5 (held).
    # t=15: period (0,15] excludes t=0 -> start 5: max(9, 10)=10. t=30: 20.
    assert seq == [5, 5, 10, 20, 20]


def test_rate_limit_reason():
    [d] = trace(cpu(max_=20), [(0, 700, 2)])
    assert d.desired == 6  # max(2+4, 2*2)
    assert "limited to max(+4, +100%) per 15s; wants 20" in d.reason


def test_steps_within_a_period_add_up():
    p = cpu(max_=20, percent=50)
    # +2 at t=0 (wants 3), then a big demand at t=10: start is 1, so the limit is 5.
    seq = closed_loop(p, 1, [(0, 150), (10, 1000)])
    assert seq == [3, 5]


# -- scale-down stabilization window ---------------------------------------------------


def test_scale_down_held_by_window_then_released():
    b = Behavior(stabilization_seconds=300)
    p = cpu(min_=1, max_=10)
    ds = []
    history = History()
    current = 2
    for now, obs in [(0, 280), (60, 10), (200, 10), (299, 10), (301, 10)]:
        d, history = decide(p, now=now, current=current, observed=obs, history=history, behavior=b)
        current = d.desired
        ds.append(d)
    # t=0 wants 8, rate-limited to max(2+4, 2*2) = 6.
    assert [d.desired for d in ds] == [6, 6, 6, 6, 1]
    # At t=301 the t=0 recommendation (8) left the window; later ones say ceil(6*10/70)=1.
    assert ds[1].reason == (
        "cpu 10% < target 70% across 6 replicas: stays 6, scale-down to 1 held by"
        " stabilization window until t=300 (in 240s)"
    )
    assert ds[4].reason == "cpu 10% < target 70% across 6 replicas: 6 -> 1"


def test_scale_down_goes_to_highest_recommendation_in_window():
    b = Behavior(stabilization_seconds=100)
    p = cpu(min_=1, max_=10)
    # Open loop: 6 running; recommendations 6 (t=0), 4 (t=50), then 1 at t=120:
    # the t=0 sample left, the t=50 one (4) still holds.
    ds = trace(p, [(0, 70, 6), (50, 46, 6), (120, 5, 6)], behavior=b)
    assert [d.desired for d in ds] == [6, 6, 4]
    assert ds[2].reason.startswith("cpu 5% < target 70% across 6 replicas: 6 -> 4, scale-down")
    assert "until t=150" in ds[2].reason


def test_spike_inside_window_keeps_replicas_up():
    b = Behavior(stabilization_seconds=30)
    seq = closed_loop(
        cpu(max_=10), 4, [(0, 30), (10, 200), (20, 30), (35, 30), (41, 30)], behavior=b
    )
    # t=0 wants 2 (window has nothing higher) -> 2. t=10 spike: ceil(2*200/70)=6.
    # t=20,35: held at 6 by the t=10 sample. t=41: sample left -> ceil(6*30/70)=3.
    assert seq == [2, 6, 6, 6, 3]


# -- queue policies (KEDA AverageValue + activation) -----------------------------------


def test_activation_from_zero_to_one():
    [d] = trace(queue(), [(0, 1, 0)])
    assert d.desired == 1
    assert d.reason == ("queue celery: 1 task > activation 0, target 10 per replica: 0 -> 1")


def test_stays_at_zero_without_work_and_below_activation():
    ds = trace(queue(), [(0, 0, 0), (1, 3, 0)], behavior=Behavior(activation=5))
    assert [d.desired for d in ds] == [0, 0]
    assert ds[1].reason == "queue celery: 3 tasks <= activation 5: stays 0"


def test_queue_burst_scales_to_backlog_over_per_replica_clamped_by_max():
    p = queue(min_=0, max_=20, per=10)
    seq = closed_loop(p, 1, [(0, 300), (15, 300), (30, 300), (45, 300)])
    # 300 / 10 = 30 capped by max 20; climbs by max(+4, +100%) per 15 s.
    assert seq == [5, 10, 20, 20]


def test_queue_burst_from_zero_reaches_30():
    p = queue(min_=0, max_=30, per=10)
    seq = closed_loop(p, 0, [(0, 300), (15, 300), (30, 300), (45, 300), (60, 300)])
    assert seq == [4, 8, 16, 30, 30]


def test_empty_queue_back_to_min_after_window():
    b = Behavior(stabilization_seconds=20)
    p = queue(min_=0, max_=30, per=10)
    seq = closed_loop(p, 0, [(0, 40), (5, 0), (15, 0), (21, 0), (30, 0)], behavior=b)
    # The t=0 recommendation (4) holds the fleet until it leaves the window at t=20.
    assert seq == [4, 4, 4, 0, 0]


def test_empty_queue_back_to_nonzero_min():
    b = Behavior(stabilization_seconds=10)
    seq = closed_loop(queue(min_=2, per=10), 2, [(0, 100), (5, 0), (11, 0)], behavior=b)
    assert seq == [6, 6, 2]


def test_queue_tolerance_uses_average_per_replica():
    # 3 replicas, 32 tasks: 10.67 per replica, within 10 % of 10.
    [d] = trace(queue(per=10), [(0, 32, 3)])
    assert d.desired == 3
    assert "within tolerance" in d.reason


# -- history stays bounded -------------------------------------------------------------


def test_history_drops_samples_outside_windows():
    b = Behavior(stabilization_seconds=10, scale_up_period_seconds=5)
    history = History()
    for now in range(100):
        _, history = decide(
            cpu(), now=float(now), current=1, observed=70, history=history, behavior=b
        )
    assert len(history.recommendations) <= 11
    assert len(history.scale_ups) <= 5


# -- manual scale of an autoscaled type ------------------------------------------------


def test_manual_scale_of_autoscaled_type_is_refused_with_guidance():
    policies = {"web": cpu(min_=1, max_=5, percent=70)}
    with pytest.raises(Conflict) as exc:
        check_manual_scale(policies, parse_scale_args(["worker=2", "web=3"]))
    assert str(exc.value) == (
        "web is autoscaled (min 1, max 5, cpu 70%): change the policy with"
        " `paas autoscale:set` or remove it with `paas autoscale:unset web`"
    )


def test_manual_scale_of_other_types_passes():
    check_manual_scale([cpu()], parse_scale_args(["worker=2"]))


def test_queue_policy_message():
    assert owned_by_policy_message(queue(min_=0, max_=8)) == (
        "worker is autoscaled (min 0, max 8, queue celery 10 per replica): change the policy"
        " with `paas autoscale:set` or remove it with `paas autoscale:unset worker`"
    )


def test_decision_as_dict_is_json_ready():
    import json

    [d] = trace(cpu(), [(0, 70, 1)])
    assert json.loads(json.dumps(d.as_dict()))["reason"] == d.reason
