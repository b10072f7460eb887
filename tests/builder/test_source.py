import ast
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from paas.builder.buildpacks import load, make_plan
from paas.builder.context import platform_files, write_context
from paas.builder.source import PushedCommit, SourceTree
from paas.errors import BuildFailed
from tests.builder.crafted_commit import PAYLOAD, crafted_commit

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost",
           "GIT_CONFIG_NOSYSTEM": "1"}
FLASK_APP = {"requirements.txt": b"flask\n",
             "app.py": b"from flask import Flask\napp = Flask(__name__)\n"}


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()


def commit_dir(repo: Path) -> str:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A", "--force")
    git(repo, "commit", "-qm", "app")
    return git(repo, "rev-parse", "HEAD")


def files_under(root: Path) -> set[str]:
    """Every path under ``root`` (links not followed), but git's own data."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        found.update(os.path.join(dirpath, n) for n in dirnames + filenames)
    return found


def test_has_read_paths_and_dirs():
    src = SourceTree(
        files={"app.py": "x", "pkg/__init__.py": "", "requirements.txt": "flask"},
        listing=frozenset({"static/logo.png", "app.py"}),
    )
    assert src.has("app.py")
    assert src.has("static/logo.png")
    assert not src.has("static")
    assert src.has_dir("static")
    assert src.has_dir("static/")
    assert src.has_dir("pkg")
    assert not src.has_dir("stat")
    assert src.read("requirements.txt") == "flask"
    assert src.read("static/logo.png") is None
    assert list(src.paths(".py")) == ["app.py", "pkg/__init__.py"]
    assert list(src.paths()) == ["app.py", "pkg/__init__.py", "requirements.txt"]


def test_source_tree_reads_manifests_from_git_objects_and_lists_everything(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("app = 1\n")
    (repo / "Procfile").write_text("web: x\n")
    (repo / "requirements.txt").write_text("flask\n")
    (repo / "static").mkdir()
    (repo / "static" / "logo.png").write_bytes(b"\x89PNG\x00")
    (repo / "big.py").write_text("x" * (512 * 1024 + 1))
    for skipped in ("venv", "__pycache__", "node_modules"):
        (repo / skipped).mkdir()
        (repo / skipped / "setup.py").write_text("no\n")
    (repo / "link.py").symlink_to("app.py")
    sha = commit_dir(repo)
    # the work tree is not what is read: only the commit's objects are
    for path in (repo / "app.py", repo / "Procfile"):
        path.unlink()

    src = PushedCommit(repo, sha).source_tree()
    assert dict(src.files) == {
        "Procfile": "web: x\n",
        "app.py": "app = 1\n",
        "requirements.txt": "flask\n",
    }
    assert src.listing == frozenset(
        {"Procfile", "app.py", "requirements.txt", "static/logo.png", "big.py", "link.py"}
    )


def test_a_symlink_is_never_followed_nor_read(tmp_path):
    """A link to a host folder or file is a name, not a folder: no static dir, no text."""
    secret = tmp_path / "host" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("host secret\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("app = 1\n")
    (repo / "static").symlink_to(secret.parent)
    (repo / "requirements.txt").symlink_to(secret)
    sha = commit_dir(repo)

    src = PushedCommit(repo, sha).source_tree()
    assert src.read("requirements.txt") is None
    assert not src.has_dir("static")
    assert "host secret" not in "".join(src.files.values())


def test_objects_in_the_push_quarantine_are_read_through_the_hook_environment(tmp_path):
    """During pre-receive the pushed objects are only in git's quarantine directory."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "app.py").write_text("app = 2\n")
    sha = commit_dir(work)
    bare = tmp_path / "app.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))

    with pytest.raises(BuildFailed, match=f"cannot read the pushed commit {sha[:7]}$"):
        PushedCommit(bare, sha).source_tree()
    env = {"GIT_OBJECT_DIRECTORY": str(work / ".git" / "objects"),
           "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(bare / "objects")}
    assert PushedCommit(bare, sha, env).source_tree().read("app.py") == "app = 2\n"


@pytest.mark.parametrize("sha", ["--output=/tmp/x", "HEAD", "a" * 39, "A" * 40])
def test_only_a_commit_id_reaches_git(tmp_path, sha):
    with pytest.raises(BuildFailed, match="not a commit id"):
        PushedCommit(tmp_path, sha)


def test_a_hand_made_tree_with_a_dot_dot_name_is_refused(tmp_path):
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(repo))
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=b"x",
                          capture_output=True, check=True).stdout.decode().strip()
    raw = b"100644 ..\0" + bytes.fromhex(blob)
    tree = subprocess.run(["git", "hash-object", "-t", "tree", "--literally", "-w", "--stdin"],
                          cwd=repo, input=raw, capture_output=True, check=True
                          ).stdout.decode().strip()
    sha = git(repo, "commit-tree", tree, "-m", "dots")
    with pytest.raises(BuildFailed, match="pushed commit"):  # git or we refuse it
        PushedCommit(repo, sha).source_tree()


