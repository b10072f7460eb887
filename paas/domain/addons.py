"""Add-ons: backing services the platform runs for an app and wires in by config vars.

A kind of add-on (Redis, and later PostgreSQL) is one ``AddonKind`` record: its image,
port, data directory, the config vars it sets, the files and environment its container
needs, how to tell it is ready, and how to back it up. Runtimes provision any kind from
the record, and the services hold no kind-specific strings; adding a kind is adding a
record to ``KINDS``. The config vars are computed here, so the service that injects them
and the one that removes them agree on the names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from paas.errors import InvalidInput

REDIS_PORT = 6379
_SAFE_SECRET = re.compile(r"[A-Za-z0-9_-]{16,128}")


@dataclass(frozen=True)
class Addon:
    app: str
    kind: str
    #: Secret the add-on was created with (the Redis password), kept to rebuild its
    #: container after a restart with the same credentials the app already holds.
    password: str
    created_at: datetime


@dataclass(frozen=True)
class AddonFile:
    """A file the add-on's container reads at start, rendered from the secret. Secrets
    go in files (mode 0600), not on the command line, where the host's ``ps`` and
    ``docker inspect`` would show them."""

    path: str
    render: Callable[[str], str]
    mode: int = 0o600


def _none(_secret: str) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class AddonKind:
    """Everything a runtime needs to provision, check and wire one kind of add-on."""

    name: str
    #: Field of the platform's stack images naming the image (``paas stack build``
    #: makes it; an environment variable overrides it).
    image: str
    port: int
    #: Where its data lives; a volume per add-on is mounted here.
    data_dir: str
    #: Config vars it sets in the app, given (host, secret).
    config: Callable[[str, str], dict[str, str]]
    #: The container's command; None runs the image's own.
    command: tuple[str, ...] | None = None
    files: tuple[AddonFile, ...] = ()
    #: Container environment, given the secret.
    environment: Callable[[str], dict[str, str]] = _none
    #: Run inside the container; exit code 0 means it accepts clients.
    ready: tuple[str, ...] = ()
    #: Environment of the readiness command only (e.g. the password a client needs).
    ready_environment: Callable[[str], dict[str, str]] = _none
    #: The config var holding a URL the platform reads celery queues from, if any.
    broker_var: str | None = None
    #: Run inside the container: write a backup to stdout / read one from stdin.
    backup: tuple[str, ...] | None = None
    restore: tuple[str, ...] | None = None


def redis_url(host: str, password: str, port: int = REDIS_PORT, db: int = 0) -> str:
    return f"redis://:{quote(password, safe='')}@{host}:{port}/{db}"


def redis_config(password: str) -> str:
    """redis.conf of an add-on; the password is checked so it cannot break the file."""
    if not _SAFE_SECRET.fullmatch(password):
        raise InvalidInput("an add-on password must be 16-128 URL-safe characters")
    return "\n".join([
        "bind 0.0.0.0",  # inside its own network namespace; the password guards it
        f"port {REDIS_PORT}",
        "protected-mode no",
        f'requirepass "{password}"',
        "appendonly yes",
        f"dir {REDIS.data_dir}",
    ]) + "\n"


def _redis_vars(host: str, password: str) -> dict[str, str]:
    """celery reads CELERY_BROKER_URL if the app says so; both hold the same URL."""
    url = redis_url(host, password)
    return {"REDIS_URL": url, "CELERY_BROKER_URL": url}


REDIS_CONF = "/etc/paas/redis.conf"

REDIS = AddonKind(
    name="redis",
    image="redis",
    port=REDIS_PORT,
    data_dir="/data",
    config=_redis_vars,
    command=("redis-server", REDIS_CONF),
    files=(AddonFile(REDIS_CONF, redis_config),),
    # redis-cli reads the password from REDISCLI_AUTH, never from its arguments
    ready=("sh", "-c", "redis-cli ping | grep -qx PONG"),
    ready_environment=lambda secret: {"REDISCLI_AUTH": secret},
    broker_var="CELERY_BROKER_URL",
)

KINDS: dict[str, AddonKind] = {k.name: k for k in (REDIS,)}


def validate_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown add-on {kind!r} (available: {', '.join(KINDS)})")
    return kind


def kind_of(addon: Addon) -> AddonKind:
    return KINDS[validate_kind(addon.kind)]


def addon_config(addon: Addon, host: str) -> dict[str, str]:
    """Config vars the add-on injects, reaching it at ``host``."""
    return kind_of(addon).config(host, addon.password)


def without_addon(config: Mapping[str, str], injected: Mapping[str, str]) -> dict[str, str]:
    """``config`` minus the vars the add-on set, unless the user has changed them since."""
    return {k: v for k, v in config.items() if injected.get(k) != v}
