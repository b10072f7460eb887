"""Where KEDA reads queue lengths: the celery broker named in the app's config.

KEDA's redis scaler wants ``host:port`` plus separate credentials, not the URL celery
uses, so the URL is split here into the keys a TriggerAuthentication hands the scaler.
The rabbitmq scaler takes the AMQP URL whole as ``host``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from paas.errors import InvalidInput

#: Config keys searched for the broker, in order (celery's, then common add-on names).
BROKER_KEYS = ("CELERY_BROKER_URL", "BROKER_URL", "REDIS_URL", "RABBITMQ_URL", "CLOUDAMQP_URL")


@dataclass(frozen=True)
class Broker:
    #: KEDA trigger type: ``redis`` or ``rabbitmq``.
    trigger: str
    #: TriggerAuthentication parameter -> value, stored in the broker Secret.
    auth: Mapping[str, str]
    #: Non-secret trigger metadata (database index, TLS).
    metadata: Mapping[str, str] = field(default_factory=dict)


def broker_url(config: Mapping[str, str], default: str | None) -> str:
    for key in BROKER_KEYS:
        if config.get(key):
            return config[key]
    if default:
        return default
    raise InvalidInput(
        "queue autoscaling needs a broker: set CELERY_BROKER_URL in the app's config"
    )


def parse_broker(url: str) -> Broker:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("redis", "rediss"):
        try:
            port = parts.port or 6379
        except ValueError as e:
            raise InvalidInput(f"invalid broker URL port in {parts.scheme}://...") from e
        if not parts.hostname:
            raise InvalidInput("the redis broker URL has no host")
        auth = {"address": f"{parts.hostname}:{port}"}
        if parts.username:
            auth["username"] = unquote(parts.username)
        if parts.password:
            auth["password"] = unquote(parts.password)
        metadata: dict[str, str] = {}
        db = parts.path.lstrip("/")
        if db:
            if not db.isdigit():
                raise InvalidInput(f"invalid redis database {db!r} in the broker URL")
            metadata["databaseIndex"] = db
        if scheme == "rediss":
            metadata["enableTLS"] = "true"
        return Broker("redis", auth, metadata)
    if scheme in ("amqp", "amqps", "pyamqp"):
        host = "amqp" + url[len(scheme) :] if scheme == "pyamqp" else url
        return Broker("rabbitmq", {"host": host}, {"protocol": "amqp"})
    raise InvalidInput(
        f"queue autoscaling supports redis:// and amqp:// brokers, not {scheme or 'this'}://"
    )