def _depths(tmp_path: Path) -> list[tuple[int, Path | None]]:
    """Unpack depths to aim the crafted link at, with a temp dir that puts a folder made
    inside it at that depth: /tmp/paas-src-*/src (where pushes were unpacked), and two
    below the test's own folder."""
    base = len(tmp_path.parts) - 1
    return [(3, None), (base + 3, tmp_path / "t1"), (base + 5, tmp_path / "t1" / "t2" / "t3")]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_crafted_commit_writes_nothing_outside_on_the_platforms_source_path(
        tmp_path, monkeypatch, which):
    depth, tempdir = _depths(tmp_path)[which]
    if tempdir is not None:
        tempdir.mkdir(parents=True)
        monkeypatch.setattr(tempfile, "tempdir", str(tempdir))
    # aimed right: where the old code unpacked a push, under this temp dir
    probe = Path(tempfile.mkdtemp(prefix="paas-src-"))
    probe.rmdir()
    assert len((probe / "src").parts) - 1 == depth
    target = tmp_path / "host-target"
    target.mkdir()
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--bare", str(repo))
    sha = crafted_commit(repo, depth, target, FLASK_APP)
    before = files_under(tmp_path)

    # what a push goes through: detection, the plan, the context for the engine
    commit = PushedCommit(repo, sha)
    plan = make_plan(commit.source_tree(), load())
    files = platform_files(plan, "stack:test", labels={"paas.app": "x"})
    with tempfile.TemporaryFile() as out:
        write_context(out, commit, files)
        with tarfile.open(fileobj=out, mode="r:") as tar:
            members = tar.getmembers()

    assert os.listdir(target) == []
    assert files_under(tmp_path) == before
    # the commit went to the engine as it is (its links included, for the engine to
    # refuse or contain), and the platform's files come after it, so they win
    kinds = {(m.name, m.type) for m in members}
    assert {("src/escape", tarfile.SYMTYPE), ("src/escape/pwned", tarfile.REGTYPE)} <= kinds
    assert [m.name for m in members][-len(files):] == sorted(files)


def test_the_platforms_files_follow_the_commit_and_reach_the_context_intact(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, data in FLASK_APP.items():
        (repo / name).write_bytes(data)
    (repo / "Dockerfile").write_text("FROM evil\n")  # the tenant's stays under src/
    sha = commit_dir(repo)
    commit = PushedCommit(repo, sha)
    files = platform_files(make_plan(commit.source_tree(), load()), "stack:test",
                           labels={"paas.app": "x"})
    out = io.BytesIO()
    write_context(out, commit, files)
    with tarfile.open(fileobj=out, mode="r:") as tar:
        names = tar.getnames()
        dockerfile = tar.extractfile("Dockerfile")
        assert dockerfile is not None
        assert dockerfile.read().decode().startswith("FROM stack:test\n")
        assert tar.extractfile("src/app.py").read() == FLASK_APP["app.py"]
    assert names.index("src/Dockerfile") < names.index("Dockerfile")
    assert {"src/requirements.txt", "paas", "paas/files", "paas/empty"} <= set(names)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue()), mode="r:") as tar:
        # the folder the Dockerfile copies to make /app the app's: empty
        assert tar.getmember("paas/empty").isdir()
        assert not [n for n in names if n.startswith("paas/empty/")]


def test_only_the_named_paths_are_archived_and_equal_files_have_equal_ids(tmp_path):
    """What the dependency install gets from a commit, and what decides its reuse."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, data in FLASK_APP.items():
        (repo / name).write_bytes(data)
    (repo / "[a]*.txt").write_text("a pattern as a name\n")
    first = PushedCommit(repo, commit_dir(repo))
    out = io.BytesIO()
    first.archive(out, prefix="build/src/", paths=("requirements.txt", "[a]*.txt"))
    out.seek(0)
    with tarfile.open(fileobj=out, mode="r:") as tar:
        assert sorted(m.name for m in tar.getmembers() if m.isfile()) == [
            "build/src/[a]*.txt", "build/src/requirements.txt"]
    ids = first.blob_ids(("requirements.txt", "missing.txt"))
    assert list(ids) == ["requirements.txt"]

    (repo / "app.py").write_text("# code only\n")
    second = PushedCommit(repo, commit_dir(repo))
    assert second.blob_ids(("requirements.txt",)) == ids
    (repo / "requirements.txt").write_text("flask\nrequests\n")
    third = PushedCommit(repo, commit_dir(repo))
    assert third.blob_ids(("requirements.txt",)) != ids


@pytest.mark.skipif(sys.version_info >= (3, 11, 13),
                    reason="this Python's tarfile has the CVE-2025-4517 fix")
def test_the_crafted_commit_does_escape_tarfiles_data_filter_on_this_python(tmp_path):
    """The exploit is real here: unpacking it on the host is what the platform must not do
    (so the test above, where nothing is written, is not vacuous)."""
    target = tmp_path / "host-target"
    target.mkdir()
    dest = tmp_path / "unpack"
    dest.mkdir()
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--bare", str(repo))
    sha = crafted_commit(repo, len(dest.parts) - 1, target)
    archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=repo,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r|") as tar:
        tar.extractall(dest, filter="data")
    assert (target / "pwned").read_bytes() == PAYLOAD


def test_a_module_is_parsed_once_per_tree_and_its_syntax_error_raised_each_time():
    tree = SourceTree(files={"app.py": "import flask\n", "bad.py": "def f(:\n",
                             "nul.py": "x = 1\0\n"})
    first = tree.parse("app.py")
    assert tree.parse("app.py") is first
    assert isinstance(first.body[0], ast.Import)
    for _ in range(2):
        with pytest.raises(SyntaxError) as e:
            tree.parse("bad.py")
        assert (e.value.filename, e.value.lineno) == ("bad.py", 1)
    with pytest.raises((SyntaxError, ValueError)):
        tree.parse("nul.py")
    # another push's tree parses its own text
    assert SourceTree(files={"app.py": "import os\n"}).parse("app.py") is not first
    assert tree == SourceTree(files=dict(tree.files))
