"""Reading request fields strictly: the right JSON type, no unknown names.

Every handler states what it accepts; anything else is a 400 that names the field, so a
typo in a client never silently does nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from paas.errors import InvalidInput


def only(body: Mapping[str, Any], allowed: Collection[str]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}")


def text(body: Mapping[str, Any], name: str, *, required: bool = True,
         max_length: int = 1024) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"missing field: {name}")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"field {name} must be a string")
    if len(value) > max_length:
        raise InvalidInput(f"field {name} is longer than {max_length} characters")
    return value


def required_text(body: Mapping[str, Any], name: str, max_length: int = 1024) -> str:
    value = text(body, name, max_length=max_length)
    assert value is not None
    return value


def flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"field {name} must be true or false")
    return value


def version(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    # bool is an int in Python; JSON true is no version number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"field {name} must be an integer")
    if not 1 <= value <= 2**31 - 1:
        raise InvalidInput(f"field {name} must be a release version (1 or more)")
    return value


#: Entries of a list or object field unless the handler says otherwise: a bound checked
#: before any work, so no use case loops over (or echoes back) what a client invented.
MAX_ITEMS = 1000


def string_map(body: Mapping[str, Any], name: str,
               max_items: int = MAX_ITEMS) -> dict[str, str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidInput(f"field {name} must be an object of string values")
    if len(value) > max_items:
        raise InvalidInput(f"field {name} has more than {max_items} entries")
    return dict(value)


def string_list(body: Mapping[str, Any], name: str,
                max_items: int = MAX_ITEMS) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"field {name} must be a list of strings")
    if len(value) > max_items:
        raise InvalidInput(f"field {name} has more than {max_items} entries")
    return list(value)
