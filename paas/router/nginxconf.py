"""A small nginx configuration model: directives and blocks rendered with quoting.

Config text is never glued from strings: every argument passes through ``quote``, so a
host name or path cannot close a block or start a new directive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_BARE = re.compile(r"^[A-Za-z0-9_./:=~^*+@,\-\[\]$]+$")


def quote(arg: str) -> str:
    """An nginx argument: bare when safe, else double-quoted with escapes."""
    if arg and _BARE.fullmatch(arg):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@dataclass(frozen=True)
class Directive:
    name: str
    args: Sequence[str] = ()

    def render(self, indent: int = 0) -> list[str]:
        words = " ".join([self.name, *(quote(a) for a in self.args)])
        return [" " * indent + words + ";"]


@dataclass(frozen=True)
class Block:
    name: str
    args: Sequence[str] = ()
    children: Sequence[Directive | Block] = field(default_factory=tuple)

    def render(self, indent: int = 0) -> list[str]:
        head = " ".join([self.name, *(quote(a) for a in self.args)])
        lines = [" " * indent + head + " {"]
        for child in self.children:
            lines += child.render(indent + 4)
        lines.append(" " * indent + "}")
        return lines


def render(items: Sequence[Directive | Block]) -> str:
    lines: list[str] = []
    for item in items:
        lines += item.render()
    return "\n".join(lines) + "\n"
