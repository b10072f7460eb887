"""The pushed source, as files on disk and as a snapshot detection can read purely."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: Directories detection never looks into: VCS data, virtualenvs, caches, node deps.
_SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules", ".tox", ".mypy_cache"}
)
#: Files detection may read: Python sources and the manifests that describe an app.
_TEXT_SUFFIXES = frozenset({".py", ".txt", ".toml", ".cfg", ".ini", ".lock", ".json", ".in"})
_TEXT_NAMES = frozenset({"Procfile", "Pipfile", "runtime.txt", ".python-version", "app.json"})
_MAX_FILE = 512 * 1024
_MAX_FILES = 5000


@dataclass(frozen=True)
class SourceTree:
    """Text of the files that decide how an app is built, keyed by POSIX relative path.

    Detection works on this value, never on the user's code by importing it: a pure
    function of the files, testable with a dict.
    """

    files: Mapping[str, str]
    #: Every file path of the tree (text or not), for checks like "is there a static/ dir".
    listing: frozenset[str] = frozenset()

    def has(self, path: str) -> bool:
        return path in self.files or path in self.listing

    def has_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in (*self.files, *self.listing))

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def paths(self, suffix: str = "") -> Iterator[str]:
        return (p for p in sorted(self.files) if p.endswith(suffix))

    @classmethod
    def from_dir(cls, root: Path) -> SourceTree:
        files: dict[str, str] = {}
        listing: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for name in sorted(filenames):
                full = Path(dirpath) / name
                if len(listing) < _MAX_FILES * 4:
                    listing.add(full.relative_to(root).as_posix())
                if full.suffix not in _TEXT_SUFFIXES and name not in _TEXT_NAMES:
                    continue
                if full.is_symlink() or full.stat().st_size > _MAX_FILE:
                    continue
                files[full.relative_to(root).as_posix()] = full.read_text(errors="replace")
                if len(files) >= _MAX_FILES:
                    return cls(files, frozenset(listing))
        return cls(files, frozenset(listing))


def extract_tar(stream: IO[bytes], dest: Path) -> None:
    """Unpack a ``git archive`` tar; the ``data`` filter refuses links out and device files."""
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        tar.extractall(dest, filter="data")
