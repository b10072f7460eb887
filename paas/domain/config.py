"""Config vars: the rules for changing an app's environment, as pure functions.

A value may hold any text a process environment can carry: newlines, '=', quotes,
unicode. Only NUL cannot pass through ``execve``, and a size cap keeps one value from
crowding out the environment (Linux limits a single string to 128 KiB).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from paas.domain.names import validate_config_key
from paas.errors import InvalidInput, NotFound

MAX_VALUE_LENGTH = 32 * 1024
MAX_KEYS = 500
#: Set by the platform for every process; a config var cannot override them.
RESERVED = frozenset({"PORT", "PAAS_APP", "PAAS_RELEASE", "PAAS_PROCESS_TYPE"})


def validate_value(key: str, value: str) -> str:
    """Errors name the key only: a value may be a secret and must not reach a log."""
    if "\x00" in value:
        raise InvalidInput(f"config value of {key} contains a NUL character")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidInput(f"config value of {key} is longer than {MAX_VALUE_LENGTH} characters")
    return value


def validate_key(key: str) -> str:
    validate_config_key(key)
    if key in RESERVED:
        raise InvalidInput(f"config key {key} is set by the platform and cannot be changed")
    return key


def with_set(config: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    if not changes:
        raise InvalidInput("nothing to set: give KEY=VALUE pairs")
    for key, value in changes.items():
        validate_key(key)
        validate_value(key, value)
    new = {**config, **changes}
    if len(new) > MAX_KEYS:
        raise InvalidInput(f"an app can have at most {MAX_KEYS} config vars")
    return new


def without(config: Mapping[str, str], keys: Iterable[str]) -> dict[str, str]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        raise InvalidInput("nothing to unset: give one or more KEYs")
    for key in wanted:
        validate_config_key(key)
    missing = [k for k in wanted if k not in config]
    if missing:
        raise NotFound(f"config var {', '.join(missing)} is not set")
    return {k: v for k, v in config.items() if k not in wanted}


def describe_set(keys: Iterable[str]) -> str:
    return "Set " + ", ".join(keys)


def describe_unset(keys: Iterable[str]) -> str:
    return "Unset " + ", ".join(dict.fromkeys(keys))
