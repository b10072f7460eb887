"""Backlog of a celery queue: key names (pure), then a real redis-server, then real kombu."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from paas.autoscale.queue import (
    KOMBU_SEP,
    Backlog,
    RedisQueueProbe,
    count_reserved,
    list_keys,
    redact_url,
    unacked_key,
)
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.scaling import decide
from paas.errors import RuntimeUnavailable

# -- pure: key names and reserved entries ---------------------------------------------


def test_list_keys_match_kombu_q_for_pri():
    assert list_keys("celery") == [
        "celery",
        "celery\x06\x163",
        "celery\x06\x166",
        "celery\x06\x169",
    ]


def test_list_keys_with_global_keyprefix():
    assert list_keys("jobs", key_prefix="app1:")[0] == "app1:jobs"
    assert list_keys("jobs", key_prefix="app1:")[3] == f"app1:jobs{KOMBU_SEP}9"
    assert unacked_key("app1:") == "app1:unacked"


def entry(routing_key, exchange="", eta=None, tag="t"):
    """A value as kombu's QoS.append writes it: JSON [message, exchange, routing_key]."""
    message = {
        "body": "",
        "headers": {"task": "t", "id": tag, "eta": eta},
        "properties": {
            "delivery_tag": tag,
            "delivery_info": {"exchange": exchange, "routing_key": routing_key},
        },
    }
    return json.dumps([message, exchange, routing_key]).encode()


def test_count_reserved_matches_the_queue_routing_key_only():
    values = [entry("celery"), entry("celery", exchange="celery"), entry("emails")]
    assert count_reserved(values, "celery") == 2
    assert count_reserved(values, "emails") == 1


def test_count_reserved_with_custom_routing_keys():
    values = [entry("jobs.high"), entry("jobs.low"), entry("other")]
    assert count_reserved(values, "jobs", routing_keys={"jobs.high", "jobs.low"}) == 2


def test_count_reserved_skips_future_eta_when_given_now():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    values = [
        entry("celery"),
        entry("celery", eta=(now + timedelta(hours=1)).isoformat()),
        entry("celery", eta=(now - timedelta(seconds=1)).isoformat()),
        entry("celery", eta="2025-01-01T13:00:00"),  # naive: taken as UTC, future
    ]
    assert count_reserved(values, "celery", now=now) == 2
    assert count_reserved(values, "celery") == 4


def test_count_reserved_ignores_foreign_values():
    assert count_reserved([b"not json", b"[1, 2]", b"{}", entry("celery")], "celery") == 1


def test_redact_url_hides_password():
    assert redact_url("redis://:s3cret@broker:6380/1") == "redis://:***@broker:6380/1"
    assert redact_url("redis://u:p@h/0") == "redis://u:***@h/0"
    assert redact_url("redis://broker:6379/0") == "redis://broker:6379/0"


# -- real redis-server: keys populated the way kombu does -----------------------------


def test_probe_counts_main_priority_lists_and_reserved(redis_url, redis_client):
    k0, k3, k6, k9 = list_keys("celery")
    redis_client.lpush(k0, *[f"m{i}" for i in range(5)])
    redis_client.lpush(k3, "a", "b")
    redis_client.lpush(k6, "c")
    redis_client.lpush(k9, "d", "e", "f")
    redis_client.lpush("emails", "x")  # another queue: not counted
    redis_client.hset("unacked", "tag1", entry("celery", tag="tag1"))
    redis_client.hset("unacked", "tag2", entry("celery", tag="tag2"))
    redis_client.hset("unacked", "tag3", entry("emails", tag="tag3"))
    redis_client.zadd("unacked_index", {"tag1": 1.0, "tag2": 1.0, "tag3": 1.0})

    probe = RedisQueueProbe(redis_url)
    try:
        assert probe.measure("celery") == Backlog("celery", waiting=11, reserved=2)
        assert probe.backlog("celery") == 13
        assert probe.measure("emails") == Backlog("emails", waiting=1, reserved=1)
        assert probe.measure("missing") == Backlog("missing", waiting=0, reserved=0)
    finally:
        probe.close()


def test_probe_leaves_out_reserved_eta_tasks(redis_url, redis_client):
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    redis_client.hset("unacked", "now", entry("celery", tag="now"))
    redis_client.hset("unacked", "tomorrow", entry("celery", eta=later, tag="tomorrow"))
    probe = RedisQueueProbe(redis_url)
    assert probe.measure("celery").reserved == 1
    assert RedisQueueProbe(redis_url, count_eta=True).measure("celery").reserved == 2


def test_probe_with_global_keyprefix(redis_url, redis_client):
    redis_client.lpush("app1:celery", "m")
    redis_client.lpush("celery", "not ours")
    redis_client.hset("app1:unacked", "t", entry("celery"))
    assert RedisQueueProbe(redis_url, key_prefix="app1:").backlog("celery") == 2


def test_probe_reads_only_the_named_keys(redis_url, redis_client):
    redis_client.lpush("celery", "m")
    redis_client.config_resetstat()
    RedisQueueProbe(redis_url).backlog("celery")
    stats = redis_client.info("commandstats")
    data_commands = {
        name.removeprefix("cmdstat_"): v["calls"]
        for name, v in stats.items()
        if not name.startswith(
            ("cmdstat_client", "cmdstat_hello", "cmdstat_config", "cmdstat_info")
        )
    }
    # 4 LLEN + 1 HVALS, sent as one pipeline; no KEYS/SCAN over a shared broker.
    assert data_commands == {"llen": 4, "hvals": 1}


