"""Add-ons: backing services the platform runs for an app and wires in by config vars.

Only Redis exists: celery needs a broker, and the Docker runtime can run one from the
stack's own image. The config vars an add-on sets are computed here, so the service
that injects them and the one that removes them agree on the names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from paas.errors import InvalidInput

KINDS = ("redis",)
REDIS_PORT = 6379


@dataclass(frozen=True)
class Addon:
    app: str
    kind: str
    #: Secret the add-on was created with (the Redis password), kept to rebuild its
    #: container after a restart with the same credentials the app already holds.
    password: str
    created_at: datetime


def validate_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown add-on {kind!r} (available: {', '.join(KINDS)})")
    return kind


def redis_url(host: str, password: str, port: int = REDIS_PORT, db: int = 0) -> str:
    return f"redis://:{quote(password, safe='')}@{host}:{port}/{db}"


def addon_config(addon: Addon, host: str) -> dict[str, str]:
    """Config vars the add-on injects; celery reads CELERY_BROKER_URL if the app says so."""
    url = redis_url(host, addon.password)
    return {"REDIS_URL": url, "CELERY_BROKER_URL": url}


def without_addon(config: Mapping[str, str], injected: Mapping[str, str]) -> dict[str, str]:
    """``config`` minus the vars the add-on set, unless the user has changed them since."""
    return {k: v for k, v in config.items() if injected.get(k) != v}
