from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.domain.release import Build, Release

APP = App("shop", datetime(2024, 1, 1, tzinfo=UTC), domains=("shop.io", "www.shop.io"))


def test_hostnames_default_first():
    assert APP.hostnames("paas.example.com") == ("shop.paas.example.com", "shop.io", "www.shop.io")


@pytest.mark.parametrize(
    ("port", "url"),
    [(None, "http://shop.local.test/"), (80, "http://shop.local.test/"),
     (8080, "http://shop.local.test:8080/")],
)
def test_url(port, url):
    assert APP.url("local.test", port) == url


def test_release_label_and_deployable():
    build = Build(image="i", commit="c", processes={"web": "x"})
    assert Release("shop", 12, build).label == "v12"
    assert Release("shop", 1, build).deployable
    assert not Release("shop", 1, None).deployable
