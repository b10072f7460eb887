"""The Docker runtime's autoscaler: measure, call the pure :func:`decide`, apply.

Kubernetes has its own controllers (HPA, KEDA) for this; on one Docker host the platform
server runs this loop in a thread. Every policy is evaluated each ``interval`` seconds;
a change goes through the same formation service as ``paas scale`` (same lock, same
zero-downtime convergence), and the decision with its reason is kept for
``paas autoscale``. Measuring is behind two narrow ports so the loop is unit-tested with
fakes and a clock of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from paas.autoscale.queue import QueueProbe
from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.formation import desired
from paas.domain.scaling import Behavior, Decision, History, Recommendation, decide
from paas.errors import PaasError
from paas.store.port import Store

log = logging.getLogger("paas.autoscale")

#: Decisions that changed a replica count, kept per app for ``paas autoscale``.
KEPT_CHANGES = 10


class CpuMeter(Protocol):
    def cpu_percent(self, app: str, process_type: str) -> float | None: ...


class Scaler(Protocol):
    """How a decision is applied (the formation service)."""

    def set_replicas(self, app_name: str, process_type: str, replicas: int) -> object: ...


#: app name -> a probe of its broker, or None when it has none (queue metric unavailable).
ProbeFactory = Callable[[str], QueueProbe | None]


class Autoscaler:
    def __init__(
        self,
        store: Store,
        scaler: Scaler,
        cpu: CpuMeter,
        probes: ProbeFactory,
        *,
        behavior: Behavior | None = None,
        interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.scaler = scaler
        self.cpu = cpu
        self.probes = probes
        self.behavior = behavior or Behavior()
        self.interval = interval
        self.clock = clock
        self._history: dict[tuple[str, str], History] = {}
        self._last: dict[tuple[str, str], Decision] = {}
        self._changes: dict[str, deque[Decision]] = {}
        self._lock = threading.Lock()

    # what ``paas autoscale`` shows ------------------------------------------------------
    def decisions(self, app: str) -> tuple[list[Decision], list[Decision]]:
        """The last decision per process type, and the recent ones that changed a count."""
        with self._lock:
            last = [d for (a, _), d in sorted(self._last.items()) if a == app]
            return last, list(self._changes.get(app, ()))

    def policies_changed(self, app: App, process_type: str,
                         policies: Sequence[AutoscalePolicy],
                         config: Mapping[str, str]) -> None:
        """The loop reads policies from the store each tick; only its memory of the
        changed type must go."""
        self.forget(app.name, process_type)

    def forget(self, app: str, process_type: str) -> None:
        """A policy went away: its memory must not steer a later policy of the same type."""
        with self._lock:
            self._history.pop((app, process_type), None)
            self._last.pop((app, process_type), None)

    # the loop ---------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # one bad tick must not end autoscaling for every app
                log.exception("autoscaling tick failed")

    def tick(self) -> list[Decision]:
        made: list[Decision] = []
        for app in self.store.list_apps():
            policies = self.store.list_policies(app.name)
            if not policies:
                continue
            release = self.store.current_release(app.name)
            if release is None or release.build is None:
                continue
            formation = desired(app.formation, release.build.processes)
            for policy in policies:
                if policy.process_type in formation:
                    made.append(self._evaluate(app.name, policy, formation[policy.process_type]))
        return made

    def _measure(self, app: str, policy: AutoscalePolicy) -> tuple[float | None, str]:
        try:
            if policy.metric is Metric.CPU:
                return self.cpu.cpu_percent(app, policy.process_type), ""
            probe = self.probes(app)
            if probe is None:
                return None, "no broker to measure"
            assert policy.queue is not None
            return float(probe.measure(policy.queue).total), ""
        except PaasError as e:
            return None, e.message

    def _evaluate(self, app: str, policy: AutoscalePolicy, current: int) -> Decision:
        key = (app, policy.process_type)
        now = self.clock()
        observed, why = self._measure(app, policy)
        # A policy seen for the first time starts with the current count in its window,
        # as the HPA seeds it: setting a policy must not scale down at once.
        before = self._history.get(key) or History((Recommendation(now, current),))
        decision, history = decide(policy, now=now, current=current, observed=observed,
                                   history=before, behavior=self.behavior)
        if why:
            decision = replace(decision, reason=f"{decision.reason} ({why})")
        if decision.changed:
            try:
                self.scaler.set_replicas(app, policy.process_type, decision.desired)
            except PaasError as e:
                # Keep the old history: a scale-up that did not happen must not count
                # against the rate limit. The next tick tries again.
                history = before
                decision = replace(decision, desired=current,
                                   reason=f"{decision.reason}; not applied: {e.message}")
        with self._lock:
            self._history[key] = history
            self._last[key] = decision
            if decision.changed:
                self._changes.setdefault(app, deque(maxlen=KEPT_CHANGES)).append(decision)
        return decision
