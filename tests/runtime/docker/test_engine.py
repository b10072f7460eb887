"""The engine adapter translates SDK errors at its boundary, the cause chained."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest

from paas.errors import RuntimeUnavailable
from paas.runtime.docker.engine import DockerEngine, EngineError, ImageMissing


def raising(e: Exception) -> Any:
    def call(*_a: object, **_k: object) -> None:
        raise e
    return call


def engine(**api: Any) -> DockerEngine:
    return DockerEngine(SimpleNamespace(api=SimpleNamespace(**api)))


def test_api_errors_become_engine_errors_with_the_cause() -> None:
    cause = docker.errors.APIError("500", explanation="driver failed")
    with pytest.raises(EngineError, match="cannot start container abc: driver failed") as e:
        engine(start=raising(cause)).start("abc")
    assert e.value.__cause__ is cause and isinstance(e.value, RuntimeUnavailable)


def test_a_missing_image_is_its_own_error() -> None:
    with pytest.raises(ImageMissing):
        engine(start=raising(docker.errors.ImageNotFound("no such image"))).start("abc")


def test_stopping_or_removing_what_is_gone_is_not_an_error() -> None:
    gone = raising(docker.errors.NotFound("gone"))
    engine(stop=gone, remove_container=gone).stop("abc", 1)
    engine(remove_container=gone).remove("abc")
