"""Fixtures for the user journeys: a platform of the suite's own on the local engine."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from e2e.harness import PAAS, Platform, metadata_rule_present, remove_metadata_rule_if_unused


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.docker)


#: The Pythons the suite's platforms offer: bookworm's (the router's release, so its root
#: file system is shared) and one newer. Each cold stack costs a debootstrap of 1-2
#: minutes; the third (forky) adds nothing the detection rules need. Unpinned apps build
#: on the newest of these, 3.13, as they would on a host that built these two.
PYTHONS = ("3.11", "3.13")


@pytest.fixture(scope="session")
def stack_images() -> Iterator[None]:
    """The stack images are the one cache the suite keeps: built when missing.

    Every platform of the suite depends on this fixture, so its end is also where the
    host's metadata firewall rule that the platforms installed is removed, unless it was
    there before the suite (another paas instance relies on it).
    """
    subprocess.run([PAAS, "stack", "build", *(f"--python={v}" for v in PYTHONS)],
                   check=True)
    rule_was_there = metadata_rule_present()
    yield
    if not rule_was_there:
        remove_metadata_rule_if_unused()


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
