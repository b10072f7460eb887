"""The app's deps image on the Docker engine: install in a container, commit the venv.

See paas.builder.deps_install for why it is not a Dockerfile stage. The install
container runs the tenant's build backends as root, like the deps stage did, so what it
may change is checked before its commit: the venv and nothing else.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import docker
import docker.errors

from paas.builder import deps_install as D
from paas.builder.build_stream import BuildStreamError, build_lines
from paas.builder.dockerfile import install_error
from paas.builder.plan import GENERATED_DIR, BuildPlan
from paas.builder.source import PushedCommit
from paas.domain.sizes import BUILD
from paas.errors import BuildFailed, RuntimeUnavailable
from paas.logsink import LogSink
from paas.settings import Settings

INDENT = "       "
#: Lines of the install's output kept to explain a failure (it all streams to the push).
OUTPUT_KEPT = 200
#: The longest piece of output taken as one line.
LINE_BYTES = 64 * 1024
#: Clears every setuid/setgid bit of the base image (su, mount, passwd...): the app runs
#: with no-new-privileges anyway, but an image without them needs no such trust. One
#: image per stack, shared by every app's environment.
STRIP_SETUID = ["/bin/sh", "-c", "find / -xdev -perm /6000 -type f -exec chmod a-s {} + "
                "|| true"]


#: The network a build's containers join, made when first asked for (see
#: ``DockerBuilder``); None leaves them on the engine's default bridge.
BuildNetwork = Callable[[], str] | None


class DepsImages:
    def __init__(self, client: docker.DockerClient, settings: Settings,
                 network: BuildNetwork = None) -> None:
        self.client = client
        self.settings = settings
        self.network = network

    def image_for(self, repository: str, labels: Mapping[str, str], plan: BuildPlan,
                  stack_image: str, stack_id: str, source: PushedCommit, log: LogSink
                  ) -> str:
        """The id of the image holding the app's environment (the stack's, stripped of
        setuid bits, when there is nothing to install); tagged ``repository:deps``.
        ``stack_id`` is the id of ``stack_image``, which the builder looked up."""
        args = D.install_args(plan)
        if not args:
            return self._fresh_base(stack_image)
        deps = plan.dependencies
        ca = self.settings.build.ca_bundle
        inputs = D.Inputs(
            stack_id=stack_id,
            args=tuple(args),
            files=source.blob_ids(deps.files) if deps.files is not None else None,
            generated=dict(deps.generated),
            ca_bundle=ca.read_bytes() if ca is not None else None,
            index_urls=(self.settings.build.pip_index_url,
                        self.settings.build.pip_extra_index_url),
            commit=source.sha,
        )
        previous = self._previous(f"{repository}:{D.TAG}")
        start = D.start(previous, inputs, "")
        if start.image == "":  # a fresh install: only then is the stripped stack needed
            start = replace(start, image=self._fresh_base(stack_image))
        log(f"-----> Dependencies: {start.why}")
        if start.image is None:
            assert previous is not None
            return previous.image
        made = D.DepsImage("", D.key(inputs), D.recipe(inputs), start.depth)
        context = _install_context(plan, source, inputs)
        for attempt in range(2):
            try:
                return self._install(start.image, repository, {**labels, **made.labels()},
                                     args, context, log)
            except _UvMissing:
                if attempt:
                    raise BuildFailed("uv is missing from its volume after filling it") from None
                self._fill_uv(stack_image, inputs, log)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------------------
    def _image_id(self, name: str) -> str:
        try:
            return str(self.client.images.get(name).id)
        except docker.errors.ImageNotFound:
            raise BuildFailed(f"image {name} is missing") from None
        except docker.errors.DockerException as e:
            raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e

    def _previous(self, tag: str) -> D.DepsImage | None:
        try:
            image = self.client.images.get(tag)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.DockerException as e:
            raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e
        return D.DepsImage.from_labels(str(image.id), image.labels or {})

    def _fresh_base(self, stack_image: str) -> str:
        """The stack with its setuid bits cleared: a two-line build the engine caches."""
        dockerfile = f"FROM {stack_image}\nRUN {_json(STRIP_SETUID)}\n".encode()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(dockerfile)
            tar.addfile(info, io.BytesIO(dockerfile))
        buf.seek(0)
        image_id = ""
        try:
            stream = self.client.api.build(fileobj=buf, custom_context=True, rm=True,
                                           forcerm=True, pull=False, decode=True)
            for line in build_lines(stream):
                if line.startswith("Successfully built "):
                    image_id = line.removeprefix("Successfully built ").strip()
        except BuildStreamError as e:
            raise BuildFailed(f"cannot prepare the stack {stack_image}: {e.message}") from None
        except docker.errors.DockerException as e:
            raise RuntimeUnavailable(f"Docker engine error during build: {e}") from e
        if not image_id:
            raise BuildFailed(f"cannot prepare the stack {stack_image}: no image id")
        return self._image_id(image_id)

    def _install(self, image: str, repository: str, labels: Mapping[str, str],
                 args: list[str], context: bytes, log: LogSink) -> str:
        api = self.client.api
        try:
            cid = api.create_container(
                image,
                command=["/bin/sh", "-c", D.INSTALL_SCRIPT, "deps-install", *args],
                user="0:0",
                labels=dict(labels),
                host_config=api.create_host_config(
                    binds={D.UV_VOLUME: {"bind": D.UV_MOUNT, "mode": "ro"}},
                    mem_limit=BUILD.memory, memswap_limit=BUILD.memory,
                    pids_limit=BUILD.pids, cpu_shares=BUILD.cpu_shares,
                    # the tenant's build backends run here, as root
                    network_mode=self.network() if self.network is not None else None),
            )["Id"]
        except docker.errors.DockerException as e:
            raise RuntimeUnavailable(f"cannot create the install container: {e}") from e
        try:
            # the end of the tenant's output is all a cause is read from: bounded
            output: deque[str] = deque(maxlen=OUTPUT_KEPT)
            try:
                # the engine unpacks the tar inside the container, never here
                api.put_archive(cid, D.TMP, context)
                api.start(cid)
                for line in _lines(api.logs(cid, stream=True, follow=True)):
                    output.append(line)
                    log(INDENT + line)
                status = int(api.wait(cid).get("StatusCode", 1))
            except docker.errors.DockerException as e:
                raise RuntimeUnavailable(f"Docker engine error during install: {e}") from e
            if status == D.UV_MISSING:
                raise _UvMissing
            if status != 0:
                cause = install_error(list(output)) or f"the install exited with status {status}"
                raise BuildFailed(f"build failed: {cause}")
            try:
                stray = D.stray_changes(api.diff(cid) or [])
                if stray:
                    raise BuildFailed(
                        f"build failed: the dependency install changed files outside {D.VENV}: "
                        + ", ".join(stray[:3]))
                base_cmd = (self.client.images.get(image).attrs.get("Config") or {}).get("Cmd")
                committed = api.commit(
                    cid, repository=repository, tag=D.TAG,
                    changes=[f"CMD {_json(base_cmd or [])}"])
            except docker.errors.DockerException as e:
                raise RuntimeUnavailable(f"cannot keep the dependency environment: {e}") from e
            # Deleting a fresh venv's files takes seconds the app build need not wait
            # for; the container is labelled, so one left by a stopped server is found
            # and removed with the app.
            threading.Thread(target=self._remove, args=(cid,), daemon=True).start()
            cid = ""
            return str(committed["Id"])
        finally:
            if cid:
                self._remove(cid)

    def _remove(self, cid: str) -> None:
        with contextlib.suppress(docker.errors.DockerException):
            self.client.api.remove_container(cid, force=True)

    def _fill_uv(self, stack_image: str, inputs: D.Inputs, log: LogSink) -> None:
        log(f"-----> Installing uv {D.UV_VERSION} into the build cache (once per engine)")
        api = self.client.api
        env = {k: v for k, v in {"PIP_INDEX_URL": inputs.index_urls[0],
                                 "PIP_EXTRA_INDEX_URL": inputs.index_urls[1]}.items() if v}
        files: dict[str, bytes] = {}
        if inputs.ca_bundle is not None:
            env["PIP_CERT"] = f"{D.TMP}/paas-ca.pem"
            files["paas-ca.pem"] = inputs.ca_bundle
        try:
            with contextlib.suppress(docker.errors.APIError):
                self.client.volumes.create(D.UV_VOLUME, labels={"paas.cache": "uv"})
            cid = api.create_container(
                stack_image, command=["/bin/sh", "-c", D.FILL_UV_SCRIPT, "fill-uv"],
                user="0:0", environment=env,
                host_config=api.create_host_config(
                    binds={D.UV_VOLUME: {"bind": D.UV_MOUNT, "mode": "rw"}}))["Id"]
            try:
                api.put_archive(cid, D.TMP, _tar(files))
                api.start(cid)
                output = list(_lines(api.logs(cid, stream=True, follow=True)))
                status = int(api.wait(cid).get("StatusCode", 1))
            finally:
                with contextlib.suppress(docker.errors.DockerException):
                    api.remove_container(cid, force=True)
        except docker.errors.DockerException as e:
            raise RuntimeUnavailable(f"Docker engine error while installing uv: {e}") from e
        if status != 0:
            for line in output[-10:]:
                log(INDENT + line)
            raise BuildFailed(f"cannot install uv {D.UV_VERSION} into the build cache")


class _UvMissing(Exception):
    pass


def _json(value: Any) -> str:
    return json.dumps(value)


def _tar(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, files)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, files: Mapping[str, bytes]) -> None:
    dirs = sorted({"/".join(n.split("/")[:i]) for n in files
                   for i in range(1, n.count("/") + 1)}, key=lambda d: (d.count("/"), d))
    for directory in dirs:
        info = tarfile.TarInfo(directory)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    for name, data in sorted(files.items()):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))


def _install_context(plan: BuildPlan, source: PushedCommit, inputs: D.Inputs) -> bytes:
    """The install's inputs as a tar for ``/tmp``: the dependency files from git (the
    whole tree when the install reads it), generated files, CA bundle and index URLs."""
    def member(path: str) -> str:
        """A container path under /tmp as a member of the tar unpacked at /tmp."""
        return path.removeprefix(D.TMP + "/")

    files: dict[str, bytes] = {}
    for name, text in plan.dependencies.generated.items():
        files[member(f"{GENERATED_DIR}/{name}")] = text.encode()
    if inputs.ca_bundle is not None:
        files[member(D.CA_FILE)] = inputs.ca_bundle
    for path, url in ((D.INDEX_FILE, inputs.index_urls[0]),
                      (D.EXTRA_INDEX_FILE, inputs.index_urls[1])):
        if url:
            files[member(path)] = url.encode()
    with tempfile.TemporaryFile(prefix="paas-deps-") as out:
        paths = plan.dependencies.files
        archived = paths is None or bool(paths)
        if archived:
            source.archive(out, prefix=member(D.SRC_DIR) + "/", paths=paths)
        out.seek(0)
        # "a" reads the members' headers only: nothing is extracted here
        with tarfile.open(fileobj=out, mode="a" if archived else "w",
                          format=tarfile.PAX_FORMAT) as tar:
            _add(tar, files)
        out.seek(0)
        return out.read()


def _lines(stream: Iterator[bytes]) -> Iterator[str]:
    """A container's output as lines, however the engine split its writes; output that
    never ends a line comes out in pieces of ``LINE_BYTES``, not held in memory."""
    pending = b""
    for chunk in stream:
        pending += bytes(chunk)
        *complete, pending = pending.split(b"\n")
        for line in complete:
            for start in range(0, max(len(line), 1), LINE_BYTES):
                yield line[start:start + LINE_BYTES].decode(errors="replace").rstrip("\r")
        while len(pending) > LINE_BYTES:
            yield pending[:LINE_BYTES].decode(errors="replace")
            pending = pending[LINE_BYTES:]
    if pending:
        yield pending.decode(errors="replace")
