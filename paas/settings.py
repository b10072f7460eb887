"""Platform settings: flags of ``paas server`` over environment variables over defaults.

Every name that touches the host (image names, ports, the pip index and CA bundle) is
configuration, because an air-gapped install and a laptop with Docker Hub need different
values and neither should need a code change.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from paas.domain.limits import ReplicaBounds
from paas.errors import InvalidInput


def default_home() -> Path:
    """``$PAAS_HOME``, else the XDG data dir (``~/.local/share/paas``)."""
    env = os.environ.get("PAAS_HOME")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "paas"


def _env_path(*names: str) -> Path | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return Path(v)
    return None


def _env(*names: str) -> str | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None


def pip_config_files() -> list[Path]:
    """pip's own config files, lowest precedence first (as ``pip config debug`` lists them)."""
    files = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf")]
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    files += [Path.home() / ".pip" / "pip.conf", Path(config_home) / "pip" / "pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    return files


def pip_config_value(key: str, files: list[Path] | None = None) -> str | None:
    """``key`` from the ``[install]`` or ``[global]`` section of the host's pip config.

    A host behind a TLS-inspecting proxy or a private index has already told pip about
    it; builds inherit that unless the platform is configured otherwise.
    """
    value: str | None = None
    for path in files if files is not None else pip_config_files():
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except (configparser.Error, OSError):
            continue
        for section in ("global", "install"):
            if parser.has_option(section, key):
                value = parser.get(section, key).strip() or value
    return value


def _default_ca_bundle() -> Path | None:
    found = _env_path("PAAS_PIP_CERT", "PIP_CERT")
    if found is None:
        cert = pip_config_value("cert")
        found = Path(cert) if cert else None
    return found if found is not None and found.is_file() else None


def _default_index_url() -> str | None:
    url = _env("PAAS_PIP_INDEX_URL", "PIP_INDEX_URL") or pip_config_value("index-url")
    # file:// indexes of the host do not exist inside build containers.
    return url if url and url.startswith(("http://", "https://")) else None


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        raise InvalidInput(f"{name} must be a whole number up to 6 digits, got {raw[:20]!r}")
    return int(raw)


#: Longest crash watch (``PAAS_CRASH_WATCH``): the push waits for it on apps with workers.
MAX_CRASH_WATCH = 60


def crash_watch_from_env() -> float:
    """``PAAS_CRASH_WATCH``: seconds a rollout watches the replicas it started for a
    crash loop (default 5; 0 turns the watch off)."""
    seconds = _env_int("PAAS_CRASH_WATCH", 5)
    if seconds > MAX_CRASH_WATCH:
        raise InvalidInput(f"PAAS_CRASH_WATCH must be at most {MAX_CRASH_WATCH} seconds, "
                           f"got {seconds}")
    return float(seconds)


def replica_bounds_from_env() -> ReplicaBounds:
    """``PAAS_MAX_REPLICAS_PER_TYPE`` (10), ``PAAS_MAX_REPLICAS_PER_APP`` (20),
    ``PAAS_MAX_REPLICAS_TOTAL`` (100, every app together), ``PAAS_MAX_PROCESS_TYPES`` (20),
    ``PAAS_MAX_ONEOFFS_PER_APP`` (5 one-off runs of an app at once),
    ``PAAS_MAX_APPS_PER_USER`` (50 apps owned by a user who is not an admin)."""
    d = ReplicaBounds()
    return ReplicaBounds(
        per_type=_env_int("PAAS_MAX_REPLICAS_PER_TYPE", d.per_type),
        per_app=_env_int("PAAS_MAX_REPLICAS_PER_APP", d.per_app),
        host=_env_int("PAAS_MAX_REPLICAS_TOTAL", d.host),
        process_types=_env_int("PAAS_MAX_PROCESS_TYPES", d.process_types),
        oneoffs=_env_int("PAAS_MAX_ONEOFFS_PER_APP", d.oneoffs),
        apps_per_user=_env_int("PAAS_MAX_APPS_PER_USER", d.apps_per_user),
    )


#: Bumped when the recipe of the built router and redis images changes, so hosts rebuild
#: them. They stay on bookworm whatever Pythons the app stacks offer.
STACK_TAG = "bookworm-r3"
#: Bumped when the recipe of the built Python stack images changes.
PYTHON_STACK_REVISION = "r3"
#: The PostgreSQL stack image's own tag (major version, suite, recipe revision).
POSTGRES_TAG = "15-bookworm-r3"


@dataclass(frozen=True)
class PythonStack:
    """One Python an app can be built on: its version and the image that carries it.

    ``suite`` is the Debian release ``paas stack build`` bootstraps it from (None for an
    image the operator provides, such as ``python:3.13-slim`` on a host with a registry);
    ``packages`` are the Debian packages that give that Python and its venv module.
    """

    python: str
    image: str
    suite: str | None = None
    packages: tuple[str, ...] = ("python3", "python3-venv")
    #: debootstrap script to use when this host's debootstrap has none for ``suite``
    #: (bookworm's has trixie and sid, not forky: the sid script bootstraps forky).
    script: str | None = None

    @property
    def label(self) -> str:
        """How the push output names the stack: ``Python 3.13 on Debian trixie``."""
        return f"Python {self.python} on Debian {self.suite}" if self.suite \
            else f"Python {self.python}"

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.python)


