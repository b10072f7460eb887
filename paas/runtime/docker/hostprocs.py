"""A container's processes read from the host's ``/proc``, where the platform sees them.

The engine's ``top`` runs ``ps`` for each call: 50 to 80 ms on a 2-core host, and the
router's reload looked at its workers three or more times per switch. The platform
usually runs on the engine's host, in the host's process namespace, where the same
answer is two file reads away. When it does not (a remote engine, the platform in a
container of its own), the files are absent or belong to another process, and the
caller asks the engine instead.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def command_line(pid: int, proc: Path = PROC) -> str | None:
    """The command line of ``pid`` as ``ps`` shows it (arguments joined by spaces,
    a retitled process's title as set); None when there is no such process here."""
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def children(pid: int, proc: Path = PROC) -> list[tuple[str, str]] | None:
    """(pid, command line) of each direct child of ``pid``'s main thread; None when
    this host's ``/proc`` cannot tell (no such process, or a kernel without the
    ``children`` file). A child that exits between the two reads is left out."""
    try:
        listed = (proc / str(pid) / "task" / str(pid) / "children").read_text().split()
    except OSError:
        return None
    found: list[tuple[str, str]] = []
    for child in listed:
        line = command_line(int(child), proc)
        if line is not None:
            found.append((child, line))
    return found
