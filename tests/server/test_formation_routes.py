import pytest

from paas.domain.autoscale import Metric
from paas.errors import InvalidInput
from paas.server.routes.formation import policy_from_body


def test_cpu_and_queue_bodies():
    cpu = policy_from_body("web", {"min": 1, "max": 5, "cpu": 70})
    assert (cpu.metric, cpu.cpu_percent) == (Metric.CPU, 70)
    q = policy_from_body("worker", {"min": 1, "max": 8, "queue": "celery", "per_replica": 10})
    assert (q.metric, q.queue, q.per_replica) == (Metric.QUEUE, "celery", 10)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"max": 5, "cpu": 70}, "give --min and --max"),
        ({"min": 1, "max": 5}, "give --cpu PERCENT or --queue"),
        ({"min": 1, "max": 5, "cpu": 70, "queue": "celery"}, "not both"),
        ({"min": "1", "max": 5, "cpu": 70}, "--min must be a whole number"),
        ({"min": True, "max": 5, "cpu": 70}, "--min must be a whole number"),
        ({"min": 6, "max": 5, "cpu": 70}, "--min 6 is greater than --max 5"),
        ({"min": 1, "max": 5, "cpu": 170}, "--cpu must be a percentage"),
        ({"min": 1, "max": 5, "queue": "celery"}, "--per-replica N >= 1"),
    ],
)
def test_bad_bodies(body, message):
    with pytest.raises(InvalidInput, match=message):
        policy_from_body("web", body)
