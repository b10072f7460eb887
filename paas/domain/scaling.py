"""Scaling decisions as a pure function of (policy, time, metric, replicas, history).

The Kubernetes runtime hands scaling to an HPA (CPU) or a KEDA ScaledObject (queues);
the docker runtime runs its own loop. Both must behave the same for a user, so the docker
loop calls :func:`decide`, which reproduces the HPA's algorithm and defaults
(``pkg/controller/podautoscaler``): the ratio rule with a tolerance, immediate but
rate-limited scale-up, and scale-down held by a stabilization window. KEDA's activation
(scale from zero only when the backlog exceeds a threshold) and its AverageValue target
are folded in for queue policies.

Time is an argument and the controller's memory is a value (:class:`History`) passed in
and returned, so the behaviour is testable on traces without clocks or sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.formation import ScaleChange
from paas.errors import Conflict

#: HPA defaults (autoscaling/v2 ``behavior`` when none is given).
DEFAULT_TOLERANCE = 0.1
DEFAULT_STABILIZATION_SECONDS = 300.0
DEFAULT_SCALE_UP_PERIOD_SECONDS = 15.0
DEFAULT_SCALE_UP_PODS = 4
DEFAULT_SCALE_UP_PERCENT = 100
#: KEDA's default ``activationListLength``: any waiting task wakes a type scaled to zero.
DEFAULT_ACTIVATION = 0.0


@dataclass(frozen=True)
class Behavior:
    """Controller tuning shared by every policy; the defaults are the HPA's.

    Kept apart from :class:`AutoscalePolicy` because users set min/max/target, while these
    are platform knobs (the docker e2e shrinks the window to seconds).
    """

    tolerance: float = DEFAULT_TOLERANCE
    stabilization_seconds: float = DEFAULT_STABILIZATION_SECONDS
    scale_up_period_seconds: float = DEFAULT_SCALE_UP_PERIOD_SECONDS
    scale_up_pods: int = DEFAULT_SCALE_UP_PODS
    scale_up_percent: int = DEFAULT_SCALE_UP_PERCENT
    activation: float = DEFAULT_ACTIVATION


@dataclass(frozen=True)
class Recommendation:
    at: float
    replicas: int


@dataclass(frozen=True)
class ScaleUpEvent:
    at: float
    added: int


@dataclass(frozen=True)
class History:
    """What the HPA remembers per target: recent recommendations and scale-up events.

    Recommendations feed the scale-down stabilization window, scale-up events the rate
    limit. Entries older than those windows are dropped so the value stays small.
    """

    recommendations: tuple[Recommendation, ...] = ()
    scale_ups: tuple[ScaleUpEvent, ...] = ()


@dataclass(frozen=True)
class Decision:
    """One evaluation of a policy, kept so ``paas autoscale`` can explain what happened."""

    process_type: str
    metric: Metric
    current: int
    desired: int
    #: CPU: average utilisation in percent; queue: tasks waiting plus reserved.
    #: ``None`` when the metric could not be read.
    observed: float | None
    #: CPU: target percent; queue: tasks per replica.
    target: float
    reason: str
    at: float = 0.0
    #: The metric recommendation before stabilization and rate limiting.
    recommended: int = field(default=0, compare=False)

    @property
    def changed(self) -> bool:
        return self.desired != self.current

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the API (``paas autoscale`` lists the last decisions)."""
        return {
            "process_type": self.process_type,
            "metric": str(self.metric),
            "current": self.current,
            "desired": self.desired,
            "observed": self.observed,
            "target": self.target,
            "reason": self.reason,
            "at": self.at,
        }


def target_of(policy: AutoscalePolicy) -> float:
    if policy.metric is Metric.CPU:
        assert policy.cpu_percent is not None  # enforced by AutoscalePolicy
        return float(policy.cpu_percent)
    assert policy.per_replica is not None
    return float(policy.per_replica)


