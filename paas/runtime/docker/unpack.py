"""Unpacking an archive from an app's image onto the host, by a path that cannot escape.

An app's image is the tenant's: an archive copied out of it may hold links, devices,
absolute or ``..`` names, or chains of links long enough that ``os.path.realpath`` stops
resolving them (how CVE-2025-4517 bypasses ``tarfile``'s ``data`` filter). So this
unpacker creates no link of any kind and resolves no path: it refuses every member that
is not a regular file or a folder, refuses every name that is absolute or holds ``..``,
makes each folder itself under a new folder it made, and opens each file relative to its
folder's descriptor with ``O_NOFOLLOW | O_CREAT | O_EXCL``. Nothing it writes can land
outside ``dest``, whatever the archive says.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

#: Bounds on what one archive may put on the host's disk.
MAX_FILES = 50_000
MAX_BYTES = 1024 * 1024 * 1024
MAX_DEPTH = 64
_CHUNK = 1024 * 1024
#: Folders the router's nginx workers (another user) can list and enter.
_PUBLIC_DIR = 0o755
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafeArchive(Exception):
    """The archive holds a member this unpacker refuses; the message names the member
    by its name in the archive, never by a path of this host."""


def _parts(name: str) -> list[str]:
    """The components of a member's name, refusing absolute names and ``..``."""
    if name.startswith("/") or "\\" in name or "\0" in name:
        raise UnsafeArchive(f"{name!r}: absolute or malformed name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"{name!r}: a name with '..'")
    if not parts:
        raise UnsafeArchive(f"{name!r}: an empty name")
    if len(parts) > MAX_DEPTH:
        raise UnsafeArchive(f"{name!r}: more than {MAX_DEPTH} folders deep")
    return parts


def _kind(member: tarfile.TarInfo) -> str:
    if member.isreg():
        return "file"
    if member.isdir():
        return "folder"
    what = {
        tarfile.SYMTYPE: "a symbolic link",
        tarfile.LNKTYPE: "a hard link",
        tarfile.CHRTYPE: "a device",
        tarfile.BLKTYPE: "a device",
        tarfile.FIFOTYPE: "a named pipe",
    }.get(member.type, "an unsupported member type")
    raise UnsafeArchive(f"{member.name!r}: {what}")


@contextmanager
def _folder(root_fd: int, parts: list[str]) -> Iterator[int]:
    """A descriptor of the folder ``parts`` under ``root_fd``, each component opened
    with O_NOFOLLOW (so never through a link), missing ones made here."""
    fds: list[int] = []
    current = root_fd
    try:
        for index, part in enumerate(parts):
            try:
                fd = os.open(part, _DIR_FLAGS, dir_fd=current)
            except FileNotFoundError:
                os.mkdir(part, _PUBLIC_DIR, dir_fd=current)
                fd = os.open(part, _DIR_FLAGS, dir_fd=current)
            except OSError as e:
                # ELOOP (a link) or ENOTDIR (a file): the name is taken by no folder
                raise UnsafeArchive(f"{'/'.join(parts[:index + 1])!r}: not a folder "
                                    f"({os.strerror(e.errno or 0)})") from None
            fds.append(fd)
            current = fd
        yield current
    finally:
        for fd in reversed(fds):
            os.close(fd)


def _write(folder_fd: int, name: str, source: IO[bytes], member: str, budget: int) -> int:
    try:
        fd = os.open(name, _FILE_FLAGS, 0o644, dir_fd=folder_fd)
    except FileExistsError:
        raise UnsafeArchive(f"{member!r}: twice in the archive") from None
    written = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise UnsafeArchive(f"more than {MAX_BYTES} bytes")
            out.write(chunk)
    return written


def unpack(stream: IO[bytes], dest: Path) -> int:
    """Unpack the tar ``stream`` into ``dest``, a folder this call creates (it must not
    exist, its parent must); returns the number of files. Folders are 0755 and files
    0644 (readable by the router's nginx workers), whatever the archive says.

    Raises UnsafeArchive on the first member it refuses; ``dest`` then holds what was
    unpacked before, for the caller to remove.
    """
    dest.mkdir()
    root_fd = os.open(dest, _DIR_FLAGS)
    os.fchmod(root_fd, _PUBLIC_DIR)  # whatever the umask took away
    files = 0
    budget = MAX_BYTES
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                parts = _parts(member.name)
                kind = _kind(member)
                if kind == "folder":
                    with _folder(root_fd, parts) as fd:
                        os.fchmod(fd, _PUBLIC_DIR)
                    continue
                files += 1
                if files > MAX_FILES:
                    raise UnsafeArchive(f"more than {MAX_FILES} files")
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isreg() members always have data
                    raise UnsafeArchive(f"{member.name!r}: no data")
                with _folder(root_fd, parts[:-1]) as fd:
                    budget -= _write(fd, parts[-1], source, member.name, budget)
    finally:
        os.close(root_fd)
    return files


def is_plain_folder(path: Path) -> bool:
    """Whether ``path`` is a folder and not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False
