"""Fixtures for the user journeys: a platform of the suite's own on the local engine."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.harness import PAAS, Platform, metadata_rule_present, remove_metadata_rule_if_unused


def pytest_configure(config: pytest.Config) -> None:
    """The journeys end `paas logs --tail` and `paas run` with Ctrl-C (SIGINT). A process
    started with SIGINT ignored (a shell script's background job, as scripts/test runs
    this suite beside the Kubernetes journeys, or nohup) hands the ignore down to every
    child, and the CLI would never see its Ctrl-C: the suite takes SIGINT back."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.docker)


#: The Pythons the suite's platforms offer: bookworm's (the router's release, so its root
#: file system is shared) and one newer. Each cold stack costs a debootstrap of 1-2
#: minutes; the third (forky) adds nothing the detection rules need. Unpinned apps build
#: on the newest of these, 3.13, as they would on a host that built these two.
PYTHONS = ("3.11", "3.13")


def build_stacks() -> None:
    subprocess.run([PAAS, "stack", "build", *(f"--python={v}" for v in PYTHONS)],
                   check=True)


#: Set in the workers of a parallel run (pytest-xdist, ``-n``): the controller built the
#: stacks before it started them and owns the metadata rule's removal at the end.
CONTROLLER_OWNS_STACKS = "paas_controller_owns_stacks"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config) -> None:
    """A parallel run builds the stacks once, before any worker starts: workers building
    the same missing image at once would each run a debootstrap of it."""
    build_stacks()
    config.stash[_rule_was_there] = metadata_rule_present()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[CONTROLLER_OWNS_STACKS] = True


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller of a parallel run removes the rule after every worker ended (a
    worker removing it could race another's new app network)."""
    if session.config.stash.get(_rule_was_there, True) is False:
        remove_metadata_rule_if_unused()


_rule_was_there = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def stack_images(request: pytest.FixtureRequest) -> Iterator[None]:
    """The stack images are the one cache the suite keeps: built when missing.

    Every platform of the suite depends on this fixture, so its end is also where the
    host's metadata firewall rule that the platforms installed is removed, unless it was
    there before the suite (another paas instance relies on it). In a parallel run the
    controller does both (pytest_xdist_setupnodes, pytest_sessionfinish).
    """
    workerinput = getattr(request.config, "workerinput", {})
    if workerinput.get(CONTROLLER_OWNS_STACKS):
        yield
        return
    build_stacks()
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