def version_key(version: str) -> tuple[int, ...]:
    """``"3.13"`` -> ``(3, 13)``, for ordering stacks by their Python."""
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def debian_stack(python: str, suite: str, packages: tuple[str, ...] | None = None,
                 script: str | None = None) -> PythonStack:
    """A stack built from Debian: the image name records the release and the Python."""
    return PythonStack(
        python=python,
        image=f"paas-stack/python:{python}-{suite}-{PYTHON_STACK_REVISION}",
        suite=suite,
        packages=packages or ("python3", "python3-venv"),
        script=script,
    )


#: The Pythons ``paas stack build`` offers, one Debian release each (all on the same
#: mirror): bookworm 3.11, trixie 3.13, forky 3.14 (forky's default python3 is not 3.14,
#: so its packages are named).
DEBIAN_STACKS = (
    debian_stack("3.11", "bookworm"),
    debian_stack("3.13", "trixie"),
    debian_stack("3.14", "forky", ("python3.14", "python3.14-venv"), script="sid"),
)
#: The stack the router and redis images share a root file system with, and the one the
#: platform builds when none exists yet (its root file system is the cheapest to make).
BASELINE_PYTHON = "3.11"


def _configured_stacks() -> tuple[PythonStack, ...]:
    """``PAAS_PYTHON_STACKS`` (``3.12=python:3.12-slim,3.13=python:3.13-slim``), else
    ``PAAS_STACK_IMAGE`` as the one stack (its Python in ``PAAS_STACK_PYTHON``, default
    3.11), else the Debian-built set, or the part of it ``PAAS_PYTHONS`` (``3.11,3.13``)
    keeps: a platform that offers fewer Pythons has fewer stacks to build, and its
    default (the newest built) stays where the operator wants it."""
    listed = _env("PAAS_PYTHON_STACKS")
    if listed:
        stacks = []
        for item in listed.split(","):
            version, sep, image = item.strip().partition("=")
            if not sep or not re.fullmatch(r"\d+\.\d+", version.strip()) or not image.strip():
                raise InvalidInput(f"PAAS_PYTHON_STACKS: {item.strip()!r} is not VERSION=IMAGE "
                                   "(e.g. 3.13=python:3.13-slim)")
            stacks.append(PythonStack(version.strip(), image.strip()))
        return tuple(sorted(stacks, key=lambda s: s.key))
    single = _env("PAAS_STACK_IMAGE")
    if single:
        return (PythonStack(_env("PAAS_STACK_PYTHON") or BASELINE_PYTHON, single),)
    kept = _env("PAAS_PYTHONS")
    if kept:
        versions = {v.strip() for v in kept.split(",") if v.strip()}
        unknown = versions - {s.python for s in DEBIAN_STACKS}
        if unknown or not versions:
            offered = ", ".join(s.python for s in DEBIAN_STACKS)
            raise InvalidInput(f"PAAS_PYTHONS={kept!r}: the stacks offer {offered}")
        return tuple(s for s in DEBIAN_STACKS if s.python in versions)
    return DEBIAN_STACKS


