from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.domain.release import Build, ReleaseStatus
from paas.errors import BuildFailed, DeployFailed
from paas.services.deploy import AppLocks, Deployer
from paas.store.logbook import LogBook
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore
from tests.fakes import FakeRuntime

BUILD = Build(image="img", commit="c" * 40, processes={"web": "gunicorn app:app"},
              release_command="python migrate.py")


class FakeBuilder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def build(self, app, source, commit, log):
        log("-----> Building image")
        if self.fail:
            raise BuildFailed("build failed: no such package", log="pip said no")
        return BUILD


def _runtime(healthy: bool = True) -> FakeRuntime:
    """Release phase output that (carelessly) prints a config value."""
    return FakeRuntime(
        release_output=lambda r: [f"       connecting to {r.config['DATABASE_URL']}"],
        fail_next=None if healthy else "")


@pytest.fixture
def store(tmp_path):
    s = SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())
    s.create_app(App(name="shop", created_at=datetime.now(UTC), owner="admin"))
    v = s.add_release("shop", None, {"DATABASE_URL": "postgres://u:s3cret@db/shop"},
                      "Set DATABASE_URL", "admin").version
    s.set_release_status("shop", v, ReleaseStatus.SUCCEEDED)
    return s


def test_push_lines_are_kept_by_phase_without_config_values(store, tmp_path):
    book = LogBook(tmp_path / "logs")
    shown: list[str] = []
    deployer = Deployer(store, FakeBuilder(), _runtime(), AppLocks(), book)
    deployer.deploy_source("shop", tmp_path, "c" * 40, "admin", shown.append)
    kept = [(x.source, x.message) for x in book.read("shop")]
    assert kept == [
        ("build", "-----> Building image"),
        ("release", "connecting to *****"),
        ("release", "-----> Starting 1 web replica(s) of v2"),
        ("release", "v2 released (Deploy ccccccc)"),
    ]
    assert "s3cret" not in (tmp_path / "logs" / "shop.log").read_text()
    # the pusher still sees its own output as it was
    assert "       connecting to postgres://u:s3cret@db/shop" in shown


def test_failures_are_kept_with_their_reason(store, tmp_path):
    book = LogBook(tmp_path / "logs")
    with pytest.raises(BuildFailed):
        Deployer(store, FakeBuilder(fail=True), _runtime(), AppLocks(), book
                 ).deploy_source("shop", tmp_path, "c" * 40, "admin", lambda _l: None)
    with pytest.raises(DeployFailed):
        Deployer(store, FakeBuilder(), _runtime(healthy=False), AppLocks(), book
                 ).deploy_source("shop", tmp_path, "c" * 40, "admin", lambda _l: None)
    verdicts = [x.message for x in book.read("shop") if "fail" in x.message]
    assert verdicts == [
        "build failed: no such package",
        "v2 failed: web process exited; the previous release keeps serving",
    ]


def test_a_push_answers_before_its_predecessors_go_a_config_release_after(store, tmp_path):
    """A push returns once the new release serves; an API release (config, rollback)
    answers once the previous release's replicas are gone, so `paas ps` is exact."""
    runtime = FakeRuntime()
    deployer = Deployer(store, FakeBuilder(), runtime, AppLocks())
    deployer.deploy_source("shop", tmp_path, "c" * 40, "admin", lambda _line: None)
    assert runtime.settled == []
    deployer.release("shop", BUILD, {"DATABASE_URL": "x"}, "Set A", "admin", lambda _line: None)
    assert runtime.settled == ["shop"]
    deployer.release_from_current("shop", lambda cur: (BUILD, {"DATABASE_URL": "y"}, "Set A"),
                                  "admin", lambda _line: None)
    assert runtime.settled == ["shop", "shop"]
