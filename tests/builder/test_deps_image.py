"""The install container runs the tenant's build backends as root: it is created with
the build's limits, and what the platform keeps of its output is bounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from paas.builder import deps_image
from paas.builder.deps_image import LINE_BYTES, OUTPUT_KEPT, DepsImages
from paas.domain.sizes import BUILD
from paas.errors import BuildFailed
from paas.settings import Settings


class Api:
    """The few engine calls ``_install`` makes, with an install that prints a lot."""

    def __init__(self, output: bytes, status: int) -> None:
        self.output, self.status = output, status
        self.host_config: dict[str, Any] = {}

    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    def create_container(self, image: str, **kwargs: Any) -> dict[str, str]:
        self.host_config = kwargs["host_config"]
        return {"Id": "c1"}

    def put_archive(self, cid: str, path: str, data: bytes) -> None: ...
    def start(self, cid: str) -> None: ...
    def remove_container(self, cid: str, force: bool) -> None: ...

    def logs(self, cid: str, **_kw: Any) -> Iterator[bytes]:
        yield self.output

    def wait(self, cid: str) -> dict[str, int]:
        return {"StatusCode": self.status}


def install(api: Api, tmp_path: Path, log: list[str]) -> str:
    images = DepsImages(SimpleNamespace(api=api), Settings(home=tmp_path))
    return images._install("base", "repo", {}, ["flask"], b"", log.append)


def test_the_install_container_has_the_builds_limits(tmp_path: Path) -> None:
    api = Api(b"error: no such package\n", status=1)
    with pytest.raises(BuildFailed, match="no such package"):
        install(api, tmp_path, [])
    assert api.host_config["mem_limit"] == api.host_config["memswap_limit"] == BUILD.memory
    assert api.host_config["pids_limit"] == BUILD.pids
    assert api.host_config["cpu_shares"] == BUILD.cpu_shares


def test_output_without_line_ends_streams_in_bounded_pieces(tmp_path: Path) -> None:
    log: list[str] = []
    api = Api(b"x" * (LINE_BYTES * 3 + 5) + b"\n" + b"line\n" * (OUTPUT_KEPT * 2), 1)
    with pytest.raises(BuildFailed):
        install(api, tmp_path, log)
    assert max(len(line) for line in log) <= len(deps_image.INDENT) + LINE_BYTES
    assert len(log) == 4 + OUTPUT_KEPT * 2  # everything streamed to the push
