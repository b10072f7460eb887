"""Fixtures for the user journeys: a platform of the suite's own on the local engine."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from e2e.harness import PAAS, Platform


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def stack_images() -> None:
    """The stack images are the one cache the suite keeps: built when missing."""
    subprocess.run([PAAS, "stack", "build"], check=True)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None
             ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("platform"))
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()