@dataclass(frozen=True)
class StackImages:
    """Images the platform runs; built from Debian packages by ``paas stack build``."""

    #: Every Python apps may ask for, oldest first.
    pythons: tuple[PythonStack, ...] = field(default_factory=_configured_stacks)
    router: str = field(
        default_factory=lambda: os.environ.get("PAAS_ROUTER_IMAGE", f"paas-stack/nginx:{STACK_TAG}")
    )
    redis: str = field(
        default_factory=lambda: os.environ.get("PAAS_REDIS_IMAGE", f"paas-stack/redis:{STACK_TAG}")
    )
    #: ``postgres:15`` where a registry is reachable: ours keeps its entrypoint contract.
    postgres: str = field(
        default_factory=lambda: os.environ.get("PAAS_POSTGRES_IMAGE",
                                               f"paas-stack/postgres:{POSTGRES_TAG}")
    )

    @property
    def baseline(self) -> PythonStack:
        """The stack built when none is (bookworm, like the router), else the oldest."""
        return next((s for s in self.pythons if s.python == BASELINE_PYTHON), self.pythons[0])

    @property
    def python(self) -> str:
        """The baseline stack's image: the one a cluster's build engine pulls, and the base
        of the platform server image."""
        return self.baseline.image

    def select(self, versions: list[str] | tuple[str, ...]) -> tuple[PythonStack, ...]:
        """The stacks for ``paas stack build --python X``; a version no stack has is an
        error that lists the ones there are."""
        chosen = []
        for v in versions:
            found = [s for s in self.pythons if s.python == v]
            if not found:
                offered = ", ".join(s.python for s in self.pythons)
                raise InvalidInput(f"no stack offers Python {v} (stacks: {offered})")
            chosen += found
        return tuple(dict.fromkeys(chosen))


@dataclass(frozen=True)
class BuildSettings:
    """Knobs for ``pip`` inside builds; users behind a proxy or private index need them."""

    pip_index_url: str | None = field(default_factory=_default_index_url)
    pip_extra_index_url: str | None = field(
        default_factory=lambda: _env("PAAS_PIP_EXTRA_INDEX_URL")
    )
    #: CA bundle given to pip in the dependency stage only; never copied to the app image.
    #: Defaults to PIP_CERT, else the host's pip config ``cert``.
    ca_bundle: Path | None = field(default_factory=_default_ca_bundle)


# host[:port] with an optional path prefix, as Docker accepts in image references.
REGISTRY_PATTERN = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
)


@dataclass(frozen=True)
class RegistrySettings:
    #: How image references start for the nodes (``PAAS_REGISTRY``); None: no registry.
    pull_host: str | None = field(default_factory=lambda: _env("PAAS_REGISTRY"))
    #: Where the build engine pushes (``PAAS_REGISTRY_PUSH``); defaults to ``pull_host``.
    push_host: str | None = field(default_factory=lambda: _env("PAAS_REGISTRY_PUSH"))
    username: str | None = field(default_factory=lambda: _env("PAAS_REGISTRY_USERNAME"))
    password: str | None = field(default_factory=lambda: _env("PAAS_REGISTRY_PASSWORD"))

    def __post_init__(self) -> None:
        for name, value in (("PAAS_REGISTRY", self.pull_host),
                            ("PAAS_REGISTRY_PUSH", self.push_host)):
            if value is not None and not REGISTRY_PATTERN.fullmatch(value):
                raise InvalidInput(
                    f"{name}={value!r} is not a registry host[:port][/path] (no scheme)"
                )

    @property
    def enabled(self) -> bool:
        return self.pull_host is not None

    @property
    def auth(self) -> dict[str, str] | None:
        if self.username is None:
            return None
        return {"username": self.username, "password": self.password or ""}


LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"


@dataclass(frozen=True)
class AcmeSettings:
    """Where automatic certificates come from (``paas certs:auto:enable``)."""

    directory: str = field(default_factory=lambda: _env("PAAS_ACME_DIRECTORY") or LETS_ENCRYPT)
    #: Contact of the ACME account: the CA's expiry and incident mail goes there.
    email: str | None = field(default_factory=lambda: _env("PAAS_ACME_EMAIL"))
    #: CA bundle that verifies the ACME server's own HTTPS (a private or test CA);
    #: None: the system's.
    ca_bundle: Path | None = field(default_factory=lambda: _env_path("PAAS_ACME_CA_BUNDLE"))
    #: Seconds between renewal checks; also how soon a failed issuance is tried again
    #: (an hour keeps far below Let's Encrypt's failed-validation limit).
    interval: float = field(
        default_factory=lambda: float(_env("PAAS_ACME_INTERVAL") or 3600.0))


