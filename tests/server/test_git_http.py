from pathlib import Path

from paas.server.git_http import Repos


def test_new_repos_point_head_at_main_and_accept_pushes(tmp_path: Path) -> None:
    path = Repos(tmp_path).ensure("shop")
    assert (path / "HEAD").read_text() == "ref: refs/heads/main\n"
    config = (path / "config").read_text()
    assert "receivepack = true" in config and "denyDeletes = true" in config
    assert (path / "hooks" / "pre-receive").stat().st_mode & 0o111
