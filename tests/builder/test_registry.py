from __future__ import annotations

from typing import Any

import pytest

from paas.builder.registry import push_errors, references
from paas.composition import check
from paas.errors import InvalidInput
from paas.settings import RegistrySettings, Settings
from paas.stack.registry import stack_reference


def test_references_push_by_one_name_and_pull_by_another() -> None:
    s = RegistrySettings(pull_host="127.0.0.1:30500",
                         push_host="paas-registry.paas.svc.cluster.local:5000",
                         username=None, password=None)
    assert references(s, "shop", "git-abc") == (
        "paas-registry.paas.svc.cluster.local:5000/shop", "git-abc",
        "127.0.0.1:30500/shop:git-abc",
    )


def test_push_host_defaults_to_the_pull_host() -> None:
    s = RegistrySettings(pull_host="reg.example.com/team", push_host=None,
                         username=None, password=None)
    assert references(s, "shop", "t")[0] == "reg.example.com/team/shop"


@pytest.mark.parametrize("bad", ["http://reg:5000", "reg:5000/", "reg/UPPER", "a b", ""])
def test_registry_hosts_with_a_scheme_or_junk_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="PAAS_REGISTRY="):
        RegistrySettings(pull_host=bad, push_host=None, username=None, password=None)


def test_auth_only_when_a_user_is_given() -> None:
    assert RegistrySettings(pull_host="r", push_host=None, username=None,
                            password="x").auth is None
    assert RegistrySettings(pull_host="r", push_host=None, username="u",
                            password=None).auth == {"username": "u", "password": ""}


def test_push_errors_finds_the_engines_error_record() -> None:
    ok: list[dict[str, Any]] = [{"status": "Pushing"}, {"status": "digest: sha256:1"}]
    assert push_errors(iter(ok)) is None
    bad: list[dict[str, Any]] = [{"status": "Pushing"},
                                 {"errorDetail": {"message": "denied"}, "error": "denied"}]
    assert push_errors(iter(bad)) == "denied"
    assert push_errors(iter([{"errorDetail": {"message": "unauthorized"}}])) == "unauthorized"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("paas-stack/python:bookworm-r2", ("reg:5000/paas-stack/python", "bookworm-r2")),
        ("old.registry:5000/paas-stack/python:r1", ("reg:5000/paas-stack/python", "r1")),
        ("python", ("reg:5000/python", "latest")),
        ("localhost/py:1", ("reg:5000/py", "1")),
    ],
)
def test_stack_images_keep_their_name_under_the_new_registry(
    image: str, expected: tuple[str, str]
) -> None:
    assert stack_reference("reg:5000", image) == expected


def test_kubernetes_runtime_without_a_registry_is_a_clear_error(tmp_path: Any) -> None:
    settings = Settings(home=tmp_path, runtime="kubernetes",
                        registry=RegistrySettings(pull_host=None, push_host=None,
                                                  username=None, password=None))
    with pytest.raises(InvalidInput, match="kubernetes runtime needs a registry"):
        check(settings)


def test_unknown_runtime_is_a_clear_error(tmp_path: Any) -> None:
    with pytest.raises(InvalidInput, match="unknown runtime 'nomad'"):
        check(Settings(home=tmp_path, runtime="nomad"))
