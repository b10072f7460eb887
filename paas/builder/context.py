"""The build context: the pushed commit as ``git archive`` output, plus the platform's files.

The context reaches the Docker engine as one tar stream and only the engine unpacks it,
inside its own sandbox: the tenant's files are never written to the host as files. The
platform's files (Dockerfile, server configs) are appended after the commit's members,
so that whatever a crafted tree holds, a later member with the same name (the
platform's) is the one the engine keeps.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import BinaryIO

from paas.builder import dockerfile
from paas.builder.plan import BuildPlan
from paas.builder.source import PushedCommit
from paas.errors import BuildFailed


def platform_files(
    plan: BuildPlan,
    base_image: str,
    *,
    labels: Mapping[str, str],
) -> dict[str, bytes]:
    """The files the platform adds to the context, by context path: a pure function.

    No CA bundle and no dependency manifest: those reach only the install container
    of the deps image (paas.builder.deps_image)."""
    files = {"Dockerfile": dockerfile.render(plan, base_image, labels=labels).encode()}
    for image_path, text in plan.files.items():
        files[dockerfile.context_file_for(image_path)] = text.encode()
    return files


def write_context(out: BinaryIO, commit: PushedCommit, files: Mapping[str, bytes]) -> None:
    """Write the context tar to ``out`` (seekable, ours): the commit under ``src/``, then
    ``files`` and the empty folder the Dockerfile copies to make /app; leaves ``out`` at
    its start, ready to send."""
    commit.archive(out, prefix=f"{dockerfile.SRC_DIR}/")
    out.seek(0)
    try:
        # "a" reads the members' headers to find the end of the archive; nothing is
        # extracted, and no header's name or link is looked up on disk.
        with tarfile.open(fileobj=out, mode="a", format=tarfile.PAX_FORMAT) as tar:
            for directory in _parents(files, dockerfile.EMPTY_DIR):
                info = tarfile.TarInfo(directory)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            for name, data in sorted(files.items()):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    except tarfile.TarError as e:
        raise BuildFailed(f"cannot add the platform's files to the build context: {e}") from e
    out.seek(0)


def _parents(files: Mapping[str, bytes], *dirs: str) -> list[str]:
    """Every folder above the files, and ``dirs`` with theirs, shortest first: the
    engine then makes each one a folder afresh, even where the commit put a link of that
    name."""
    parents: set[str] = set(dirs)
    for name in (*files, *dirs):
        parents.update(str(p) for p in PurePosixPath(name).parents if str(p) != ".")
    return sorted(parents, key=lambda p: (p.count("/"), p))
