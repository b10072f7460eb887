"""How many celery tasks wait for a queue's workers, measured in the Redis broker.

``LLEN celery`` alone under-counts twice over, and both gaps hit exactly when scaling
matters:

* kombu's Redis transport splits a queue by priority into sub-lists next to the main
  list (``kombu/transport/redis.py``: ``PRIORITY_STEPS = [0, 3, 6, 9]``,
  ``Channel.sep = '\\x06\\x16'``, ``_q_for_pri`` returns the bare name for step 0 and
  ``f"{queue}{sep}{step}"`` otherwise). Tasks sent with a priority sit in those.
* Workers prefetch: a reserved task leaves the list and, with ack emulation (the
  default), waits in the ``unacked`` hash (field = delivery tag, value = JSON
  ``[message, exchange, routing_key]``, written by ``QoS.append``) until acked. A busy
  fleet with full prefetch buffers can show an empty list while hundreds of tasks wait.

So backlog = the four lists + the reserved entries routed to this queue. Key names and
formats live in the pure functions here; :class:`RedisQueueProbe` only does the I/O.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import redis

from paas.errors import RuntimeUnavailable

#: kombu.transport.redis.PRIORITY_STEPS (transport option ``priority_steps``).
PRIORITY_STEPS: tuple[int, ...] = (0, 3, 6, 9)
#: kombu.transport.redis.Channel.sep (transport option ``sep``).
KOMBU_SEP = "\x06\x16"
#: kombu.transport.redis.Channel.unacked_key (transport option ``unacked_key``).
UNACKED_KEY = "unacked"


@dataclass(frozen=True)
class Backlog:
    """Tasks for one queue: still in the broker lists, and reserved by workers."""

    queue: str
    waiting: int
    reserved: int

    @property
    def total(self) -> int:
        return self.waiting + self.reserved


class QueueProbe(Protocol):
    """The port the autoscaling loop measures queues through (fake it in unit tests)."""

    def measure(self, queue: str) -> Backlog: ...


def list_keys(
    queue: str,
    *,
    key_prefix: str = "",
    priority_steps: Sequence[int] = PRIORITY_STEPS,
    sep: str = KOMBU_SEP,
) -> list[str]:
    """Redis list keys kombu pushes ``queue``'s messages to, one per priority step.

    Mirrors ``Channel._q_for_pri``: step 0 is the bare queue name (so a plain
    ``LLEN celery`` sees only default-priority tasks). ``key_prefix`` is kombu's
    ``global_keyprefix`` transport option, which prefixes every key it touches.
    """
    return [
        f"{key_prefix}{queue}{sep}{step}" if step else f"{key_prefix}{queue}"
        for step in priority_steps
    ]


def unacked_key(key_prefix: str = "", name: str = UNACKED_KEY) -> str:
    return f"{key_prefix}{name}"


def count_reserved(
    entries: Iterable[bytes | str],
    queue: str,
    *,
    routing_keys: Collection[str] | None = None,
    now: datetime | None = None,
) -> int:
    """How many values of kombu's ``unacked`` hash are tasks reserved from ``queue``.

    Each value is JSON ``[message, exchange, routing_key]``. The hash does not name the
    queue; kombu re-routes by (exchange, routing key) on restore. Celery publishes to
    direct queues through the anonymous exchange with the queue name as routing key, and
    its named direct exchanges bind the queue under its own name, so matching on the
    routing key is exact for those; topic/custom routing passes ``routing_keys``.

    With ``now``, tasks whose celery ``eta`` header is still in the future are left out:
    workers hold ETA/countdown tasks reserved until due, and counting them would keep a
    fleet at max for work that cannot start yet.
    """
    keys = set(routing_keys) if routing_keys is not None else {queue}
    count = 0
    for raw in entries:
        try:
            message, _exchange, routing_key = json.loads(raw)
        except (ValueError, TypeError):
            continue  # not a kombu entry: never let one odd value break the measure
        if routing_key not in keys:
            continue
        if now is not None and _eta_in_future(message, now):
            continue
        count += 1
    return count


def _eta_in_future(message: object, now: datetime) -> bool:
    headers = message.get("headers") if isinstance(message, dict) else None
    eta = headers.get("eta") if isinstance(headers, dict) else None
    if not isinstance(eta, str):
        return False
    try:
        when = datetime.fromisoformat(eta)
    except ValueError:
        return False
    if when.tzinfo is None:  # celery sends aware UTC; a naive value is taken as UTC
        when = when.replace(tzinfo=UTC)
    return when > now


def redact_url(url: str) -> str:
    """The broker URL without its password, for error messages users may paste."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisQueueProbe:
    """Backlog of celery queues in a Redis broker, one pipelined round trip per measure."""

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = "",
        routing_keys: Collection[str] | None = None,
        count_eta: bool = False,
        timeout_seconds: float = 2.0,
    ) -> None:
        """``key_prefix`` = kombu's ``global_keyprefix``; ``routing_keys`` see count_reserved.

        The short socket timeout keeps a dead broker from stalling the scaling loop of
        every other app; the loop treats the resulting error as "metric unavailable".
        """
        self._url = redact_url(url)
        self._key_prefix = key_prefix
        self._routing_keys = routing_keys
        self._count_eta = count_eta
        try:
            self._client = redis.Redis.from_url(
                url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
            )
        except ValueError as e:  # malformed URL
            raise RuntimeUnavailable(f"invalid broker URL {self._url}: {e}") from e

    def measure(self, queue: str) -> Backlog:
        keys = list_keys(queue, key_prefix=self._key_prefix)
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.llen(key)
                pipe.hvals(unacked_key(self._key_prefix))
                *lengths, unacked = pipe.execute()
        except redis.RedisError as e:
            raise RuntimeUnavailable(
                f"cannot measure queue {queue!r} at {self._url}: {_one_line(e)}"
            ) from e
        now = None if self._count_eta else datetime.now(UTC)
        reserved = count_reserved(unacked, queue, routing_keys=self._routing_keys, now=now)
        return Backlog(queue=queue, waiting=sum(int(n) for n in lengths), reserved=reserved)

    def backlog(self, queue: str) -> int:
        """The number :func:`paas.domain.scaling.decide` takes as a queue's ``observed``."""
        return self.measure(queue).total

    def close(self) -> None:
        self._client.close()


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split()) or type(e).__name__
