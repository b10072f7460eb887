import pytest

from tests.server.platform import make_platform


@pytest.fixture
def api(tmp_path):
    return make_platform(tmp_path)
