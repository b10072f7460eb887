from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.domain.release import Build
from paas.services.deploy import AppLocks
from paas.store.port import User
from paas.store.secrets import SecretBox
from paas.store.sql import SqlStore
from tests.fakes import FakeRuntime
from tests.services.fakes import FakeAddons

BUILD = Build(
    image="img",
    commit="c" * 40,
    processes={"web": "gunicorn app:app", "worker": "celery -A app worker -Q mail",
               "beat": "celery -A app beat"},
)
ADMIN = User("admin", True)


@pytest.fixture
def store(tmp_path):
    s = SqlStore("sqlite:///" + str(tmp_path / "t.db"), secrets=SecretBox.generate())
    s.create_app(App(name="shop", created_at=datetime(2024, 1, 1, tzinfo=UTC)))
    return s


@pytest.fixture
def runtime():
    return FakeRuntime()


@pytest.fixture
def provider():
    return FakeAddons()


@pytest.fixture
def locks():
    return AppLocks()


def deployed(store, build=BUILD, config=None):
    from paas.domain.release import ReleaseStatus
    rel = store.add_release("shop", build, config or {}, "Deploy", "admin")
    return store.set_release_status("shop", rel.version, ReleaseStatus.SUCCEEDED)
