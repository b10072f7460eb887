import queue
import socket
import threading
from datetime import UTC, datetime

import pytest

from paas import wire
from paas.domain.app import App
from paas.domain.limits import ReplicaBounds
from paas.domain.release import Build, ReleaseStatus
from paas.errors import Conflict, DeployFailed, InvalidInput
from paas.services.oneoff import OneOffService, pipe, validate_command
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore
from tests.fakes import FakeRuntime


class FakeOneOff:
    """The OneOff port over a queue: tests play the command's output and exit."""

    name = "run-1"

    def __init__(self) -> None:
        self.output: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        self.stdin = b""
        self.stdin_closed = threading.Event()
        self.sizes: list[tuple[int, int]] = []
        self.closed = threading.Event()
        self.code = 0

    def send(self, data):
        self.stdin += data

    def close_stdin(self):
        self.stdin_closed.set()

    def recv(self):
        return self.output.get()

    def resize(self, rows, cols):
        self.sizes.append((rows, cols))

    def wait(self):
        return 137 if self.closed.is_set() else self.code

    def close(self):
        if not self.closed.is_set():
            self.closed.set()
            self.output.put(None)  # a killed command's output ends


@pytest.fixture
def store(tmp_path):
    s = SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())
    s.create_app(App(name="shop", created_at=datetime.now(UTC), owner="admin"))
    return s


@pytest.mark.parametrize(("command", "message"), [
    (None, "missing command"), ([], "missing command"), ("ls", "missing command"),
    ([1], "list of at most"), (["a\0b"], "NUL"), ([" "], "empty"),
    (["x" * 200_000], "longer than"),
])
def test_bad_commands_are_refused(command, message):
    with pytest.raises(InvalidInput, match=message):
        validate_command(command)


def test_run_before_any_build_is_a_clear_conflict(store):
    runtime = FakeRuntime(oneoff=FakeOneOff)
    with pytest.raises(Conflict, match="shop has no build to run yet: push it first"):
        OneOffService(store, runtime).start(store.get_app("shop"), {"command": ["ls"]})
    # a config-only release (no build yet) is no better
    store.set_release_status("shop", store.add_release("shop", None, {"A": "b"}, "cfg", "x")
                             .version, ReleaseStatus.SUCCEEDED)
    with pytest.raises(Conflict, match="no build to run yet"):
        OneOffService(store, runtime).start(store.get_app("shop"), {"command": ["ls"]})
    assert runtime.started == []


def test_run_before_the_first_release_uses_the_newest_build_and_the_current_config(store):
    """A first deploy that failed its health check left a build: a one-off can run on
    it (to migrate, say) with the config set since."""
    build = Build(image="img:v1", commit="c" * 40, processes={"web": "gunicorn app:app"})
    failed = store.add_release("shop", build, {"A": "old"}, "Deploy c", "x")
    store.set_release_status("shop", failed.version, ReleaseStatus.FAILED)
    store.set_release_status("shop", store.add_release("shop", None, {"A": "new"}, "cfg", "x")
                             .version, ReleaseStatus.SUCCEEDED)
    release = OneOffService(store, FakeRuntime()).runnable("shop")
    assert release.build == build and release.config == {"A": "new"}


def test_run_starts_the_current_release_with_the_terminal_size(store):
    build = Build(image="img", commit="c" * 40, processes={"web": "gunicorn app:app"})
    v = store.add_release("shop", build, {}, "Deploy", "admin").version
    store.set_release_status("shop", v, ReleaseStatus.SUCCEEDED)
    runtime = FakeRuntime(oneoff=FakeOneOff)
    OneOffService(store, runtime).start(store.get_app("shop"),
          {"command": ["python"], "tty": True, "rows": 40, "cols": 120})
    assert runtime.started == [("shop", v, ["python"], True, 40, 120)]
    for bad in ({"tty": "yes"}, {"rows": 0}, {"cols": True}, {"rows": "24"}):
        with pytest.raises(InvalidInput):
            OneOffService(store, runtime).start(store.get_app("shop"), {"command": ["ls"], **bad})


