"""Validation of the names users choose.

App names become DNS labels (``NAME.domain``), container names, Kubernetes namespaces and
git paths, so they obey the strictest of those: an RFC 1123 label of at most 30 characters
(Deis's limit, leaving room for suffixes in the 63-character label).
"""

from __future__ import annotations

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
