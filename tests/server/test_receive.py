import pytest

from paas.builder.source import PushedCommit
from paas.errors import BuildFailed, PaasError
from paas.server.receive import ZERO, Receiver, choose_ref, without_host_paths
from paas.settings import Settings

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


class _FailingDeployer:
    """A deployer whose build fails with a message naming files of the host."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.sources: list[PushedCommit] = []

    def deploy_source(self, app, source, commit, user, log):
        self.sources.append(source)
        raise self.error


def _pushed(tmp_path, error: Exception) -> tuple[str, _FailingDeployer]:
    deployer = _FailingDeployer(error)
    receiver = Receiver(Settings(home=tmp_path / "home"), deployer, store=None)  # type: ignore[arg-type]
    out = b"".join(receiver.stream("shop", "admin", [(OLD, NEW, "refs/heads/main")],
                                   {"GIT_QUARANTINE_PATH": "/q"}))
    return out.decode(), deployer


def test_push_errors_name_no_platform_folder(tmp_path):
    home = tmp_path / "home"
    error = BuildFailed(f"cannot open {home}/repos/shop.git/objects/pack",
                        log=f"detail in {home}/static/shop")
    out, deployer = _pushed(tmp_path, error)
    assert str(home) not in out
    assert "cannot open <paas>/repos/shop.git/objects/pack" in out
    # the commit goes to the builder as git objects, with the hook's quarantine
    source = deployer.sources[0]
    assert (source.repo, source.sha, dict(source.env)) == (
        home / "repos" / "shop.git", NEW, {"GIT_QUARANTINE_PATH": "/q"})


def test_an_unexpected_error_shows_its_kind_not_its_text(tmp_path):
    out, _ = _pushed(tmp_path, FileExistsError(17, "File exists", "/root/etc/passwd"))
    assert "/root/etc" not in out
    assert "Push rejected: internal error (FileExistsError)" in out
    assert out.endswith("paas-status:fail\n")


def test_without_host_paths_replaces_the_longest_folder_first():
    assert without_host_paths("at /srv/paas-home/repos and /srv/paas", ["/srv/paas-home", "/"]
                              ) == "at <paas>/repos and /srv/paas"
