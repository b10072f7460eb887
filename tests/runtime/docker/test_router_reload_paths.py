"""How the router is reloaded and how its workers are seen, without an engine."""

import os
import select
import threading
from pathlib import Path

import pytest

from paas.runtime.docker import hostprocs
from paas.runtime.docker import labels as L
from paas.runtime.docker.engine import Container
from paas.runtime.docker.router import ROUTER_COMMAND, ROUTER_SPEC, Router
from paas.settings import Settings
from tests.runtime.docker.fakes import FakeEngine


def _router(tmp_path: Path, engine: FakeEngine | None = None) -> Router:
    return Router(engine or FakeEngine(), Settings(home=tmp_path, router_network="bridge"),
                  "paas-net")


def test_a_router_made_with_another_command_is_replaced(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.ensure_network("paas-net", {})
    router = _router(tmp_path, engine)
    first = router.ensure([])
    assert engine.specs[first.id].command == ROUTER_COMMAND
    assert first.labels[L.ROUTER_SPEC] == ROUTER_SPEC
    assert router.ensure([]).id == first.id  # the same spec: kept
    engine.all[first.id] = Container(  # as an earlier platform version labelled it
        first.id, first.name, {k: v for k, v in first.labels.items() if k != L.ROUTER_SPEC},
        "running")
    second = router.ensure([])
    assert second.id != first.id and first.id not in engine.all
    assert router.fifo_path.is_fifo()


def test_a_reload_request_goes_only_to_a_reader_of_the_fifo(tmp_path: Path) -> None:
    router = _router(tmp_path)
    router._make_fifo()
    assert not router._write_fifo()  # nobody reads: at once, no wait
    got: list[bytes] = []
    opened = threading.Event()

    def read() -> None:
        fd = os.open(router.fifo_path, os.O_RDONLY | os.O_NONBLOCK)
        opened.set()
        try:
            if select.select([fd], [], [], 5)[0]:
                got.append(os.read(fd, 64))
        finally:
            os.close(fd)

    reader = threading.Thread(target=read)
    reader.start()
    assert opened.wait(5)
    assert router._write_fifo()
    reader.join(5)
    assert got == [b"reload\n"]


def test_something_else_under_the_fifo_name_is_neither_written_nor_kept(
        tmp_path: Path) -> None:
    router = _router(tmp_path)
    router.fifo_path.parent.mkdir(parents=True)
    router.fifo_path.write_text("mine")
    assert not router._write_fifo()
    assert router.fifo_path.read_text() == "mine"
    router._make_fifo()
    assert router.fifo_path.is_fifo()


@pytest.mark.parametrize("master", [
    "nginx: master process nginx -c /etc/paas-router/nginx.conf -g daemon off;",
    "python something-else",  # the pid names another process here (another namespace)
    None,  # not on this host
])
def test_workers_come_from_the_hosts_proc_only_when_it_shows_the_routers_master(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, master: str | None) -> None:
    engine = FakeEngine()
    engine.processes = lambda cid: [("90", "nginx: worker process")]  # type: ignore[method-assign]
    monkeypatch.setattr(hostprocs, "command_line", lambda pid: master)
    monkeypatch.setattr(hostprocs, "children", lambda pid: [
        ("11", "nginx: worker process"), ("12", "nginx: worker process is shutting down"),
        ("13", "sh -c while :; do ...")])
    router = _router(tmp_path, engine)
    container = Container("r1", "router", {}, "running", pid=10)
    if master is not None and master.startswith("nginx: master"):
        assert router._worker_pids(container) == {"11", "12"}
        assert router._worker_pids(container, accepting=True) == {"11"}
    else:
        assert router._worker_pids(container) == {"90"}
    # a container the engine gave no pid (not running when listed): the engine's answer
    assert router._worker_pids(Container("r1", "router", {}, "running")) == {"90"}
