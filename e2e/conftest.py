"""Fixtures for the user journeys: a platform of the suite's own on the local engine."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from e2e.harness import PAAS, Platform


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.docker)


#: The Pythons the suite's platforms offer: bookworm's (the router's release, so its root
#: file system is shared) and one newer. Each cold stack costs a debootstrap of 1-2
#: minutes; the third (forky) adds nothing the detection rules need. Unpinned apps build
#: on the newest of these, 3.13, as they would on a host that built these two.
PYTHONS = ("3.11", "3.13")


@pytest.fixture(scope="session")
def stack_images() -> None:
    """The stack images are the one cache the suite keeps: built when missing."""
    subprocess.run([PAAS, "stack", "build", *(f"--python={v}" for v in PYTHONS)],
                   check=True)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None
             ) -> Iterator[Platform]:
    p = Platform(tmp_path_factory.mktemp("platform"),
                 server_env={"PAAS_PYTHONS": ",".join(PYTHONS)})
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()
