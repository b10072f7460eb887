"""The server side of the pre-receive hook: check the pushed ref, deploy the commit.

The commit is handed to the builder as git objects (``PushedCommit``), never unpacked
here. What the pusher reads back carries no path of this host: they say nothing to a
tenant, and tell an attacker where things are.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence

from paas.builder.source import PushedCommit
from paas.errors import PaasError
from paas.server.hook import STATUS_PREFIX
from paas.services.deploy import Deployer
from paas.settings import Settings
from paas.store.port import Store

log = logging.getLogger(__name__)

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


def without_host_paths(text: str, host_dirs: Sequence[str]) -> str:
    """``text`` with each of the platform's own directories replaced by a placeholder:
    a last guard for messages that name a file under them (an error of git or the OS)."""
    for directory in sorted({d.rstrip("/") for d in host_dirs if d.strip("/")},
                            key=len, reverse=True):
        text = text.replace(directory, "<paas>")
    return text


class Receiver:
    def __init__(self, settings: Settings, deployer: Deployer, store: Store) -> None:
        self.settings = settings
        self.deployer = deployer
        self.store = store

    def _deploy(self, app: str, user: str, refs: Sequence[Sequence[str]],
                env: Mapping[str, str], lines: queue.Queue[str | None]) -> bool:
        home = self.settings.home
        host_dirs = (str(home), str(home.resolve()))

        def emit(line: str) -> None:
            lines.put(without_host_paths(line, host_dirs))

        try:
            sha, ref = choose_ref(refs)
            emit(f"-----> Deploying {app} from {ref.rsplit('/', 1)[-1]} ({sha[:7]})")
            source = PushedCommit(self.settings.repos_dir / f"{app}.git", sha, dict(env))
            release = self.deployer.deploy_source(app, source, sha, user, emit)
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
        except Exception as e:
            # its text may name host files: the server's log keeps it, the pusher gets
            # its kind
            log.exception("deploy of %s failed", app)
            emit(f"-----> Push rejected: internal error ({type(e).__name__}); "
                 "the platform's log has the details")
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
