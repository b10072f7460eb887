"""The pushed source, read through git objects: never unpacked on the host.

A pushed commit is hostile input: its tree can chain symlinks so that any unpacker that
follows links writes outside the directory it unpacks into (tarfile's ``data`` filter
included, on Pythons before 3.11.13). So nothing here writes the tenant's files to disk:
detection reads blobs from git's object database, where a symlink is a blob of mode
120000 whose text is never followed, and the build context is ``git archive`` output
that only the build engine unpacks, in its own sandbox.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import git
import git.exc

from paas.errors import BuildFailed

log = logging.getLogger(__name__)

#: Directories detection never looks into: VCS data, virtualenvs, caches, node deps.
_SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules", ".tox", ".mypy_cache"}
)
#: Files detection may read: Python sources and the manifests that describe an app.
_TEXT_SUFFIXES = frozenset({".py", ".txt", ".toml", ".cfg", ".ini", ".lock", ".json", ".in"})
_TEXT_NAMES = frozenset({"Procfile", "Pipfile", "runtime.txt", ".python-version", "app.json"})
_MAX_FILE = 512 * 1024
_MAX_FILES = 5000
#: Tree entries detection visits at most: a tree of millions of entries costs no more.
_MAX_ENTRIES = _MAX_FILES * 4
#: git's modes: regular and executable files, symlinks (never followed), trees.
_REGULAR_MODES = frozenset({0o100644, 0o100755})
_LINK_MODE = 0o120000
_TREE_MODE = 0o040000
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class SourceTree:
    """Text of the files that decide how an app is built, keyed by POSIX relative path.

    Detection works on this value, never on the user's code by importing it: a pure
    function of the files, testable with a dict.
    """

    files: Mapping[str, str]
    #: Every file path of the tree (text or not, symlinks too), for checks like "is
    #: there a static/ dir". A symlink's target is never read, so a symlinked folder
    #: is not a folder here.
    listing: frozenset[str] = frozenset()
    #: Modules parsed so far, by path (or the error parsing raised): several buildpacks
    #: read the same module, and a push parses it once.
    _parsed: dict[str, ast.Module | SyntaxError | ValueError] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    def has(self, path: str) -> bool:
        return path in self.files or path in self.listing

    def has_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in (*self.files, *self.listing))

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def parse(self, path: str) -> ast.Module:
        """The module at ``path`` parsed, never run: SyntaxError or ValueError (a null
        byte) as ``ast.parse`` raises them. Every caller gets the same tree: read it,
        never change it."""
        found = self._parsed.get(path)
        if found is None:
            try:
                found = ast.parse(self.read(path) or "", filename=path)
            except (SyntaxError, ValueError) as e:
                found = e
            self._parsed[path] = found
        if isinstance(found, SyntaxError | ValueError):
            raise found.with_traceback(None)
        return found

    def paths(self, suffix: str = "") -> Iterator[str]:
        return (p for p in sorted(self.files) if p.endswith(suffix))

    @classmethod
    def from_git_tree(cls, tree: git.Tree) -> SourceTree:
        """The snapshot of a commit's tree, read from git objects only.

        Only blobs of a regular-file mode are read; a symlink (mode 120000) is listed by
        its own name and its content, a path, is never looked at, let alone followed.
        Submodules (commits inside a tree) are skipped: their objects are not pushed.
        """
        files: dict[str, str] = {}
        listing: set[str] = set()
        pending: list[tuple[str, git.Tree]] = [("", tree)]
        visited = 0
        while pending and visited < _MAX_ENTRIES:
            prefix, current = pending.pop()
            for item in sorted(current, key=lambda i: str(i.name)):
                visited += 1
                name = str(item.name)
                _check_name(name, prefix)
                path = prefix + name
                if item.mode == _TREE_MODE:
                    if name not in _SKIP_DIRS:
                        pending.append((path + "/", item))
                    continue
                if item.mode not in _REGULAR_MODES and item.mode != _LINK_MODE:
                    continue
                if len(listing) < _MAX_ENTRIES:
                    listing.add(path)
                if item.mode == _LINK_MODE or len(files) >= _MAX_FILES:
                    continue
                if Path(name).suffix not in _TEXT_SUFFIXES and name not in _TEXT_NAMES:
                    continue
                if item.size > _MAX_FILE:
                    continue
                files[path] = item.data_stream.read().decode(errors="replace")
        return cls(files, frozenset(listing))


def _check_name(name: str, prefix: str) -> None:
    """Refuse names git itself never writes (``..``, a slash): a tree made by hand."""
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise BuildFailed(
            f"the pushed commit has an invalid file name {name!r} in /{prefix}: "
            "git refuses to create such trees; push a commit made with git"
        )


@dataclass(frozen=True)
class PushedCommit:
    """A commit in an app's bare repository, read only through git.

    During pre-receive the pushed objects sit in git's quarantine directory; ``env``
    holds the hook's object-directory variables so git finds them from this process.
    """

    repo: Path
    sha: str
    env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a sha, never an option or a revision expression reaching git's command line
        if not _SHA.fullmatch(self.sha):
            raise BuildFailed(f"not a commit id: {self.sha[:80]!r}")

    @contextmanager
    def _open(self) -> Iterator[git.Repo]:
        """The repository, with git's helper processes (cat-file) ended after use."""
        with git.Repo(self.repo) as repo:
            repo.git.update_environment(**dict(self.env))
            yield repo

    def source_tree(self) -> SourceTree:
        """What detection reads: the commit's tree from git objects."""
        try:
            with self._open() as repo:
                return SourceTree.from_git_tree(repo.commit(self.sha).tree)
        except (git.exc.GitError, ValueError) as e:
            raise self._unreadable(e) from None

    def archive(self, out: BinaryIO, prefix: str, paths: tuple[str, ...] | None = None
                ) -> None:
        """Write the commit as a tar (``git archive``) to ``out``, each name under
        ``prefix``; only ``paths`` when given. It is a stream for the build engine;
        nothing here unpacks it."""
        try:
            with self._open() as repo:
                if paths is None:
                    repo.archive(out, treeish=self.sha, prefix=prefix, format="tar")
                elif paths:
                    # GitPython ends the options with "--" before the commit; literal
                    # pathspecs, so no name is read as a pattern
                    repo.archive(out, treeish=self.sha, prefix=prefix, format="tar",
                                 path=[f":(literal){p}" for p in paths])
        except (git.exc.GitError, ValueError) as e:
            raise self._unreadable(e) from None

    def blob_ids(self, paths: tuple[str, ...]) -> dict[str, str]:
        """Git's object id and mode of each path (missing ones left out): what a file
        holds, without reading it, so equal files give equal ids in any commit."""
        ids: dict[str, str] = {}
        try:
            with self._open() as repo:
                tree = repo.commit(self.sha).tree
                for path in paths:
                    try:
                        item = tree / path
                    except KeyError:
                        continue
                    ids[path] = f"{item.mode:o} {item.hexsha}"
        except (git.exc.GitError, ValueError) as e:
            raise self._unreadable(e) from None
        return ids

    def _unreadable(self, error: Exception) -> BuildFailed:
        # git's own message names the repository's path on the host: it stays in the
        # server's log, the pusher gets the commit id.
        log.warning("reading commit %s of %s failed: %s", self.sha, self.repo, error)
        return BuildFailed(f"cannot read the pushed commit {self.sha[:7]}")