ROUTER_NETWORK_HOST = "host"
ROUTER_NETWORK_BRIDGE = "bridge"
ROUTER_NETWORKS = (ROUTER_NETWORK_HOST, ROUTER_NETWORK_BRIDGE)


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home)
    host: str = "127.0.0.1"
    port: int = 7070
    router_host: str | None = None
    router_port: int = 8080
    #: Published port of the router's TLS listener; None: HTTP only.
    router_https_port: int | None = None
    #: Docker: ``host`` runs the router's nginx in the host's network namespace,
    #: listening on ``router_host`` itself and sending to replicas' addresses on their
    #: app networks (no proxy hop, no veth pair per request); ``bridge`` runs it on its
    #: own network with published ports, joined to every routed app's network.
    router_network: str = field(
        default_factory=lambda: _env("PAAS_ROUTER_NETWORK") or ROUTER_NETWORK_HOST)
    domain: str = "localhost"
    #: Seconds a new web replica has to answer its health check before the deploy fails.
    health_timeout: float = 60.0
    #: Seconds between SIGTERM and SIGKILL when a replica stops (gunicorn's graceful window).
    stop_timeout: int = 25
    #: Seconds after their start the replicas of a rollout are watched for a crash loop:
    #: workers before the push answers (it names them), web replicas after it.
    crash_watch: float = field(default_factory=crash_watch_from_env)
    stack: StackImages = field(default_factory=StackImages)
    build: BuildSettings = field(default_factory=BuildSettings)
    database_url: str | None = field(default_factory=lambda: _env("PAAS_DATABASE_URL"))
    #: ``docker`` (this host's engine, nginx router) or ``kubernetes`` (a cluster).
    runtime: str = "docker"
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    #: Docker autoscaling loop: seconds between evaluations, and the
    #: scale-down stabilization window (the HPA's 300 s; e2e shrinks both).
    autoscale_interval: float = field(
        default_factory=lambda: float(_env("PAAS_AUTOSCALE_INTERVAL") or 5.0))
    autoscale_window: float = field(
        default_factory=lambda: float(_env("PAAS_AUTOSCALE_WINDOW") or 300.0))
    acme: AcmeSettings = field(default_factory=lambda: AcmeSettings())
    #: Docker: let app containers reach link-local addresses (169.254.0.0/16, the
    #: cloud metadata service). Off: a host firewall rule drops that traffic.
    allow_metadata: bool = field(
        default_factory=lambda: (_env("PAAS_ALLOW_METADATA") or "").lower()
        in ("1", "true", "yes"))
    #: Docker: the address range app networks are carved from, a /26 (61 containers)
    #: each. Docker's own default pools hold about 30 networks, too few for one per app.
    app_network_pool: str = field(
        default_factory=lambda: _env("PAAS_APP_NETWORK_POOL") or "10.213.0.0/16")
    #: Upper bounds on replicas and process types, checked before anything starts.
    replicas: ReplicaBounds = field(default_factory=replica_bounds_from_env)

    @property
    def instance(self) -> str:
        """Short id of this installation, derived from its home.

        Every container, network and image carries it, so two platforms (say, a user's
        and the e2e suite's) share one engine without seeing each other's objects.
        """
        return hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:8]

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'paas.db'}"

    @property
    def repos_dir(self) -> Path:
        return self.home / "repos"

    @property
    def backups_dir(self) -> Path:
        """Add-on backups, one 0700 folder per app."""
        return self.home / "backups"

    @property
    def router_dir(self) -> Path:
        return self.home / "router"

    @property
    def cert_dir(self) -> Path:
        """Certificates and their keys (0600), mounted read-only into the router."""
        return self.router_dir / "certs"

    @property
    def acme_challenge_dir(self) -> Path:
        """ACME HTTP-01 answers, served by the router as files."""
        return self.router_dir / "acme"

    @property
    def acme_account_key(self) -> Path:
        return self.home / "acme" / "account.key"

    @property
    def public_router_host(self) -> str:
        return self.router_host or self.host

    @property
    def router_on_host(self) -> bool:
        return self.router_network == ROUTER_NETWORK_HOST

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def local_api_url(self) -> str:
        """How processes on this host (the git hook) reach the API."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"
