"""`paas logs` and `paas run` against a real platform: prefixes, following, pipes, a pty."""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from e2e.harness import PAAS, Platform

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (build|release|router|(web|worker)\.[0-9a-f]{6}): ")
WEB = re.compile(r" (web\.[0-9a-f]{6}): ")
#: The router writes the access lines (the app's gunicorn does not).
ROUTER = re.compile(r" router: method=GET ")
APP = "logrun"


@pytest.fixture(scope="module")
def app(platform: Platform) -> Iterator[Path]:
    repo = platform.new_repo("flask-hello", APP)
    assert platform.paas("apps:create", APP, cwd=repo).code == 0
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    yield repo


def _run_containers(p: Platform, command: list[str] | None = None) -> list[str]:
    """One-off containers of the app (running ones with ``command``, when given)."""
    client = docker.from_env()
    # ignore_removed: a one-off may end between the listing and its inspection
    found = client.containers.list(all=command is None, ignore_removed=True, filters={"label": [
        f"paas.instance={p.instance}", f"paas.app={APP}", "paas.role=run"]})
    return [c.name or "" for c in found
            if command is None or c.attrs["Config"]["Cmd"] == command]


def _web_containers(p: Platform) -> list[docker.models.containers.Container]:
    return docker.from_env().containers.list(filters={"label": [
        f"paas.instance={p.instance}", f"paas.app={APP}", "paas.process-type=web"]})


