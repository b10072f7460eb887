"""Hostile tenants' pushes: crafted trees and symlinked static folders leave the host as it was.

Each journey pushes with a real `git push` to the session's platform and then looks at
the host: the folder the crafted links aim at, and the platform's own static folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from e2e.harness import Platform
from tests.builder.crafted_commit import crafted_commit

FLASK_APP = {
    "requirements.txt": b"flask>=3,<4\n",
    "app.py": b"from flask import Flask\n\napp = Flask(__name__)\n\n\n"
              b"@app.get('/')\ndef index() -> str:\n    return 'crafted\\n'\n",
}
SECRET = "host-only secret 6f1d2c\n"


def _files_under(root: Path) -> dict[str, bytes]:
    """Regular files under ``root`` (links not followed) with their content."""
    found: dict[str, bytes] = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                found[str(path)] = path.read_bytes()
    return found


def _new_empty_repo(p: Platform, name: str) -> Path:
    repo = p.base / "repos" / name
    repo.mkdir(parents=True)
    assert p.git("init", "-q", "-b", "main", cwd=repo).code == 0
    return repo


def test_crafted_commit_push_writes_nothing_on_the_host_at_any_unpack_depth(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = platform.base / "host-target"
    target.mkdir()
    repo = _new_empty_repo(platform, "crafted")
    assert platform.paas("apps:create", "crafted", cwd=repo).code == 0
    for key, value in platform.env().items():
        if key.startswith("GIT_"):
            monkeypatch.setenv(key, value)

    # where the platform unpacked pushes (/tmp/paas-src-*/src), and deeper folders
    for depth in (3, 4, 6):
        sha = crafted_commit(repo, depth, target, FLASK_APP)
        pushed = platform.git("push", "--force", "paas", f"{sha}:refs/heads/main", cwd=repo)
        assert "Deploying crafted" in pushed.err, pushed.text
        assert os.listdir(target) == [], pushed.text
        # the push either built (the engine contained the links) or was refused;
        # either way its output names none of the platform's folders
        assert str(platform.home) not in pushed.text
        assert "Push rejected: internal error" not in pushed.err
    assert not any(b"written by a pushed commit" in data
                   for data in _files_under(platform.home).values())


def _secret_dir(p: Platform) -> Path:
    secret = p.base / "host-secret"
    secret.mkdir(exist_ok=True)
    (secret / "secret.txt").write_text(SECRET)
    return secret


def test_static_folder_linked_to_a_host_folder_serves_and_copies_nothing_of_it(
    platform: Platform,
) -> None:
    secret = _secret_dir(platform)
    repo = platform.new_repo("flask-hello", "linked-static")
    (repo / "static").symlink_to(secret)
    platform.commit_all(repo, "static is a link to a host folder")
    assert platform.paas("apps:create", "linked-static", cwd=repo).code == 0
    pushed = platform.git("push", "paas", "main", cwd=repo)
    assert pushed.code == 0, pushed.text

    status, body = platform.get("linked-static", "/static/secret.txt")
    assert status == 404 and SECRET not in body
    assert not any(SECRET.encode() in data
                   for data in _files_under(platform.home).values())


def test_links_inside_an_image_static_folder_are_refused_not_copied(
    platform: Platform,
) -> None:
    secret = _secret_dir(platform)
    repo = platform.new_repo("flask-hello", "static-links")
    (repo / "static").mkdir()
    (repo / "static" / "site.css").write_text("body { color: teal; }\n")
    (repo / "static" / "host").symlink_to(secret)
    (repo / "static" / "passwd").symlink_to("/etc/passwd")
    platform.commit_all(repo, "a static folder holding links")
    assert platform.paas("apps:create", "static-links", cwd=repo).code == 0
    pushed = platform.git("push", "paas", "main", cwd=repo)

    assert pushed.code != 0, pushed.text
    assert "static folder /app/static of the image holds 'static/" in pushed.err
    assert "a symbolic link" in pushed.err
    assert str(platform.home) not in pushed.text
    copied = _files_under(platform.home)
    assert not any(SECRET.encode() in data for data in copied.values())
    assert not any(path.endswith("/passwd") for path in copied)
    # nothing was published: the app has no release to serve
    assert platform.get("static-links")[0] != 200

