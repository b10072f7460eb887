"""Add-ons: backing services the platform runs for an app and wires in by config vars.

A kind of add-on (Redis, PostgreSQL) is one ``AddonKind`` record: its image, port, data
directory, the config vars it sets, the files and environment its container needs, how
to tell it is ready, how to back it up and restore it, what it reports about itself and
its interactive console. Runtimes provision any kind from
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
    #: Environment of every command the platform runs inside the container (readiness,
    #: backup, restore, info, console), given the secret: how a client finds the
    #: password without it appearing on a command line.
    client_environment: Callable[[str], dict[str, str]] = _none
    #: The config var holding a URL the platform reads celery queues from, if any.
    broker_var: str | None = None
    #: Write a backup to stdout / read one from stdin, given the host the client
    #: connects to: ``LOOPBACK`` inside the add-on's own container (Docker), its
    #: Service from a pod of its own (Kubernetes). A restore either completes or
    #: leaves the data as it was.
    backup: Callable[[str], tuple[str, ...]] | None = None
    restore: Callable[[str], tuple[str, ...]] | None = None
    #: Linux capabilities its container keeps (every other one is dropped): an
    #: entrypoint that starts as root to hand the data directory to the service's own
    #: user, then drops to it, as the official postgres image does.
    capabilities: tuple[str, ...] = ()
    #: Run inside the container: prints ``name<TAB>value`` lines about the service.
    info: tuple[str, ...] | None = None
    #: The interactive client, given an optional single command to run instead.
    console: Callable[[str | None], tuple[str, ...]] | None = None
    #: Shown when the add-on is destroyed: what goes with it.
    loses: str = "its data"
    #: The uid and gid the service runs as in its image (ours and the official one
    #: agree); a Kubernetes pod, which may not start as root, runs as it.
    uid: int | None = None
    #: Where a Kubernetes volume is mounted when not at ``data_dir``: a parent, so the
    #: service makes ``data_dir`` itself (initdb refuses a volume root's lost+found).
    volume_dir: str | None = None


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
    client_environment=lambda secret: {"REDISCLI_AUTH": secret},
    broker_var="CELERY_BROKER_URL",
    loses="its keys and queued tasks",
)

POSTGRES_PORT = 5432
#: The superuser and database of an add-on. Each app has its own server, so one name
#: serves both; the official image and ours create them from the environment.
POSTGRES_USER = "app"
POSTGRES_DB = "app"
POSTGRES_PASSWORD_FILE = "/etc/paas/postgres-password"  # noqa: S105 - a path


def postgres_url(host: str, password: str, port: int = POSTGRES_PORT) -> str:
    """``postgresql://``: the scheme SQLAlchemy 1.4+ accepts (it refused Heroku's
    ``postgres://``) and dj-database-url maps to Django's postgresql backend alike."""
    return (f"postgresql://{POSTGRES_USER}:{quote(password, safe='')}@{host}:{port}"
            f"/{POSTGRES_DB}")


def _postgres_password_file(password: str) -> str:
    if not _SAFE_SECRET.fullmatch(password):
        raise InvalidInput("an add-on password must be 16-128 URL-safe characters")
    return password


#: Where a command run inside an add-on's own container connects: the service itself.
LOOPBACK = "127.0.0.1"


def _postgres_client(host: str) -> tuple[str, ...]:
    return ("-h", host, "-p", str(POSTGRES_PORT), "-U", POSTGRES_USER)


#: How commands inside the container connect: over TCP to itself, with the password
#: (PGPASSWORD), so the readiness check passes only once the server has finished its
#: first-start initialisation (which listens on the socket only) and checks the password.
_PSQL_LOCAL = _postgres_client(LOOPBACK)

_POSTGRES_INFO = (
    "SELECT 'Version', current_setting('server_version') "
    "UNION ALL SELECT 'Data size', pg_size_pretty(pg_database_size(current_database())) "
    "UNION ALL SELECT 'Tables', count(*)::text FROM pg_stat_user_tables "
    "UNION ALL SELECT 'Connections', count(*)::text || '/' "
    "|| current_setting('max_connections') FROM pg_stat_activity "
    "WHERE datname = current_database()"
)


def _psql(command: str | None) -> tuple[str, ...]:
    base = ("psql", *_PSQL_LOCAL, "-d", POSTGRES_DB)
    return (*base, "-c", command) if command is not None else base


POSTGRES = AddonKind(
    name="postgres",
    image="postgres",
    port=POSTGRES_PORT,
    # the official image's PGDATA, and ours
    data_dir="/var/lib/postgresql/data",
    config=lambda host, password: {"DATABASE_URL": postgres_url(host, password)},
    files=(AddonFile(POSTGRES_PASSWORD_FILE, _postgres_password_file),),
    environment=lambda _secret: {"POSTGRES_USER": POSTGRES_USER, "POSTGRES_DB": POSTGRES_DB,
                                 "POSTGRES_PASSWORD_FILE": POSTGRES_PASSWORD_FILE},
    ready=("psql", *_PSQL_LOCAL, "-d", POSTGRES_DB, "-tAqc", "SELECT 1"),
    client_environment=lambda secret: {"PGPASSWORD": secret},
    backup=lambda host: ("pg_dump", *_postgres_client(host), "-d", POSTGRES_DB,
                         "--format=custom"),
    # one transaction: a dump that fails half-way rolls back to the data as it was
    restore=lambda host: ("pg_restore", *_postgres_client(host), "-d", POSTGRES_DB,
                          "--clean", "--if-exists", "--single-transaction",
                          "--exit-on-error", "--no-owner"),
    info=("psql", *_PSQL_LOCAL, "-d", POSTGRES_DB, "-tAq", "-F", "\t", "-c", _POSTGRES_INFO),
    console=_psql,
    loses="its database",
    uid=999,
    volume_dir="/var/lib/postgresql",
    capabilities=("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID"),
)

KINDS: dict[str, AddonKind] = {k.name: k for k in (REDIS, POSTGRES)}


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
