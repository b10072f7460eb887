import io
import os
import tarfile

import pytest

from paas.builder.source import SourceTree, extract_tar


def test_has_read_paths_and_dirs():
    src = SourceTree(
        files={"app.py": "x", "pkg/__init__.py": "", "requirements.txt": "flask"},
        listing=frozenset({"static/logo.png", "app.py"}),
    )
    assert src.has("app.py")
    assert src.has("static/logo.png")
    assert not src.has("static")
    assert src.has_dir("static")
    assert src.has_dir("static/")
    assert src.has_dir("pkg")
    assert not src.has_dir("stat")
    assert src.read("requirements.txt") == "flask"
    assert src.read("static/logo.png") is None
    assert list(src.paths(".py")) == ["app.py", "pkg/__init__.py"]
    assert list(src.paths()) == ["app.py", "pkg/__init__.py", "requirements.txt"]


def test_from_dir_reads_manifests_and_lists_everything(tmp_path):
    (tmp_path / "app.py").write_text("app = 1\n")
    (tmp_path / "Procfile").write_text("web: x\n")
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "logo.png").write_bytes(b"\x89PNG\x00")
    (tmp_path / "big.py").write_text("x" * (512 * 1024 + 1))
    for skipped in (".git", "venv", "__pycache__", "node_modules"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "setup.py").write_text("no\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "app.py")

    src = SourceTree.from_dir(tmp_path)
    assert dict(src.files) == {
        "Procfile": "web: x\n",
        "app.py": "app = 1\n",
        "requirements.txt": "flask\n",
    }
    assert src.listing == frozenset(
        {"Procfile", "app.py", "requirements.txt", "static/logo.png", "big.py", "link.py"}
    )


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return buf


def _file(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_extract_tar(tmp_path):
    extract_tar(_tar([_file("app.py", b"app = 1\n"), _file("pkg/m.py", b"")]), tmp_path)
    assert (tmp_path / "app.py").read_text() == "app = 1\n"
    assert (tmp_path / "pkg" / "m.py").exists()


def test_extract_tar_refuses_paths_out(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(tarfile.TarError):
        extract_tar(_tar([_file("../escape.py", b"x")]), dest)
    assert not (tmp_path / "escape.py").exists()


def test_extract_tar_keeps_absolute_paths_inside(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    extract_tar(_tar([_file("/abs.py", b"x")]), dest)
    assert (dest / "abs.py").read_text() == "x"


def test_extract_tar_refuses_symlink_out(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    link = tarfile.TarInfo("passwd")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    with pytest.raises(tarfile.TarError):
        extract_tar(_tar([(link, None)]), dest)
    assert not os.path.lexists(dest / "passwd")
