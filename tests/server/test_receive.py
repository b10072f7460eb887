import git
import pytest

from paas.errors import PaasError
from paas.server.receive import ZERO, choose_ref

OLD = "a" * 40
NEW = "b" * 40


@pytest.mark.parametrize("ref", ["refs/heads/main", "refs/heads/master"])
def test_main_and_master_accepted(ref):
    assert choose_ref([(OLD, NEW, ref)]) == (NEW, ref)


def test_first_push_from_zero_accepted():
    assert choose_ref([(ZERO, NEW, "refs/heads/main")]) == (NEW, "refs/heads/main")


@pytest.mark.parametrize(
    "ref", ["refs/heads/dev", "refs/heads/feature/main", "refs/tags/v1", "refs/heads/Main"]
)
def test_other_refs_rejected_with_hint(ref):
    with pytest.raises(PaasError) as exc:
        choose_ref([(OLD, NEW, ref)])
    assert exc.value.message == (
        f"paas deploys main or master, not {ref}: push with `git push paas HEAD:main`"
    )


def test_any_other_ref_in_the_push_rejects_it():
    with pytest.raises(PaasError, match="not refs/heads/dev"):
        choose_ref([(OLD, NEW, "refs/heads/main"), (OLD, NEW, "refs/heads/dev")])


def test_deletion_rejected():
    with pytest.raises(PaasError) as exc:
        choose_ref([(OLD, ZERO, "refs/heads/main")])
    assert exc.value.message == "deleting refs/heads/main is not allowed"


def test_nothing_pushed():
    with pytest.raises(PaasError, match="nothing pushed"):
        choose_ref([])


def test_first_of_several_deploy_refs():
    other = "c" * 40
    assert choose_ref([(OLD, NEW, "refs/heads/master"), (OLD, other, "refs/heads/main")]) == (
        NEW,
        "refs/heads/master",
    )


def test_an_unexpected_push_failure_shows_no_host_path(api, monkeypatch):
    """The pusher hears that the push failed; where on the host, only the server log."""
    api.call("POST", "/v1/apps", json={"name": "shop"})
    home = str(api.ctx.settings.home)

    def fails(*_a, **_k):
        # What GitPython raises for a repository that went missing: its repr holds the path.
        raise git.exc.NoSuchPathError(f"{home}/repos/shop.git")

    monkeypatch.setattr("paas.server.receive.extract_commit", fails)
    out = b"".join(api.ctx.receiver.stream(
        "shop", "admin", [(ZERO, NEW, "refs/heads/main")], {})).decode()
    assert "Push rejected: internal error" in out
    assert home not in out and "/repos/" not in out
