"""The health check an app declares in its source, and its trip through the store."""

from __future__ import annotations

import pytest

from paas.builder.healthcheck import declared_check
from paas.builder.source import SourceTree
from paas.domain.health import DEFAULT, HealthCheck
from paas.domain.release import Build
from paas.errors import BuildFailed
from paas.store.codec import build_from_dict, build_to_dict


def src(**files: str) -> SourceTree:
    named = {k.replace("__", "."): v for k, v in files.items()}
    return SourceTree(named, frozenset(named))


def test_pyproject_table() -> None:
    tree = src(pyproject__toml='[tool.paas.healthcheck]\npath = "/health"\nstatus = 200\n'
                              'timeout = 20\n')
    assert declared_check(tree) == (HealthCheck("/health", 200, 20.0),
                                    "pyproject.toml [tool.paas.healthcheck]")


def test_app_json_object() -> None:
    tree = src(app__json='{"name": "x", "healthcheck": {"path": "/up"}}')
    assert declared_check(tree) == (HealthCheck("/up"), 'app.json "healthcheck"')


def test_pyproject_wins_over_app_json_and_nothing_means_the_default() -> None:
    tree = src(pyproject__toml='[tool.paas.healthcheck]\npath = "/a"\n',
               app__json='{"healthcheck": {"path": "/b"}}')
    assert declared_check(tree)[0].path == "/a"
    assert declared_check(src(app__json='{"name": "x"}')) == (DEFAULT, None)
    assert declared_check(src()) == (DEFAULT, None)


@pytest.mark.parametrize("tree", [
    src(pyproject__toml='[tool.paas.healthcheck]\nstatus = "fine"\n'),
    src(app__json='{"healthcheck": {"path": "health"}}'),
    src(app__json='{"healthcheck": '),
])
def test_a_broken_declaration_fails_the_build(tree: SourceTree) -> None:
    with pytest.raises(BuildFailed):
        declared_check(tree)


def test_the_check_survives_the_store() -> None:
    build = Build(image="i", commit="c", processes={"web": "x"},
                  health=HealthCheck("/health", 200, 30.0))
    assert build_from_dict(build_to_dict(build)) == build
    old = build_to_dict(build)
    del old["health"]  # a build recorded before checks were configurable
    assert build_from_dict(old).health == DEFAULT
