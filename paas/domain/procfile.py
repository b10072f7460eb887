"""Procfile parsing, as Heroku and foreman read it: ``type: command`` per line."""

from __future__ import annotations

import re

from paas.domain.names import validate_process_type
from paas.errors import InvalidInput

_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.+)$")


def parse_procfile(text: str) -> dict[str, str]:
    """Process types in file order. Blank lines and ``#`` comments are skipped."""
    processes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise InvalidInput(f"Procfile line {number}: expected 'type: command', got {raw!r}")
        name, command = m.group(1), m.group(2).strip()
        try:
            validate_process_type(name)
        except InvalidInput as e:
            raise InvalidInput(f"Procfile line {number}: {e.message}") from e
        if name in processes:
            raise InvalidInput(f"Procfile line {number}: process type {name!r} defined twice")
        processes[name] = command
    return processes
