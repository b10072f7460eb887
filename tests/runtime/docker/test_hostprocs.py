from collections.abc import Sequence
from pathlib import Path

from paas.runtime.docker.hostprocs import children, command_line


def _process(proc: Path, pid: int, argv: list[str], kids: Sequence[int] = ()) -> None:
    task = proc / str(pid) / "task" / str(pid)
    task.mkdir(parents=True)
    (proc / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (task / "children").write_text("".join(f"{k} " for k in kids))


def test_a_command_line_reads_as_ps_shows_it(tmp_path: Path) -> None:
    _process(tmp_path, 7, ["nginx: master process nginx", "-c", "/etc/x.conf"])
    assert command_line(7, tmp_path) == "nginx: master process nginx -c /etc/x.conf"
    assert command_line(8, tmp_path) is None


def test_children_are_listed_with_their_titles_and_one_gone_is_left_out(
        tmp_path: Path) -> None:
    _process(tmp_path, 1, ["nginx: master process"], kids=[2, 3, 4])
    _process(tmp_path, 2, ["nginx: worker process is shutting down   "])
    _process(tmp_path, 3, ["sh", "-c", "while :; do :; done"])
    # 4 exited between the two reads
    assert children(1, tmp_path) == [("2", "nginx: worker process is shutting down"),
                                     ("3", "sh -c while :; do :; done")]


def test_a_process_this_host_cannot_see_gives_none(tmp_path: Path) -> None:
    assert children(42, tmp_path) is None
    (tmp_path / "43").mkdir()
    (tmp_path / "43" / "cmdline").write_bytes(b"x\0")
    assert children(43, tmp_path) is None  # a kernel without the children file
