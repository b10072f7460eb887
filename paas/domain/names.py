"""Validation of the names users choose.

App names become DNS labels (``NAME.domain``), container names, Kubernetes namespaces and
git paths, so they obey the strictest of those: an RFC 1123 label of at most 30 characters
(Deis's limit, leaving room for suffixes in the 63-character label).
"""

from __future__ import annotations

import ipaddress
import re

from paas.errors import InvalidInput

APP_NAME_MAX = 30
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PROCESS_TYPE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def validate_app_name(name: str) -> str:
    if not name or len(name) > APP_NAME_MAX or not _LABEL.fullmatch(name):
        raise InvalidInput(
            f"invalid app name {name!r}: use lowercase letters, digits and '-', "
            f"starting and ending with a letter or digit, at most {APP_NAME_MAX} characters"
        )
    return name


def validate_hostname(host: str) -> str:
    """A fully qualified host name as nginx ``server_name`` and Ingress rules accept it."""
    h = host.lower().rstrip(".")
    labels = h.split(".")
    if (
        not h
        or len(h) > 253
        or len(labels) < 2
        or not all(len(lb) <= 63 and _LABEL.fullmatch(lb) for lb in labels)
    ):
        raise InvalidInput(f"invalid hostname {host!r}")
    return h


#: The host name the platform uses to reach its own router (reload generation checks).
ROUTER_CONTROL_HOST = "paas-router.internal"

#: Names that belong to the platform or the machine, never to a tenant: the router's
#: control host, and the names Docker gives the host and its gateway inside containers.
RESERVED_HOSTS = frozenset({
    ROUTER_CONTROL_HOST,
    "host.docker.internal",
    "gateway.docker.internal",
    "localhost.localdomain",
})

#: Top-level names that resolve to this machine or a private network, never to a
#: tenant's public site (RFC 6761 localhost and invalid, ICANN's internal).
RESERVED_TOP_LEVEL = frozenset({"localhost", "localdomain", "internal", "invalid"})

#: A last label that a URL parser reads as a number turns the whole name into an IPv4
#: address (``127.1``, ``0x7f.1``, ``0177.0.0.1``): WHATWG URL's IPv4 rule.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def reads_as_ip_address(host: str) -> bool:
    """True for an IPv4 or IPv6 literal, bracketed or with a zone, and for any name a URL
    parser turns into an IPv4 address (a numeric last label)."""
    bare = host.strip().lower().rstrip(".").strip("[]").split("%", 1)[0]
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return bool(_NUMERIC_LABEL.fullmatch(bare.rsplit(".", 1)[-1]))
    return True


def validate_custom_domain(host: str, platform_domain: str) -> str:
    """A host a tenant may claim: a public DNS name, not one of the machine's or ours.

    An IP literal would make requests by bare address (which the router answers with
    "no app") reach that tenant; ``localhost`` names and the router's control host would
    let one tenant answer for the platform itself.
    """
    if reads_as_ip_address(host):
        raise InvalidInput(f"{host[:64]} is an IP address: a custom domain is a DNS name "
                           "pointing at the router")
    h = validate_hostname(host)
    labels = h.split(".")
    if h == platform_domain or h.endswith("." + platform_domain):
        raise InvalidInput(f"{h} is under the platform domain {platform_domain}: every "
                           f"app already answers at NAME.{platform_domain}")
    if h in RESERVED_HOSTS or labels[-1] in RESERVED_TOP_LEVEL:
        raise InvalidInput(f"{h} is reserved for the platform or this machine")
    return h


def validate_config_key(key: str) -> str:
    if not _ENV_KEY.fullmatch(key):
        raise InvalidInput(
            f"invalid config key {key!r}: use letters, digits and '_', not starting with a digit"
        )
    return key


def validate_process_type(name: str) -> str:
    if not name or len(name) > 30 or not _PROCESS_TYPE.fullmatch(name):
        raise InvalidInput(
            f"invalid process type {name!r}: use lowercase letters, digits and '-'"
        )
    return name


_USER = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")
USER_NAME_MAX = 64


def validate_user_name(name: str) -> str:
    """User names end up in logs, labels and release records: keep them plain."""
    if not name or len(name) > USER_NAME_MAX or not _USER.fullmatch(name):
        raise InvalidInput(
            f"invalid user name {name!r}: use lowercase letters, digits, '.', '_' and '-', "
            f"starting and ending with a letter or digit, at most {USER_NAME_MAX} characters"
        )
    return name
