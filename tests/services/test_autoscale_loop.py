"""The Docker autoscaler on traces: fake meters, the real store, a clock of its own."""

import pytest

from paas.autoscale.loop import Autoscaler
from paas.autoscale.queue import Backlog
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.scaling import Behavior
from paas.errors import Conflict, RuntimeUnavailable
from paas.services.formation import FormationService
from tests.services.conftest import deployed

WORKER = AutoscalePolicy("worker", 1, 8, Metric.QUEUE, queue="mail", per_replica=10)
WEB = AutoscalePolicy("web", 1, 5, Metric.CPU, cpu_percent=70)


class Meters:
    def __init__(self):
        self.cpu: float | None = None
        self.backlog: int | Exception = 0

    def cpu_percent(self, app, process_type):
        return self.cpu

    def measure(self, queue):
        if isinstance(self.backlog, Exception):
            raise self.backlog
        return Backlog(queue, waiting=self.backlog, reserved=0)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def setup(store, runtime, locks):
    deployed(store)
    meters, clock = Meters(), Clock()
    formation = FormationService(store, runtime, locks)
    scaler = Autoscaler(store, formation, meters, lambda app: meters, clock=clock,
                        behavior=Behavior(stabilization_seconds=60))
    return scaler, meters, clock


def test_backlog_scales_workers_up_then_down_after_the_window(setup, store):
    scaler, meters, clock = setup
    store.set_policy("shop", WORKER)
    [d] = scaler.tick()
    assert (d.current, d.desired) == (0, 1) and "below min 1" in d.reason

    meters.backlog = 300  # wants 30: +4 per 15 s (counting the 0 -> 1), then max 8
    clock.now += 5
    [d] = scaler.tick()
    assert d.desired == 4 and "limited to max(+4, +100%) per 15s" in d.reason
    clock.now += 5
    assert scaler.tick()[0].desired == 4  # still inside the 15 s scale-up period
    clock.now += 11
    [d] = scaler.tick()
    assert d.desired == 8 and "capped by max 8" in d.reason
    assert store.get_app("shop").formation["worker"] == 8

    meters.backlog = 0
    clock.now += 5
    [d] = scaler.tick()
    assert d.desired == 8 and "held by stabilization window" in d.reason
    clock.now += 61
    [d] = scaler.tick()
    assert (d.current, d.desired) == (8, 1)
    assert store.get_app("shop").formation["worker"] == 1
    last, changes = scaler.decisions("shop")
    assert [x.desired for x in last] == [1]
    assert [x.desired for x in changes] == [1, 4, 8, 1]


def test_a_new_policy_does_not_scale_down_at_once(setup, store):
    scaler, meters, clock = setup
    FormationService(store, scaler.scaler.runtime, scaler.scaler.locks).scale("shop", ["web=3"])
    store.set_policy("shop", WEB)
    meters.cpu = 5.0
    [d] = scaler.tick()
    assert d.desired == 3 and "stabilization window" in d.reason
    clock.now += 61
    assert scaler.tick()[0].desired == 1


def test_unreadable_metric_holds_and_says_why(setup, store):
    scaler, meters, clock = setup
    store.set_policy("shop", WORKER)
    scaler.tick()
    meters.backlog = RuntimeUnavailable("cannot measure queue 'mail' at redis://x")
    clock.now += 5
    [d] = scaler.tick()
    assert not d.changed and "metric unavailable" in d.reason and "cannot measure" in d.reason


def test_a_change_that_cannot_apply_is_retried(setup, store, locks):
    scaler, _meters, clock = setup
    store.set_policy("shop", WORKER)
    with locks.hold("shop"):
        [d] = scaler.tick()
    assert not d.changed and "not applied: another deploy of shop is in progress" in d.reason
    assert store.get_app("shop").formation == {}
    clock.now += 5
    assert scaler.tick()[0].desired == 1


def test_apps_without_policy_or_release_are_skipped(store, runtime, locks):
    meters = Meters()
    scaler = Autoscaler(store, FormationService(store, runtime, locks), meters,
                        lambda app: None)
    store.set_policy("shop", WORKER)
    assert scaler.tick() == []  # no release yet
    deployed(store)
    [d] = scaler.tick()
    assert d.desired == 1  # below min is fixed without a metric
    [d] = scaler.tick()
    assert "no broker to measure" in d.reason


def test_failing_scaler_is_reported_not_raised(setup, store, monkeypatch):
    scaler, _meters, _clock = setup
    store.set_policy("shop", WORKER)

    def refuse(*a, **k):
        raise Conflict("busy")

    monkeypatch.setattr(scaler.scaler, "set_replicas", refuse)
    [d] = scaler.tick()
    assert "not applied: busy" in d.reason
