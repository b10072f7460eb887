import io
import os
import stat
import tarfile

import pytest

from paas.runtime.docker.unpack import MAX_DEPTH, UnsafeArchive, is_plain_folder, unpack


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return buf


def _file(name: str, data: bytes = b"x", mode: int = 0o600) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    return info, data


def _dir(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o700
    return info, None


def _special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, None


def test_unpacks_folders_and_files_readable_by_nginx(tmp_path):
    dest = tmp_path / "out"
    count = unpack(_tar(_dir("static"), _file("static/site.css", b"body {}\n"),
                        _file("static/img/logo.png", b"\x89PNG")), dest)
    assert count == 2
    assert (dest / "static" / "site.css").read_bytes() == b"body {}\n"
    assert (dest / "static" / "img" / "logo.png").read_bytes() == b"\x89PNG"
    for path in (dest, dest / "static", dest / "static" / "img"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "static" / "site.css").stat().st_mode) == 0o644
    assert is_plain_folder(dest / "static")


@pytest.mark.parametrize("member, why", [
    (_special("static/passwd", tarfile.SYMTYPE, "/etc/passwd"), "a symbolic link"),
    (_special("static/inside", tarfile.SYMTYPE, "site.css"), "a symbolic link"),
    (_special("static/hard", tarfile.LNKTYPE, "static/site.css"), "a hard link"),
    (_special("static/null", tarfile.CHRTYPE), "a device"),
    (_special("static/disk", tarfile.BLKTYPE), "a device"),
    (_special("static/pipe", tarfile.FIFOTYPE), "a named pipe"),
    (_file("/etc/cron.d/x"), "absolute"),
    (_file("../outside.txt"), "'..'"),
    (_file("static/../../outside.txt"), "'..'"),
    (_file("/".join(["d"] * (MAX_DEPTH + 1))), "folders deep"),
])
def test_refuses_links_devices_and_names_out(tmp_path, member, why):
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchive, match=why) as refused:
        unpack(_tar(_dir("static"), _file("static/site.css"), member), dest)
    assert str(tmp_path) not in str(refused.value)  # names in the archive, not the host's
    assert not (tmp_path / "outside.txt").exists()
    assert {p.name for p in tmp_path.iterdir()} == {"out"}
    assert not any(os.path.islink(os.path.join(d, n))
                   for d, dirs, files in os.walk(dest) for n in dirs + files)


def test_the_destination_is_a_folder_it_makes_itself(tmp_path):
    """Never an existing folder (nor a link to one): nothing else can have put a link
    where a file is written."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").symlink_to(outside)
    with pytest.raises(FileExistsError):
        unpack(_tar(_file("x")), tmp_path / "out")
    assert list(outside.iterdir()) == []


def test_a_name_twice_is_refused_not_overwritten(tmp_path):
    with pytest.raises(UnsafeArchive, match="twice"):
        unpack(_tar(_file("a.css", b"1"), _file("a.css", b"2")), tmp_path / "out")
    assert (tmp_path / "out" / "a.css").read_bytes() == b"1"


def test_a_file_where_a_folder_is_needed_is_refused(tmp_path):
    with pytest.raises(UnsafeArchive, match="not a folder"):
        unpack(_tar(_file("static"), _file("static/x")), tmp_path / "out")


def test_the_crafted_link_chain_of_an_image_is_refused(tmp_path):
    """The CVE-2025-4517 shape, as an image's archive would carry it."""
    long = "d" * 247
    members = [_dir(long), _special("a", tarfile.SYMTYPE, long),
               _special("escape", tarfile.SYMTYPE, "a/" + "/.." * 8 + str(tmp_path)),
               _file("escape/pwned")]
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        unpack(_tar(*members), tmp_path / "out")
    assert not (tmp_path / "pwned").exists()
