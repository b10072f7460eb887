"""Static files out of a release's image, onto the host, where the router's nginx serves them.

The router container mounts ``<home>/static`` read-only at /srv/static. Each release's
static folders are copied out of its image once, into ``<app>/v<release>/<n>`` (from a
created, never started, container), and published by an atomic rename, so nginx never
sees a half-copied folder. Older releases' folders are removed after the router has
switched to the new release and its old workers have exited.

The image is the tenant's, so the archive the engine copies out of it is unpacked by
``unpack``: no links, no devices, no name out, every file opened with O_NOFOLLOW under
folders it made itself. A static folder holding a link fails the deploy with the link's
name in the image; no host path is ever shown.
"""

from __future__ import annotations

import contextlib
import shutil
import tarfile
import tempfile
from pathlib import Path

import docker
import docker.errors

from paas.domain.release import Build, StaticMount
from paas.errors import DeployFailed
from paas.logsink import LogSink
from paas.runtime.docker.unpack import UnsafeArchive, is_plain_folder, unpack


class _Stream:
    """A file-like view of the engine's archive chunks, so tarfile can stream them."""

    def __init__(self, chunks: object) -> None:
        self._chunks = iter(chunks)  # type: ignore[call-overload]
        self._buf = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            try:
                self._buf += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out


class StaticFiles:
    def __init__(self, client: docker.DockerClient, root: Path) -> None:
        self.client = client
        self.root = root

    def release_dir(self, app: str, release: int) -> Path:
        return self.root / app / f"v{release}"

    def publish(
        self, app: str, release: int, build: Build, log: LogSink
    ) -> tuple[tuple[StaticMount, str], ...]:
        """The mounts of ``build`` with their folders relative to the router's root."""
        if not build.static:
            return ()
        target = self.release_dir(app, release)
        if not target.is_dir():
            self._export(build, target, log)
        return tuple(
            (mount, f"{app}/v{release}/{index}")
            for index, mount in enumerate(build.static)
            if (target / str(index)).is_dir()
        )

    def _export(self, build: Build, target: Path, log: LogSink) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        try:
            container = self.client.containers.create(build.image, command=["true"])
        except docker.errors.APIError as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise DeployFailed(f"cannot read static files of {build.image}: {e}") from e
        try:
            count = 0
            for index, mount in enumerate(build.static):
                folder = mount.path.rstrip("/")
                try:
                    chunks, _ = container.get_archive(folder)
                except docker.errors.NotFound:
                    log(f"-----> Static folder {mount.path} is not in the image; "
                        f"{mount.url_prefix} goes to the app")
                    continue
                unpacked = staging / f".{index}"
                try:
                    count += unpack(_Stream(chunks), unpacked)  # type: ignore[arg-type]
                except UnsafeArchive as e:
                    raise DeployFailed(
                        f"static folder {mount.path} of the image holds {e}: nginx serves "
                        "regular files and folders only; replace links with the files"
                    ) from None
                # the archive holds the folder itself, under its own name
                inside = unpacked / Path(folder).name
                if not is_plain_folder(inside):
                    raise DeployFailed(f"static folder {mount.path} of the image is not a "
                                       "folder")
                inside.rename(staging / str(index))
                shutil.rmtree(unpacked)
            # mkdtemp made it 0700; nginx's workers run as another user
            staging.chmod(0o755)
            staging.rename(target)
            log(f"-----> Static files: {count} published for nginx")
        except (docker.errors.APIError, tarfile.TarError) as e:
            raise DeployFailed(f"cannot copy static files out of {build.image}: {e}") from e
        except OSError as e:
            # the OS's message names a file of this host: the pusher gets its reason only
            raise DeployFailed(f"cannot copy static files out of {build.image}: "
                               f"{e.strerror or type(e).__name__}") from e
        finally:
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
            shutil.rmtree(staging, ignore_errors=True)

    def prune(self, app: str, keep: int | None) -> None:
        """Remove the app's release folders but ``keep`` (all of them when None)."""
        folder = self.root / app
        if not folder.is_dir():
            return
        for child in folder.iterdir():
            if child.name != f"v{keep}":
                shutil.rmtree(child, ignore_errors=True)
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
