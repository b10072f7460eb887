"""The ``paas`` git remote: how commands find their app, as Heroku's CLI does."""

from __future__ import annotations

import re
from pathlib import Path

import git

REMOTE = "paas"
_APP_IN_URL = re.compile(r"/git/([a-z0-9-]+)\.git/?$")


def _repo(cwd: Path | None = None) -> git.Repo | None:
    try:
        return git.Repo(cwd or Path.cwd(), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def app_from_remote(cwd: Path | None = None) -> str | None:
    repo = _repo(cwd)
    if repo is None or REMOTE not in [r.name for r in repo.remotes]:
        return None
    m = _APP_IN_URL.search(repo.remotes[REMOTE].url)
    return m.group(1) if m else None


def set_remote(url: str, cwd: Path | None = None, name: str = REMOTE) -> bool:
    """Point the remote ``name`` at ``url``; False when not inside a git repository."""
    repo = _repo(cwd)
    if repo is None:
        return False
    if name in [r.name for r in repo.remotes]:
        repo.remotes[name].set_url(url)
    else:
        repo.create_remote(name, url)
    return True

