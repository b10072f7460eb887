"""The Python language buildpack: how an app's dependencies get into the image's venv."""

from __future__ import annotations

import re

from paas.build.plan import Dependencies
from paas.build.source import SourceTree

KIND = "language"

_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)")
_LOCAL = re.compile(r"^\s*(?:-e\s+|--editable\s+)?(\.|\./|/|file:)")


def _requirement_files(src: SourceTree, path: str, seen: set[str]) -> bool:
    """Collect ``path`` and the files it includes; False when it needs the whole tree."""
    seen.add(path)
    text = src.read(path) or ""
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for line in text.splitlines():
        if _LOCAL.match(line):
            return False
        m = _INCLUDE.match(line)
        if m:
            inc = base + m.group(1)
            if inc not in seen and (not src.has(inc) or not _requirement_files(src, inc, seen)):
                return False
    return True


def dependencies(src: SourceTree) -> Dependencies | None:
    if not src.has("requirements.txt"):
        return None
    seen: set[str] = set()
    only_manifests = _requirement_files(src, "requirements.txt", seen)
    return Dependencies(
        manager="pip (requirements.txt)",
        files=tuple(sorted(seen)) if only_manifests else None,
        pip_args=(("-r", "requirements.txt"),),
    )
