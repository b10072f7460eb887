"""The server side of the pre-receive hook: check the pushed ref, extract it, deploy it."""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import git

from paas.builder.source import extract_tar
from paas.errors import PaasError
from paas.server.hook import STATUS_PREFIX
from paas.services.deploy import Deployer
from paas.settings import Settings
from paas.store.port import Store

_server_log = logging.getLogger("paas.server")

DEPLOY_BRANCHES = ("refs/heads/main", "refs/heads/master")
ZERO = "0" * 40


def choose_ref(refs: Sequence[Sequence[str]]) -> tuple[str, str]:
    """The (sha, ref) to deploy; refuses other branches and deletions with a reason."""
    for _old, new, ref in refs:
        if ref not in DEPLOY_BRANCHES:
            raise PaasError(
                f"paas deploys main or master, not {ref}: push with `git push paas HEAD:main`"
            )
        if new == ZERO:
            raise PaasError(f"deleting {ref} is not allowed")
    if not refs:
        raise PaasError("nothing pushed")
    _old, new, ref = refs[0]
    return new, ref


def extract_commit(repo_path: Path, sha: str, env: Mapping[str, str], dest: Path) -> None:
    """Unpack the pushed commit with GitPython.

    During pre-receive the new objects sit in git's quarantine directory; the hook passes
    its object-directory variables so we can read them from this process.
    """
    repo = git.Repo(repo_path)
    repo.git.update_environment(**dict(env))
    with tempfile.TemporaryFile() as fh:
        repo.archive(fh, treeish=sha, format="tar")
        fh.seek(0)
        extract_tar(fh, dest)


class Receiver:
    def __init__(self, settings: Settings, deployer: Deployer, store: Store) -> None:
        self.settings = settings
        self.deployer = deployer
        self.store = store

    def _deploy(self, app: str, user: str, refs: Sequence[Sequence[str]],
                env: Mapping[str, str], log: queue.Queue[str | None]) -> bool:
        def emit(line: str) -> None:
            log.put(line)

        try:
            sha, ref = choose_ref(refs)
            emit(f"-----> Deploying {app} from {ref.rsplit('/', 1)[-1]} ({sha[:7]})")
            with tempfile.TemporaryDirectory(prefix="paas-src-") as tmp:
                src = Path(tmp) / "src"
                src.mkdir()
                extract_commit(self.settings.repos_dir / f"{app}.git", sha, env, src)
                release = self.deployer.deploy_source(app, src, sha, user, emit)
            app_obj = self.store.get_app(app)
            url = app_obj.url(self.settings.domain, self.settings.router_port)
            emit(f"-----> Released {release.label}")
            emit(f"       {url} deployed")
            return True
        except PaasError as e:
            for line in e.log.splitlines():
                emit("       " + line)
            emit(f"-----> Push rejected: {e.message}")
            return False
        except Exception:
            # An unexpected error may name the platform's own files (an OSError's path):
            # the pusher learns that it failed, the server's log learns where.
            _server_log.exception("push of %s failed", app)
            emit("-----> Push rejected: internal error (the platform's log has the details)")
            return False

    def stream(self, app: str, user: str, refs: Sequence[Sequence[str]],
               env: Mapping[str, str]) -> Iterator[bytes]:
        """Run the deploy in a thread and stream its log; the last line is the verdict."""
        lines: queue.Queue[str | None] = queue.Queue()
        result: list[bool] = []

        def work() -> None:
            try:
                result.append(self._deploy(app, user, refs, env, lines))
            finally:
                lines.put(None)

        threading.Thread(target=work, name=f"deploy-{app}", daemon=True).start()
        while (line := lines.get()) is not None:
            yield (line + "\n").encode()
        ok = bool(result and result[0])
        yield f"{STATUS_PREFIX}{'ok' if ok else 'fail'}\n".encode()
