"""Git over smart HTTP, served by git's own ``git http-backend`` (a CGI program).

git does the protocol; we do authentication, map URLs to app repositories, and give the
CGI the environment its pre-receive hook needs to call back into the platform.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import IO

import git

from paas.errors import PaasError

HOOK_TEMPLATE = """#!{python}
# Written by the paas server at each start; edits are lost.
import runpy
runpy.run_module("paas.server.hook", run_name="__main__")
"""


class Repos:
    """Bare repositories, one per app, each with the platform's pre-receive hook."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, app: str) -> Path:
        return self.root / f"{app}.git"

    def ensure(self, app: str) -> Path:
        path = self.path(app)
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            # HEAD on main, the branch that deploys, so a plain `git clone` checks it out.
            repo = git.Repo.init(path, bare=True, initial_branch="main")
            with repo.config_writer() as cw:
                cw.set_value("http", "receivepack", "true")
                cw.set_value("receive", "denyDeletes", "true")
                cw.set_value("receive", "denyNonFastForwards", "false")
        self.install_hook(path)
        return path

    def install_hook(self, path: Path) -> None:
        hook = path / "hooks" / "pre-receive"
        hook.parent.mkdir(exist_ok=True)
        text = HOOK_TEMPLATE.format(python=sys.executable)
        if not hook.exists() or hook.read_text() != text:
            hook.write_text(text)
            hook.chmod(0o755)

    def install_all_hooks(self) -> None:
        if self.root.is_dir():
            for path in self.root.glob("*.git"):
                self.install_hook(path)

    def remove(self, app: str) -> None:
        shutil.rmtree(self.path(app), ignore_errors=True)


@dataclass(frozen=True)
class CgiResponse:
    status: str
    headers: list[tuple[str, str]]
    body: Iterator[bytes]


def _pump(src: IO[bytes], dst: IO[bytes]) -> None:
    try:
        while chunk := src.read(65536):
            dst.write(chunk)
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.close()


def run_http_backend(
    project_root: Path,
    path_info: str,
    method: str,
    query: str,
    content_type: str,
    body: IO[bytes],
    extra_env: Mapping[str, str],
) -> CgiResponse:
    """Run the CGI, feeding ``body`` and streaming its output as it comes.

    Streaming matters: the pre-receive hook's build log travels inside this response,
    and the pusher should see it live, not after the build.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(project_root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": path_info,
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        **extra_env,
    }
    try:
        proc = subprocess.Popen(
            ["git", "http-backend"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
    except OSError as e:
        # The reason (and the host path in it) goes to the server's log via the cause.
        raise PaasError("cannot run git http-backend on the server: is git installed?") from e
    assert proc.stdin is not None and proc.stdout is not None
    feeder = threading.Thread(target=_pump, args=(body, proc.stdin), daemon=True)
    feeder.start()

    status = "200 OK"
    headers: list[tuple[str, str]] = []
    stdout: BufferedReader = proc.stdout  # type: ignore[assignment]
    while True:
        line = stdout.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").rstrip("\r\n").partition(":")
        if name.lower() == "status":
            status = value.strip()
        else:
            headers.append((name.strip(), value.strip()))

    def stream() -> Iterator[bytes]:
        try:
            while chunk := stdout.read1(65536):
                yield chunk
        finally:
            stdout.close()
            proc.wait()
            feeder.join(timeout=5)

    return CgiResponse(status, headers, stream())
