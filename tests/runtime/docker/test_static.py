import io
import tarfile

import pytest

from paas.domain.release import Build, StaticMount
from paas.errors import DeployFailed
from paas.runtime.docker.static import StaticFiles


def _archive(*members: tarfile.TarInfo, data: bytes = b"body {}\n") -> list[bytes]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info in members:
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    raw = buf.getvalue()
    return [raw[i:i + 700] for i in range(0, len(raw), 700)]  # the engine sends chunks


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info


class FakeContainer:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.removed = False

    def get_archive(self, path: str):
        assert path == "/app/static"
        return iter(self.chunks), {}

    def remove(self, force: bool = False) -> None:
        self.removed = True


class FakeClient:
    def __init__(self, chunks: list[bytes]) -> None:
        self.container = FakeContainer(chunks)
        self.containers = self

    def create(self, image: str, command: list[str]) -> FakeContainer:
        return self.container


BUILD = Build(image="paas/app:git-1", commit="c" * 40, processes={"web": "x"},
              static=(StaticMount("/static/", "/app/static/"),))


def test_static_folder_is_published_readable(tmp_path):
    client = FakeClient(_archive(_member("static", tarfile.DIRTYPE),
                                 _member("static/site.css")))
    lines: list[str] = []
    mounts = StaticFiles(client, tmp_path).publish("shop", 3, BUILD, lines.append)
    assert mounts == ((BUILD.static[0], "shop/v3/0"),)
    assert (tmp_path / "shop" / "v3" / "0" / "site.css").read_text() == "body {}\n"
    assert (tmp_path / "shop" / "v3").stat().st_mode & 0o777 == 0o755
    assert lines[-1] == "-----> Static files: 1 published for nginx"
    assert client.container.removed


@pytest.mark.parametrize("member", [
    _member("static/passwd", tarfile.SYMTYPE, "/etc/passwd"),
    _member("static/etc", tarfile.SYMTYPE, "../../../../etc"),
    _member("static/shadow", tarfile.LNKTYPE, "etc/shadow"),
])
def test_a_link_in_the_image_static_folder_fails_the_deploy_and_copies_nothing(
        tmp_path, member):
    client = FakeClient(_archive(_member("static", tarfile.DIRTYPE),
                                 _member("static/site.css"), member))
    with pytest.raises(DeployFailed) as failed:
        StaticFiles(client, tmp_path).publish("shop", 3, BUILD, lambda _line: None)
    assert failed.value.message.startswith(
        f"static folder /app/static/ of the image holds {member.name!r}: a ")
    assert str(tmp_path) not in failed.value.message
    assert list((tmp_path / "shop").iterdir()) == []  # staging removed, nothing published


def test_a_static_folder_that_is_itself_a_link_is_refused(tmp_path):
    client = FakeClient(_archive(_member("static", tarfile.SYMTYPE, "/etc")))
    with pytest.raises(DeployFailed, match="holds 'static': a symbolic link"):
        StaticFiles(client, tmp_path).publish("shop", 3, BUILD, lambda _line: None)
    assert list((tmp_path / "shop").iterdir()) == []