def describe_policy(policy: AutoscalePolicy) -> str:
    """Short form users recognise from ``paas autoscale:set``, e.g. ``min 1, max 5, cpu 70%``."""
    bounds = f"min {policy.min_replicas}, max {policy.max_replicas}"
    if policy.metric is Metric.CPU:
        return f"{bounds}, cpu {policy.cpu_percent}%"
    return f"{bounds}, queue {policy.queue} {policy.per_replica} per replica"


def decide(
    policy: AutoscalePolicy,
    *,
    now: float,
    current: int,
    observed: float | None,
    history: History | None = None,
    behavior: Behavior | None = None,
) -> tuple[Decision, History]:
    """Replicas ``policy.process_type`` should run at time ``now``, and the new history.

    ``observed`` is the CPU policy's average utilisation across the ``current`` replicas
    (percent of the per-replica CPU), or the queue policy's backlog (tasks waiting plus
    tasks reserved by workers). The caller is expected to apply ``desired``: a change is
    recorded in the returned history as if it happened at ``now``, so when applying
    fails, keep the previous history (the rate limit must not count a scale-up that did
    not happen). Pass ``observed=None`` when the metric cannot be read: replicas hold.
    """
    history = history or History()
    b = behavior or Behavior()
    lo, hi = policy.min_replicas, policy.max_replicas
    target = target_of(policy)

    def finish(desired: int, recommended: int, reason: str) -> tuple[Decision, History]:
        decision = Decision(
            process_type=policy.process_type,
            metric=policy.metric,
            current=current,
            desired=desired,
            observed=observed,
            target=target,
            reason=reason,
            at=now,
            recommended=recommended,
        )
        return decision, _remember(history, b, now, current, desired, recommended)

    # Out of bounds (the policy was just set or changed): fix at once, as the HPA does.
    if current > hi:
        return finish(hi, hi, f"{current} replicas above max {hi}: {current} -> {hi}")
    if current < lo:
        return finish(lo, lo, f"{current} replicas below min {lo}: {current} -> {lo}")

    raw, what, steady = _recommend(policy, b, current, observed, target)
    recommended = min(max(raw, lo), hi)
    bound = ""
    if raw > hi:
        bound = f" (capped by max {hi})"
    elif raw < lo:
        bound = f" (held at min {lo})"
    if steady:
        return finish(current, recommended, f"{what}: stays {current}")

    if recommended > current:
        limit = _scale_up_limit(history, b, now, current)
        if recommended > limit:
            note = (
                f" (limited to max(+{b.scale_up_pods}, +{b.scale_up_percent}%)"
                f" per {_fmt(b.scale_up_period_seconds)}s; wants {recommended})"
            )
            return finish(limit, recommended, f"{what}: {current} -> {limit}{note}")
        return finish(recommended, recommended, f"{what}: {current} -> {recommended}{bound}")

    if recommended < current:
        cutoff = now - b.stabilization_seconds
        window = [r for r in history.recommendations if r.at > cutoff]
        held = min(current, max([recommended, *(r.replicas for r in window)]))
        if held > recommended:
            release = max(r.at for r in window if r.replicas > recommended)
            until = release + b.stabilization_seconds
            note = (
                f"scale-down to {recommended}{bound} held by stabilization window"
                f" until t={_fmt(until)} (in {_fmt(until - now)}s)"
            )
            if held == current:
                return finish(current, recommended, f"{what}: stays {current}, {note}")
            return finish(held, recommended, f"{what}: {current} -> {held}, {note}")
        return finish(recommended, recommended, f"{what}: {current} -> {recommended}{bound}")

    return finish(current, recommended, f"{what}: stays {current}{bound}")


