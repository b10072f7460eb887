"""The engine adapter translates SDK errors at its boundary, the cause chained."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest
import requests.exceptions

from paas.errors import RuntimeUnavailable
from paas.runtime.docker.engine import DockerEngine, EngineError, ImageMissing, children_first


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


def test_an_engine_that_stopped_answering_is_an_engine_error() -> None:
    """While dockerd restarts, the SDK lets the transport's errors through: a loop that
    waits for the engine (the router's restart follower) must see an EngineError."""
    down = requests.exceptions.ConnectionError("connection refused")
    with pytest.raises(EngineError, match="the engine does not answer"):
        engine(start=raising(down)).start("abc")
    gone = DockerEngine(SimpleNamespace(containers=SimpleNamespace(get=raising(down))))
    with pytest.raises(EngineError, match="the engine does not answer"):
        gone.ip("abc", "net")


def test_a_missing_image_is_its_own_error() -> None:
    with pytest.raises(ImageMissing):
        engine(start=raising(docker.errors.ImageNotFound("no such image"))).start("abc")


def test_stopping_or_removing_what_is_gone_is_not_an_error() -> None:
    gone = raising(docker.errors.NotFound("gone"))
    engine(stop=gone, remove_container=gone).stop("abc", 1)
    engine(remove_container=gone).remove("abc")


def _api_error(status: int, explanation: str) -> docker.errors.APIError:
    return docker.errors.APIError(str(status), response=SimpleNamespace(status_code=status),
                                  explanation=explanation)


def test_joining_a_network_twice_or_leaving_one_not_joined_is_fine() -> None:
    joined = _api_error(403, "endpoint with name r already exists in network n")
    engine(connect_container_to_network=raising(joined)).connect("abc", "n")
    left = _api_error(500, "container abc is not connected to network n")
    engine(disconnect_container_from_network=raising(left)).disconnect("abc", "n")
    engine(disconnect_container_from_network=raising(
        docker.errors.NotFound("gone"))).disconnect("abc", "n")


def test_a_refused_join_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="cannot connect abc to n: no such network"):
        engine(connect_container_to_network=raising(
            _api_error(404, "no such network"))).connect("abc", "n")


def test_images_are_removed_children_first() -> None:
    """An app image is built on its deps image: the engine refuses to remove a parent."""
    def image(name: str, layers: int, created: str) -> Any:
        return SimpleNamespace(id=name, attrs={"RootFS": {"Layers": ["l"] * layers},
                                               "Created": created})

    deps = image("deps", 3, "2026-01-01T00:00:01Z")
    deps2 = image("deps2", 4, "2026-01-01T00:00:03Z")
    app = image("app", 5, "2026-01-01T00:00:02Z")
    labelled = image("label-only", 5, "2026-01-01T00:00:04Z")
    ordered = children_first([deps, app, labelled, deps2])
    assert [i.id for i in ordered] == ["label-only", "app", "deps2", "deps"]


def test_the_engines_list_gives_containers_without_inspecting_each() -> None:
    summary = {
        "Id": "c0ffee", "Names": ["/paas-x-shop-web-v3-abc123"], "State": "running",
        "Status": "Up 2 minutes", "Labels": {"paas.app": "shop", "paas.process-type": "web"},
        "NetworkSettings": {"Networks": {
            "paas-x-shop": {"IPAddress": "10.201.0.5"}, "bridge": {"IPAddress": ""}}},
    }
    asked: list[dict[str, Any]] = []

    def containers(**kwargs: Any) -> list[dict[str, Any]]:
        asked.append(kwargs)
        return [summary]

    (listed,) = engine(containers=containers).listed({"paas.app": "shop"})
    assert asked == [{"all": True, "filters": {"label": ["paas.app=shop"]}}]
    assert (listed.id, listed.name, listed.state, listed.running) == (
        "c0ffee", "paas-x-shop-web-v3-abc123", "running", True)
    assert listed.labels == {"paas.app": "shop", "paas.process-type": "web"}
    assert listed.networks == ("bridge", "paas-x-shop")
    assert listed.addresses == {"paas-x-shop": "10.201.0.5"}
    assert (listed.restarts, listed.exit_code, listed.pid, listed.started_at) == (0, 0, 0, None)
