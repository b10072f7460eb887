"""Crash safety: kill -9 of the platform mid-deploy, and pushes that overlap.

The apps keep serving while the server is down; after a restart the interrupted release
is failed (never half-applied), the previous one serves, and what the dead deploy left
running is gone.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import docker

from e2e.harness import Platform, Result, http_get
from paas.domain.release import ReleaseStatus
from paas.store.secrets import load_secret_box
from paas.store.sql import SqlStore


def _eventually(what: str, check: Callable[[], object], timeout: float = 300.0) -> None:
    """Poll until ``check()`` holds; the timeout only bounds a hang, it is not measured."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def _containers(p: Platform, app: str, **labels: str) -> list[docker.models.containers.Container]:
    client = docker.from_env()
    wanted = [f"paas.instance={p.instance}", f"paas.app={app}",
              *(f"paas.{k.replace('_', '-')}={v}" for k, v in labels.items())]
    return list(client.containers.list(filters={"label": wanted}))


def _deployed(p: Platform, name: str) -> Path:
    repo = p.new_repo("flask-hello", name)
    assert p.paas("apps:create", name, cwd=repo).code == 0
    pushed = p.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text
    return repo


def _push_in_background(p: Platform, repo: Path) -> tuple[threading.Thread, list[Result]]:
    result: list[Result] = []
    t = threading.Thread(target=lambda: result.append(p.git("push", "paas", "main", cwd=repo)))
    t.start()
    return t, result


def _statuses(p: Platform, app: str) -> list[tuple[int, ReleaseStatus]]:
    store = SqlStore(f"sqlite:///{p.home / 'paas.db'}", secrets=load_secret_box(p.home, {}))
    return [(r.version, r.status) for r in sorted(store.list_releases(app),
                                                  key=lambda r: r.version)]


def _kill9(p: Platform) -> None:
    assert p.proc is not None
    p.proc.send_signal(signal.SIGKILL)
    p.proc.wait(timeout=30)
    p.proc = None


def test_overlapping_pushes_and_a_kill_9_during_the_release_phase(platform: Platform) -> None:
    a = _deployed(platform, "crash-a")
    b = _deployed(platform, "crash-b")

    # v2 of crash-a has a release phase that outlives the test's patience
    (a / "Procfile").write_text("release: sleep 900\n")
    platform.commit_all(a, "slow release phase")
    slow, slow_result = _push_in_background(platform, a)
    _eventually("crash-a's release phase running",
                lambda: _containers(platform, "crash-a", role="run", process_type="release"))

    # the same app again: refused at once, with the reason
    (a / "README").write_text("another change\n")
    platform.commit_all(a, "second push")
    second = platform.git("push", "paas", "main", cwd=a)
    assert second.code != 0
    assert "another deploy of crash-a is in progress; try again when it ends" in second.err

    # another app meanwhile: deploys while crash-a's deploy is still in its release phase
    app_py = b / "app.py"
    app_py.write_text(app_py.read_text().replace("Hello from", "Hi from"))
    platform.commit_all(b, "v2")
    pushed = platform.git("push", "paas", "main", cwd=b)
    assert pushed.code == 0, pushed.text
    assert _containers(platform, "crash-a", role="run", process_type="release")
    assert platform.get("crash-b") == (200, "Hi from paas! release=v2\n")

    _kill9(platform)
    slow.join(timeout=120)
    assert slow_result and slow_result[0].code != 0
    # the platform is down; the router and both apps are not
    for _ in range(20):
        assert http_get(platform.router_port, "crash-a.localhost") == (
            200, "Hello from paas! release=v1\n")
        assert http_get(platform.router_port, "crash-b.localhost") == (
            200, "Hi from paas! release=v2\n")
    assert _statuses(platform, "crash-a") == [(1, ReleaseStatus.SUCCEEDED),
                                               (2, ReleaseStatus.PENDING)]

    platform.start()
    assert _statuses(platform, "crash-a") == [(1, ReleaseStatus.SUCCEEDED),
                                               (2, ReleaseStatus.FAILED)]
    assert "crash-a v2 was interrupted by a server stop: marked failed" in (
        platform.log_path.read_text())
    assert _containers(platform, "crash-a", role="run") == []
    assert platform.get("crash-a") == (200, "Hello from paas! release=v1\n")
    logs = platform.paas("logs", "-a", "crash-a", "-p", "release")
    assert "release: v2 was interrupted by a server stop: marked failed" in logs.out

    # and the app deploys again once the lock holder is gone
    (a / "Procfile").unlink()
    platform.commit_all(a, "fast again")
    again = platform.git("push", "paas", "main", cwd=a)
    assert again.code == 0, again.text
    assert "Released v3" in again.err


def test_a_kill_9_during_the_rollout_leaves_the_old_release_serving(
    platform: Platform,
) -> None:
    repo = _deployed(platform, "crash-roll")
    app_py = repo / "app.py"
    # v2's web process takes far longer to come up than the test waits
    app_py.write_text("import time\ntime.sleep(900)\n" + app_py.read_text())
    platform.commit_all(repo, "slow start")
    push, result = _push_in_background(platform, repo)
    _eventually("a v2 web replica started",
                lambda: _containers(platform, "crash-roll", role="app", release="2"))

    _kill9(platform)
    push.join(timeout=120)
    assert result and result[0].code != 0
    assert platform.get("crash-roll") == (200, "Hello from paas! release=v1\n")

    platform.start()
    assert _statuses(platform, "crash-roll") == [(1, ReleaseStatus.SUCCEEDED),
                                                  (2, ReleaseStatus.FAILED)]
    # reconcile converged the app back to v1: the half-started v2 replica is gone
    running = _containers(platform, "crash-roll", role="app")
    assert [c.labels["paas.release"] for c in running] == ["1"]
    assert platform.get("crash-roll") == (200, "Hello from paas! release=v1\n")
