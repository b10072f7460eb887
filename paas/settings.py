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


#: Bumped when the recipe of the built stack images changes, so hosts rebuild them.
STACK_TAG = "bookworm-r3"


@dataclass(frozen=True)
class StackImages:
    """Images the platform runs; built from Debian packages by ``paas stack build``."""

    python: str = field(
        default_factory=lambda: os.environ.get("PAAS_STACK_IMAGE", f"paas-stack/python:{STACK_TAG}")
    )
    router: str = field(
        default_factory=lambda: os.environ.get("PAAS_ROUTER_IMAGE", f"paas-stack/nginx:{STACK_TAG}")
    )
    redis: str = field(
        default_factory=lambda: os.environ.get("PAAS_REDIS_IMAGE", f"paas-stack/redis:{STACK_TAG}")
    )


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


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home)
    host: str = "127.0.0.1"
    port: int = 7070
    router_host: str | None = None
    router_port: int = 8080
    #: Published port of the router's TLS listener; None: HTTP only.
    router_https_port: int | None = None
    domain: str = "localhost"
    #: Seconds a new web replica has to answer its health check before the deploy fails.
    health_timeout: float = 60.0
    #: Seconds between SIGTERM and SIGKILL when a replica stops (gunicorn's graceful window).
    stop_timeout: int = 25
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
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def local_api_url(self) -> str:
        """How processes on this host (the git hook) reach the API."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"