def _deployed(store) -> None:
    build = Build(image="img", commit="c" * 40, processes={"web": "gunicorn app:app"})
    v = store.add_release("shop", build, {}, "Deploy", "admin").version
    store.set_release_status("shop", v, ReleaseStatus.SUCCEEDED)


def test_one_offs_at_once_are_bounded_and_a_closed_one_gives_its_place_back(store):
    _deployed(store)
    runtime = FakeRuntime(oneoff=FakeOneOff)
    service = OneOffService(store, runtime, ReplicaBounds(oneoffs=2))
    app = store.get_app("shop")
    first = service.start(app, {"command": ["sleep", "60"]})
    service.start(app, {"command": ["sleep", "60"]})
    with pytest.raises(Conflict, match="shop already runs 2 one-off command"):
        service.start(app, {"command": ["ls"]})
    assert len(runtime.started) == 2  # the refused one started nothing
    first.close()
    first.close()  # closing twice gives one place back, not two
    service.start(app, {"command": ["ls"]})
    with pytest.raises(Conflict):
        service.start(app, {"command": ["ls"]})


def test_runs_the_runtime_reports_count_against_the_bound(store):
    # Runs started before this server (it restarted) still run on the engine.
    _deployed(store)
    runtime = FakeRuntime(oneoff=FakeOneOff, running_oneoffs={"shop": 2})
    service = OneOffService(store, runtime, ReplicaBounds(oneoffs=2))
    with pytest.raises(Conflict, match="already runs 2"):
        service.start(store.get_app("shop"), {"command": ["ls"]})
    assert runtime.started == []


def test_a_start_that_fails_gives_its_place_back(store):
    _deployed(store)

    def broken() -> FakeOneOff:
        raise DeployFailed("cannot start run: engine said no")

    service = OneOffService(store, FakeRuntime(oneoff=broken), ReplicaBounds(oneoffs=1))
    for _ in range(2):
        with pytest.raises(DeployFailed):
            service.start(store.get_app("shop"), {"command": ["ls"]})


def _session(oneoff: FakeOneOff):
    """pipe() on one end of a socket pair, the test as the client on the other."""
    server, client = socket.socketpair()
    result: list[int | None] = []
    reader = server.makefile("rb")
    t = threading.Thread(target=lambda: result.append(pipe(oneoff, reader.read, server.sendall)))
    t.start()
    return client, client.makefile("rb"), t, result


def test_pipe_relays_stdin_resize_output_and_the_exit_code():
    oneoff = FakeOneOff()
    oneoff.code = 3
    client, replies, t, result = _session(oneoff)
    client.sendall(wire.frame(wire.STDIN, b"hi\n") + wire.frame(wire.RESIZE, b"30 100")
                   + wire.frame(wire.STDIN_EOF))
    assert oneoff.stdin_closed.wait(5)
    assert (oneoff.stdin, oneoff.sizes) == (b"hi\n", [(30, 100)])
    oneoff.output.put((wire.STDOUT, b"hi\n"))
    oneoff.output.put((wire.STDERR, b"warn\n"))
    oneoff.output.put(None)
    got = [wire.read_frame(replies.read) for _ in range(3)]
    assert got == [(wire.STDOUT, b"hi\n"), (wire.STDERR, b"warn\n"), (wire.EXIT, b"3")]
    client.close()
    t.join(5)
    assert result == [3]
    assert oneoff.closed.is_set()  # removed afterwards


def test_a_client_that_goes_away_kills_the_command():
    oneoff = FakeOneOff()
    client, _replies, t, result = _session(oneoff)
    client.sendall(wire.frame(wire.STDIN, b"partial"))
    client.shutdown(socket.SHUT_RDWR)
    client.close()
    t.join(5)
    assert not t.is_alive()
    assert oneoff.closed.is_set()
    assert result == [None]