def _recommend(
    policy: AutoscalePolicy, b: Behavior, current: int, observed: float | None, target: float
) -> tuple[int, str, bool]:
    """Raw replica count the metric asks for, a description, and whether to hold still.

    "Hold still" covers a missing metric and the tolerance band: like the HPA, the
    platform does not move on noise or on data it does not have.
    """
    if policy.metric is Metric.CPU:
        if observed is None:
            return current, "cpu metric unavailable", True
        if current == 0:
            return current, "cpu: no replicas to measure", True
        what = (
            f"cpu {observed:.0f}% {_cmp(observed, target)} target {target:.0f}%"
            f" across {_replicas(current)}"
        )
        ratio = Fraction(observed) / Fraction(target)
        if abs(ratio - 1) <= Fraction(b.tolerance):
            return current, f"{what} (within tolerance {b.tolerance:.0%})", True
        return math.ceil(ratio * current), what, False

    name = policy.queue
    if observed is None:
        return current, f"queue {name} metric unavailable", True
    backlog = f"queue {name}: {_fmt(observed)} task{'' if observed == 1 else 's'}"
    if observed <= b.activation:
        # KEDA: an inactive scaler lets the type go back to zero (after the cooldown,
        # which the stabilization window plays here).
        return 0, f"{backlog} <= activation {_fmt(b.activation)}", current == 0
    per = f"target {_fmt(target)} per replica"
    wanted = max(1, math.ceil(Fraction(observed) / Fraction(target)))
    if current == 0:
        return wanted, f"{backlog} > activation {_fmt(b.activation)}, {per}", False
    what = f"{backlog} for {_replicas(current)}, {per}"
    ratio = Fraction(observed) / (Fraction(target) * current)
    if abs(ratio - 1) <= Fraction(b.tolerance):
        return current, f"{what} (within tolerance {b.tolerance:.0%})", True
    return wanted, what, False


def _scale_up_limit(history: History, b: Behavior, now: float, current: int) -> int:
    """Most replicas allowed now: the larger of +pods and +percent over the period start.

    The period start is ``current`` minus what was already added within the period, so
    several small steps cannot add up to more than one big step would.
    """
    cutoff = now - b.scale_up_period_seconds
    added = sum(e.added for e in history.scale_ups if e.at > cutoff)
    start = max(current - added, 0)
    by_pods = start + b.scale_up_pods
    by_percent = math.ceil(Fraction(start) * (1 + Fraction(b.scale_up_percent, 100)))
    return max(by_pods, by_percent, current)


def _remember(
    history: History, b: Behavior, now: float, current: int, desired: int, recommended: int
) -> History:
    kept = (r for r in history.recommendations if r.at > now - b.stabilization_seconds)
    recs = (*kept, Recommendation(now, recommended))
    ups = tuple(e for e in history.scale_ups if e.at > now - b.scale_up_period_seconds)
    if desired > current:
        ups += (ScaleUpEvent(now, desired - current),)
    return History(recommendations=recs, scale_ups=ups)


def owned_by_policy_message(policy: AutoscalePolicy) -> str:
    """What ``paas scale`` tells a user who tries to set an autoscaled type by hand."""
    t = policy.process_type
    return (
        f"{t} is autoscaled ({describe_policy(policy)}): change the policy with "
        f"`paas autoscale:set` or remove it with `paas autoscale:unset {t}`"
    )


def check_manual_scale(
    policies: Mapping[str, AutoscalePolicy] | Iterable[AutoscalePolicy],
    changes: Iterable[ScaleChange],
) -> None:
    """Refuse ``paas scale`` on autoscaled types: the loop would silently undo it.

    Raises Conflict naming the first such type; types without a policy pass.
    """
    by_type = (
        dict(policies) if isinstance(policies, Mapping) else {p.process_type: p for p in policies}
    )
    for change in changes:
        policy = by_type.get(change.process_type)
        if policy is not None:
            raise Conflict(owned_by_policy_message(policy))


def _cmp(observed: float, target: float) -> str:
    return ">" if observed > target else "<" if observed < target else "="


def _replicas(n: int) -> str:
    return f"{n} replica{'' if n == 1 else 's'}"


def _fmt(x: float) -> str:
    """Numbers in reasons: no ``.0`` on whole values, one decimal otherwise."""
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"
