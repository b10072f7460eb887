"""How an app's dependency environment is installed and kept: pure decisions and values.

The environment (the venv at ``/opt/venv``) is an image of its own, the app's *deps
image*, and the app image is built ``FROM`` it. Installing in a ``deps`` stage of the
Dockerfile and copying the venv into the app stage cost about 8 s of every changed
requirement (the ``COPY --from`` of a 100 MB venv with the engine's classic builder,
which has no cache mounts; the engine's BuildKit needs a client this platform does not
have). It cannot be a stage the app image starts from either: the classic builder
records build arguments used by RUN in the image history and every COPY as a layer, and
the index URL (credentials) and CA bundle must never reach the app image.

So the install runs in a container the platform creates: the CA bundle and index URLs
reach it as files under ``/tmp/build`` (removed before the container is committed, so
they are in no layer), uv from a read-only volume (in no layer), and nothing secret in
its environment or command line, which the commit records. The commit is refused when
the install changed anything outside the venv.

A changed requirement starts from the app's previous deps image and syncs it exactly
(``uv pip install --exact``): only the changed packages are downloaded, removed ones are
removed, and the new layer holds only the difference. The chain of such layers is
bounded: after ``MAX_CHAIN`` of them, or when the stack, uv, the index or the CA bundle
changed, the environment is installed afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paas.builder.plan import BuildPlan

VENV = "/opt/venv"
#: The uv release installs use: pinned, so a build never changes by itself.
UV_VERSION = "0.13.9"
#: A volume with uv, shared by every build on the engine (like the stack images, a cache
#: the platform fills once); mounted read-only, at a folder every base image has, so the
#: mount point adds nothing to the committed layer.
UV_VOLUME = f"paas-uv-{UV_VERSION}"
UV_MOUNT = "/mnt"
UV = f"{UV_MOUNT}/uv/bin/uv"
#: The install container's exit status when the uv volume is empty: fill it, run again.
UV_MISSING = 97
#: Where the install's inputs are unpacked in the container; removed before the commit.
TMP = "/tmp"  # noqa: S108 - the install container's, emptied before its commit
BUILD_DIR = f"{TMP}/build"
SRC_DIR = f"{BUILD_DIR}/src"
CA_FILE = f"{BUILD_DIR}/paas/ca.pem"
INDEX_FILE = f"{BUILD_DIR}/paas/index-url"
EXTRA_INDEX_FILE = f"{BUILD_DIR}/paas/extra-index-url"
#: Incremental installs on top of one fresh install before the next fresh one: each
#: adds a layer (and keeps the files it replaced in the one below).
MAX_CHAIN = 8
#: Labels a deps image carries besides the app's own.
KEY_LABEL = "paas.deps.key"
RECIPE_LABEL = "paas.deps.recipe"
DEPTH_LABEL = "paas.deps.depth"
#: The app repository's tag of its current deps image.
TAG = "deps"

#: Runs ``uv pip install --exact ARGS`` into the venv, as the container's PID 1. A
#: constant script: the arguments come as positional parameters, the index URLs from
#: files, so the commit's record of the command holds no secret. Before the commit it
#: ends every other process (a build backend's leftover could still write), clears any
#: setuid bit the install made and removes its inputs.
INSTALL_SCRIPT = (
    f"test -x {UV} || exit {UV_MISSING}; "
    f"test -x {VENV}/bin/python || python3 -m venv --without-pip {VENV} || exit 1; "
    f"if [ -f {CA_FILE} ]; then export SSL_CERT_FILE={CA_FILE}; fi; "
    f'if [ -f {EXTRA_INDEX_FILE} ]; then set -- --extra-index-url "$(cat {EXTRA_INDEX_FILE})" '
    '"$@"; fi; '
    f'if [ -f {INDEX_FILE} ]; then set -- --index-url "$(cat {INDEX_FILE})" "$@"; fi; '
    f"cd {SRC_DIR} 2>/dev/null || cd {BUILD_DIR}; "
    f"{UV} pip install --python {VENV}/bin/python --exact --no-cache --link-mode=copy "
    '--compile-bytecode --no-progress --color never "$@" 2>&1; status=$?; '
    "cd /; kill -9 -1 2>/dev/null; "
    f"find {VENV} -perm /6000 -type f -exec chmod a-s {{}} + ; "
    f"rm -rf {BUILD_DIR}; exit $status"
)
#: Fills the uv volume with pip from the stack (a container that is removed, never
#: committed: the index URL may sit in its environment). Concurrent fills each write a
#: folder of their own; the first one renamed into place wins.
FILL_UV_SCRIPT = (
    f"if [ -x {VENV}/bin/pip ]; then set -- {VENV}/bin/pip \"$@\"; "
    'else set -- python3 -m pip "$@"; fi; '
    f"d={UV_MOUNT}/.uv-$(hostname); rm -rf \"$d\"; "
    '"$@" install --no-cache-dir --disable-pip-version-check --progress-bar off '
    f'--target "$d" "uv=={UV_VERSION}" 2>&1 || exit 1; '
    f'mv -T "$d" {UV_MOUNT}/uv 2>/dev/null || rm -rf "$d"; test -x {UV}'
)


def install_args(plan: BuildPlan) -> list[str]:
    """One ``uv pip install`` for everything: an exact sync must see every requirement
    at once. Server packages come last, unpinned, so an app that pins its server keeps
    its pin."""
    args = [a for group in plan.dependencies.pip_args for a in group]
    return [*args, *plan.packages]


@dataclass(frozen=True)
class Inputs:
    """What decides the environment's content, hashed into the deps image's labels."""

    stack_id: str
    args: tuple[str, ...]
    #: Source files the install reads, as git ids (equal content, equal id); None when
    #: the install reads the whole source tree, which is never reused then.
    files: Mapping[str, str] | None
    generated: Mapping[str, str]
    ca_bundle: bytes | None
    index_urls: tuple[str | None, str | None]
    commit: str


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def recipe(inputs: Inputs) -> str:
    """Everything an environment shares with the one it grows from: a change here
    means a fresh install. Hashed: the index URL may carry credentials."""
    ca = hashlib.sha256(inputs.ca_bundle).hexdigest() if inputs.ca_bundle else None
    return _digest([inputs.stack_id, UV_VERSION, INSTALL_SCRIPT, list(inputs.index_urls), ca])


def key(inputs: Inputs) -> str:
    """Equal keys, equal environments: the previous deps image is reused as it is."""
    files: object = dict(inputs.files) if inputs.files is not None else inputs.commit
    return _digest([recipe(inputs), list(inputs.args), files, dict(inputs.generated)])


@dataclass(frozen=True)
class DepsImage:
    image: str
    key: str
    recipe: str
    depth: int

    @classmethod
    def from_labels(cls, image: str, labels: Mapping[str, str]) -> DepsImage | None:
        try:
            return cls(image, labels[KEY_LABEL], labels[RECIPE_LABEL],
                       int(labels[DEPTH_LABEL]))
        except (KeyError, ValueError):
            return None

    def labels(self) -> dict[str, str]:
        return {KEY_LABEL: self.key, RECIPE_LABEL: self.recipe, DEPTH_LABEL: str(self.depth)}


@dataclass(frozen=True)
class Start:
    """Where an install starts: ``image`` None means the previous environment is reused
    as it is; ``depth`` is the new environment's number of install layers."""

    image: str | None
    depth: int
    why: str


def start(previous: DepsImage | None, inputs: Inputs, fresh_base: str) -> Start:
    if previous is not None and previous.key == key(inputs):
        return Start(None, previous.depth, "dependencies unchanged: reusing the environment "
                     "of the previous build")
    if previous is not None and previous.recipe == recipe(inputs) \
            and previous.depth < MAX_CHAIN:
        return Start(previous.image, previous.depth + 1,
                     "dependencies changed: syncing the previous environment")
    why = "first install" if previous is None else (
        f"fresh install after {previous.depth} incremental ones" if previous.depth >= MAX_CHAIN
        else "fresh install: the stack, uv, the index or the CA bundle changed")
    return Start(fresh_base, 1, why)


def stray_changes(diff: Iterable[Mapping[str, object]]) -> list[str]:
    """Paths an install changed outside the venv (the engine's container diff). The
    folders above the venv and the emptied ``/tmp`` are expected."""
    allowed = {"/opt", TMP}
    return [str(d.get("Path")) for d in diff
            if str(d.get("Path")) not in allowed
            and not (str(d.get("Path")) == VENV or str(d.get("Path")).startswith(VENV + "/"))]
