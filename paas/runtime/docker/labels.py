"""Labels and names of everything the docker runtime creates.

Labels are the runtime's memory: after a restart of the platform it finds its router,
network and replicas by label, never by parsing names.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable

INSTANCE = "paas.instance"
APP = "paas.app"
ROLE = "paas.role"
PROCESS = "paas.process-type"
RELEASE = "paas.release"
#: A replica's number within its type and release: the ``1`` of ``DYNO=web.1``.
NUMBER = "paas.number"
ROUTER_PORT = "paas.router-port"
#: Which command a router was made with (``router.ROUTER_SPEC``).
ROUTER_SPEC = "paas.router-spec"
CONFIG_HASH = "paas.config-hash"

ROLE_APP = "app"
ROLE_RUN = "run"
ROLE_ROUTER = "router"
ROLE_ADDON = "addon"
#: The volume of an app's data folder (Flask's instance folder with its SQLite file).
ROLE_DATA = "data"
#: Short-lived helper containers of the platform itself (the host firewall rule).
ROLE_HELPER = "helper"


def network_name(instance: str) -> str:
    """The platform network: the router alone (and the host); no app container joins it."""
    return f"paas-{instance}"


def app_network_name(instance: str, app: str) -> str:
    """The network of one app: its replicas, one-offs, release phase, add-ons, the router."""
    return f"paas-{instance}-app-{app}"


def build_network_name(instance: str) -> str:
    """Where builds run: the dependency install and the image's build steps."""
    return f"paas-{instance}-build"


def router_name(instance: str) -> str:
    return f"paas-{instance}-router"


def replica_name(instance: str, app: str, process_type: str, version: int, suffix: str) -> str:
    return f"paas-{instance}-{app}-{process_type}-v{version}-{suffix}"


def selector(instance: str, **labels: str) -> dict[str, str]:
    """Labels selecting this instance's objects that also carry ``labels``."""
    return {INSTANCE: instance, **labels}


def filters(instance: str, **labels: str) -> dict[str, list[str]]:
    """A ``filters=`` value selecting this instance's objects with the given labels."""
    return {"label": [f"{INSTANCE}={instance}", *(f"{k}={v}" for k, v in labels.items())]}


# add-ons ------------------------------------------------------------------
ADDON = "paas.addon"


def addon_name(instance: str, app: str, kind: str) -> str:
    """Container and volume name of an app's add-on; also its host name on the network."""
    return f"paas-{instance}-{app}-{kind}"


# data folders ----------------------------------------------------------------
def data_volume_name(instance: str, app: str, path: str) -> str:
    """The volume of one data folder of an app: its last name for people, a digest of
    the whole path so two folders never share a volume."""
    digest = hashlib.sha256(path.encode()).hexdigest()[:8]
    return f"paas-{instance}-{app}-data-{posixpath.basename(path)}-{digest}"


def data_volumes(instance: str, app: str, paths: Iterable[str]
                 ) -> dict[str, tuple[str, str]]:
    """Volume name -> (folder in the container, "rw") for a build's data folders."""
    return {data_volume_name(instance, app, p): (p, "rw") for p in paths}