def test_unreachable_broker_is_runtime_unavailable():
    with socket.socket() as s:  # bound, not listening: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        probe = RedisQueueProbe(f"redis://:hunter2@127.0.0.1:{port}/0")
        with pytest.raises(RuntimeUnavailable) as exc:
            probe.measure("celery")
    msg = str(exc.value)
    assert msg.startswith(f"cannot measure queue 'celery' at redis://:***@127.0.0.1:{port}/0: ")
    assert "\n" not in msg
    assert "hunter2" not in msg
    assert exc.value.__cause__ is not None


def test_wrong_key_type_is_runtime_unavailable(redis_url, redis_client):
    redis_client.set("celery", "a string, not a list")
    with pytest.raises(RuntimeUnavailable, match="cannot measure queue 'celery'"):
        RedisQueueProbe(redis_url).measure("celery")


def test_invalid_url_is_runtime_unavailable():
    with pytest.raises(RuntimeUnavailable, match="invalid broker URL"):
        RedisQueueProbe("http://nope")


def test_probe_feeds_the_policy(redis_url, redis_client):
    redis_client.lpush("celery", *range(300))
    policy = AutoscalePolicy("worker", 0, 30, Metric.QUEUE, queue="celery", per_replica=10)
    d, _ = decide(policy, now=0, current=10, observed=RedisQueueProbe(redis_url).backlog("celery"))
    assert d.desired == 20  # wants 30; max(+4, +100%) from 10
    assert "queue celery: 300 tasks for 10 replicas" in d.reason


# -- real kombu publishing to the real redis: pins the key format to the library ------


def test_kombu_published_and_reserved_tasks_are_counted(redis_url, redis_client):
    kombu = pytest.importorskip("kombu", reason="kombu is not installed")

    exchange = kombu.Exchange("celery", type="direct")
    queue = kombu.Queue("celery", exchange, routing_key="celery", max_priority=9)
    with kombu.Connection(redis_url) as conn:
        producer = conn.Producer()
        # Celery's way for direct queues: the anonymous exchange, routing key = queue.
        for priority in (0, 0, 1, 3, 4, 6, 9, 9):
            producer.publish(
                {"p": priority},
                exchange="",
                routing_key="celery",
                priority=priority,
                declare=[queue],
            )
        # And a named exchange bound by routing key.
        producer.publish({"p": "named"}, exchange=exchange, routing_key="celery", declare=[queue])
        # Another queue must not leak into celery's count.
        other = kombu.Queue("emails", kombu.Exchange("emails"), routing_key="emails")
        producer.publish({"p": "x"}, exchange="", routing_key="emails", declare=[other])

        # The keys kombu really wrote are the ones list_keys names.
        written = {k for k in redis_client.keys("celery*")}
        assert written == {k.encode() for k in list_keys("celery")}

        probe = RedisQueueProbe(redis_url)
        assert probe.measure("celery") == Backlog("celery", waiting=9, reserved=0)

        # A worker reserving without ack: the message leaves the list for `unacked`.
        channel = conn.channel()
        bound = queue(channel)
        got = [bound.get(no_ack=False) for _ in range(3)]
        assert all(m is not None for m in got)
        assert redis_client.hlen("unacked") == 3
        assert probe.measure("celery") == Backlog("celery", waiting=6, reserved=3)

        got[0].ack()
        assert probe.measure("celery") == Backlog("celery", waiting=6, reserved=2)
        assert probe.measure("emails") == Backlog("emails", waiting=1, reserved=0)
        channel.close()


def test_celery_send_task_routing_is_what_count_reserved_matches(redis_url, redis_client):
    """Celery (not just kombu) picks the exchange/routing key stored in `unacked`."""
    celery = pytest.importorskip("celery", reason="celery is not installed")
    kombu = pytest.importorskip("kombu", reason="kombu is not installed")

    app = celery.Celery("probe-test", broker=redis_url)
    app.conf.task_routes = {"mail.*": {"queue": "emails"}}
    app.send_task("work.a")
    app.send_task("work.b", priority=9)
    app.send_task("mail.send")
    app.send_task("mail.send", countdown=3600)  # an ETA task, reserved until due
    probe = RedisQueueProbe(redis_url)
    assert probe.measure("celery") == Backlog("celery", waiting=2, reserved=0)
    assert probe.measure("emails") == Backlog("emails", waiting=2, reserved=0)

    with kombu.Connection(redis_url) as conn:
        channel = conn.channel()
        for name in ("celery", "emails"):
            bound = kombu.Queue(name, kombu.Exchange(name), routing_key=name)(channel)
            while bound.get(no_ack=False) is not None:
                pass
        assert probe.measure("celery") == Backlog("celery", waiting=0, reserved=2)
        # The countdown task is reserved but cannot run for an hour: not backlog.
        assert probe.measure("emails") == Backlog("emails", waiting=0, reserved=1)
        channel.close()
    app.close()