def _eventually(what: str, check, timeout: float = 120.0) -> None:
    """Poll until ``check()`` holds; the timeout only bounds a hang, it is not measured."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


class Follower:
    """`paas logs --tail` in the background, its lines collected as they are printed."""

    def __init__(self, p: Platform, *args: str) -> None:
        self.proc = subprocess.Popen(
            [PAAS, "logs", "--tail", "-a", APP, *args], env=p.env(), cwd=p.user_home,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.proc.stdout is not None
        out = self.proc.stdout
        def pump() -> None:
            for x in out:
                self.lines.put(x.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 300.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in {self.seen[-20:]}")

    def saw_or_waits_for(self, pattern: str) -> str:
        """A line matching ``pattern`` among those already read, else the next one."""
        found = [x for x in self.seen if re.search(pattern, x)]
        return found[0] if found else self.wait_for(pattern)

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=30)


def test_logs_show_build_release_and_replica_lines_with_prefixes(
    platform: Platform, app: Path
) -> None:
    assert platform.get(APP, "/first-request")[0] == 404
    # the router's access line reaches the engine within its 1 s log buffer
    _eventually("access log line", lambda: "/first-request" in platform.paas(
        "logs", "-a", APP).out)
    logs = platform.paas("logs", "-a", APP, "-n", "500")
    assert logs.code == 0, logs.text
    lines = logs.out.splitlines()
    assert all(LINE.match(x) for x in lines), [x for x in lines if not LINE.match(x)]
    assert any(" build: -----> Building image" in x for x in lines)
    assert any(" release: -----> Starting 1 web replica(s) of v1" in x for x in lines)
    assert any(" release: v1 released (Deploy " in x for x in lines)
    assert any(WEB.search(x) and "Starting gunicorn" in x for x in lines)
    assert any(ROUTER.search(x) and 'path="/first-request"' in x and "status=404" in x
               for x in lines)
    assert not any(WEB.search(x) and "/first-request" in x for x in lines)
    # merged in time order
    assert lines == sorted(lines, key=lambda x: x.split(" ", 1)[0])

    web = platform.paas("logs", "-a", APP, "--process", "web", "-n", "500").out.splitlines()
    assert web and all(WEB.search(x) for x in web)
    router = platform.paas("logs", "-a", APP, "-p", "router").out.splitlines()
    assert router and all(ROUTER.search(x) for x in router)
    build = platform.paas("logs", "-a", APP, "-p", "build").out.splitlines()
    assert build and all(" build: " in x for x in build)
    assert len(platform.paas("logs", "-a", APP, "-n", "3").out.splitlines()) == 3

    for bad, message in ((["-a", APP, "-p", "Web!"], "invalid process type"),
                         (["-a", "no-such-app"], "app no-such-app not found")):
        r = platform.paas("logs", *bad)
        assert r.code == 1 and message in r.err, r.text


def test_logs_tail_follows_requests_and_replicas_of_a_new_release(
    platform: Platform, app: Path
) -> None:
    follower = Follower(platform, "-n", "1")
    web_only = Follower(platform, "-n", "1", "--process", "web")
    try:
        platform.get(APP, "/followed")
        line = follower.wait_for(r' router: method=GET path="/followed"')
        assert LINE.match(line)
        old = {c.name.rsplit("-", 1)[-1] for c in _web_containers(platform)}

        # a new release: its build lines and its new replica show up in the same follow
        app_py = app / "app.py"
        app_py.write_text(app_py.read_text().replace("Hello from", "Logged from"))
        platform.commit_all(app, "v2")
        pushed = platform.git("push", "paas", "main", cwd=app)
        assert pushed.code == 0, pushed.text
        follower.wait_for(r" build: -----> Building image")
        follower.wait_for(r" release: v2 released")
        platform.get(APP, "/after-redeploy")
        follower.wait_for(r' router: method=GET path="/after-redeploy"')
        # the new replica's own lines (gunicorn starting) reach the same follow
        new = {c.name.rsplit("-", 1)[-1] for c in _web_containers(platform)} - old
        assert len(new) == 1
        booted = rf" web\.{new.pop()}: .*Booting worker"
        follower.saw_or_waits_for(booted)

        # --process web: only replica lines, also of the new replica
        web_only.saw_or_waits_for(booted)
        assert all(WEB.search(x) for x in web_only.seen), web_only.seen
    finally:
        codes = [follower.interrupt(), web_only.interrupt()]
    assert codes == [0, 0]  # Ctrl-C ends a follow cleanly


def test_run_exit_codes_output_streams_and_config(platform: Platform, app: Path) -> None:
    r = platform.paas("run", "-a", APP, "--", "python", "-c",
                      "import sys; print('to out'); print('to err', file=sys.stderr); "
                      "sys.exit(3)")
    assert (r.code, r.out, r.err) == (3, "to out\n", "to err\n")

    # one argument is a shell line, with the release's environment
    r = platform.paas("run", "-a", APP, "--", 'echo "$PAAS_APP $PAAS_PROCESS_TYPE"; exit 7')
    assert (r.code, r.out) == (7, f"{APP} run\n")

    # on the platform network: the app's web replica answers by its container name
    client = docker.from_env()
    web = client.containers.list(filters={"label": [
        f"paas.instance={platform.instance}", f"paas.app={APP}", "paas.process-type=web"]})[0]
    r = platform.paas("run", "-a", APP, "--", "python", "-c",
                      "import urllib.request as u; "
                      f"print(u.urlopen('http://{web.name}:5000/').status)")
    assert (r.code, r.out) == (0, "200\n"), r.text
    # removed right after the exit code went out
    _eventually("one-off containers removed", lambda: _run_containers(platform) == [])


def test_run_pipes_stdin_and_kills_the_command_on_ctrl_c(platform: Platform, app: Path
                                                          ) -> None:
    echo = subprocess.run([PAAS, "run", "-a", APP, "--", "cat"], input="hi\nthere\n",
                          env=platform.env(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert (echo.returncode, echo.stdout) == (0, "hi\nthere\n"), echo.stderr
    many = "".join(f"{i}\n" for i in range(100_000))
    counted = subprocess.run([PAAS, "run", "-a", APP, "--", "wc", "-l"], input=many,
                             env=platform.env(), capture_output=True, text=True,
                             timeout=120, check=False)
    assert counted.stdout.strip() == "100000", counted.stderr

    sleeper = subprocess.Popen([PAAS, "run", "-a", APP, "--", "sleep", "600"],
                               env=platform.env(), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _eventually("one-off container", lambda: _run_containers(platform, ["sleep", "600"]))
    sleeper.send_signal(signal.SIGINT)
    _, err = sleeper.communicate(timeout=60)
    assert sleeper.returncode == 130, err
    _eventually("one-off container removed", lambda: _run_containers(platform) == [])


def test_one_offs_at_once_are_bounded(platform: Platform, app: Path) -> None:
    # Each one-off is a container at the web size that no formation counts: without a
    # bound, a loop of `paas run` fills the host.
    most = 5  # the server's default (PAAS_MAX_ONEOFFS_PER_APP)
    sleepers = [subprocess.Popen([PAAS, "run", "-a", APP, "--", "sleep", "600"],
                                 env=platform.env(), stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(most)]
    try:
        _eventually(f"{most} one-off containers",
                    lambda: len(_run_containers(platform, ["sleep", "600"])) == most)
        r = platform.paas("run", "-a", APP, "--", "true")
        assert r.code == 1
        assert r.err == (f"error: {APP} already runs {most} one-off command(s), the most "
                         "at once: wait for one to end (paas ps shows them)\n")
        assert len(_run_containers(platform)) == most  # the refused one made nothing
        sleepers[0].send_signal(signal.SIGINT)
        sleepers[0].communicate(timeout=60)
        r = platform.paas("run", "-a", APP, "--", "true")
        assert r.code == 0, r.text
    finally:
        for sleeper in sleepers:
            if sleeper.poll() is None:
                sleeper.send_signal(signal.SIGINT)
        for sleeper in sleepers:
            sleeper.communicate(timeout=60)
    _eventually("one-off containers removed", lambda: _run_containers(platform) == [])


def test_run_in_a_terminal_is_interactive(platform: Platform, app: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: paas run in a real terminal
        os.chdir(platform.user_home)
        os.execve(PAAS, [PAAS, "run", "-a", APP, "--", "python"], platform.env())
    seen = b""

    def read_until(token: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 120
        while token not in seen:
            assert time.monotonic() < deadline, seen[-500:]
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                seen += os.read(fd, 4096)

    try:
        read_until(b">>> ")
        os.write(fd, b"import os; print(os.isatty(0), 6 * 7)\r")
        read_until(b"True 42")
        os.write(fd, b"raise SystemExit(5)\r")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 5
    _eventually("one-off container removed", lambda: _run_containers(platform) == [])


def test_run_before_the_first_deploy_is_a_clear_error(platform: Platform) -> None:
    assert platform.paas("apps:create", "not-deployed", "--no-remote").code == 0
    r = platform.paas("run", "-a", "not-deployed", "--", "ls")
    assert r.code == 1
    assert r.err == ("error: not-deployed has no build to run yet: push it first with "
                     "`git push paas main` (a build that failed leaves nothing to run)\n")
