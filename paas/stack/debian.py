"""``paas stack build``: the platform's base images, made from Debian packages.

On a machine with a registry, ``python:3.x-slim``, ``nginx``, ``redis`` and
``postgres:15`` images serve (set PAAS_STACK_IMAGE, PAAS_POSTGRES_IMAGE and friends).
Air-gapped hosts, and these build machines, have no registry: there the root file
system comes from ``debootstrap`` against the host's own Debian mirror and is imported,
and the other images are built on top of it with apt.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from paas.builder.build_stream import BuildStreamError, drain
from paas.errors import PaasError, RuntimeUnavailable
from paas.logsink import LogSink
from paas.settings import DEBIAN_STACKS, PythonStack, StackImages

#: The Debian release the host's apt sources name, whose mirror serves every suite.
HOST_SUITE = "bookworm"
#: Packages of every root file system; the Python ones come from the stack.
BASE_PACKAGES = ("ca-certificates", "tini")
_DEFAULT_MIRROR = "http://deb.debian.org/debian"
_SCRIPTS = Path("/usr/share/debootstrap/scripts")


def apt_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The host's Debian mirror, read from its apt sources (deb822 or one-line form)."""
    candidates: list[Path] = []
    d = sources_dir / "sources.list.d"
    if d.is_dir():
        candidates += sorted(d.glob("*.sources")) + sorted(d.glob("*.list"))
    candidates.append(sources_dir / "sources.list")
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            suite = re.search(r"^Suites:.*\b" + HOST_SUITE + r"\b", stanza, re.M)
            if suite and "security" not in stanza:
                m = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                if m:
                    return m.group(1).rstrip("/")
        for line in text.splitlines():
            parts = line.split()
            if (len(parts) >= 3 and parts[0] == "deb" and HOST_SUITE in parts
                    and "security" not in line):
                uri = next(p for p in parts[1:] if "://" in p)
                return uri.rstrip("/")
    return _DEFAULT_MIRROR


@dataclass(frozen=True)
class Recipe:
    """An image built FROM the base with extra Debian packages."""

    packages: tuple[str, ...]
    cmd: tuple[str, ...]


RECIPES = {
    # iptables: the same image runs the platform's host firewall helper (metadata block).
    "router": Recipe(("nginx-light", "iptables"), ("nginx", "-g", "daemon off;")),
    "redis": Recipe(("redis-server",), ("redis-server", "--protected-mode", "no")),
}
#: The python stack carries a ready venv at this path: creating one with pip at build
#: time costs about 6 s of every cold build (ensurepip), and nothing of the app.
STACK_VENV = "/opt/venv"


def _exists(client: docker.DockerClient, name: str) -> bool:
    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def debootstrap_command(stack: PythonStack, root: Path, mirror: str,
                        scripts: Path = _SCRIPTS) -> list[str]:
    """The debootstrap call for ``stack``'s Debian release.

    A release newer than the host's debootstrap knows (forky on bookworm) is bootstrapped
    with the script the stack names (sid's): the suite's packages come from the mirror
    all the same.
    """
    assert stack.suite is not None
    args = ["debootstrap", "--variant=minbase",
            f"--include={','.join((*stack.packages, *BASE_PACKAGES))}",
            stack.suite, str(root), mirror]
    if not (scripts / stack.suite).exists() and stack.script:
        args.append(str(scripts / stack.script))
    return args


def _rootfs_tar(stack: PythonStack, mirror: str, cache_dir: Path, log: LogSink) -> Path:
    """debootstrap once per release; the tarball is cached so a lost engine re-imports
    in seconds."""
    assert stack.suite is not None
    tar_path = cache_dir / f"rootfs-{stack.suite}.tar"
    if tar_path.exists():
        log(f"-----> Using cached root file system {tar_path}")
        return tar_path
    if shutil.which("debootstrap") is None:
        raise PaasError("debootstrap is not installed: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise PaasError("building the stack with debootstrap needs root")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="paas-rootfs-", dir=cache_dir) as tmp:
        root = Path(tmp) / "root"
        log(f"-----> debootstrap {stack.suite} from {mirror} (about a minute)")
        started = time.monotonic()
        result = subprocess.run(debootstrap_command(stack, root, mirror),
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
            raise PaasError(f"debootstrap {stack.suite} failed: {tail}")
        # Trim what an image never needs: apt lists and caches, docs.
        for junk in ("var/lib/apt/lists", "var/cache/apt/archives", "usr/share/doc",
                     "usr/share/man", "usr/share/info"):
            shutil.rmtree(root / junk, ignore_errors=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        partial = tar_path.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.rename(tar_path)
        log(f"       root file system ready in {time.monotonic() - started:.0f}s")
    return tar_path


def _recipe_dockerfile(base: str, recipe: Recipe) -> str:
    return "\n".join(
        [
            f"FROM {base}",
            "ENV DEBIAN_FRONTEND=noninteractive",
            "RUN apt-get update -q && apt-get install -y -q --no-install-recommends "
            + " ".join(recipe.packages)
            + " && rm -rf /var/lib/apt/lists/*",
            "CMD " + json.dumps(list(recipe.cmd)),
        ]
    )


def python_dockerfile(base: str, stack: PythonStack) -> str:
    """The stack image: the root file system plus a ready venv of the stack's Python.

    ``python3.X -m venv`` names the interpreter, so a release whose ``python3`` is
    another version still gives the venv the Python the image name promises, and a
    release without it fails here rather than in an app build.
    """
    labels = {"paas.python": stack.python, "paas.debian": stack.suite or ""}
    return "\n".join(
        [
            f"FROM {base}",
            "RUN " + json.dumps([f"python{stack.python}", "-m", "venv", STACK_VENV]),
            "LABEL " + " ".join(f"{json.dumps(k)}={json.dumps(v)}" for k, v in labels.items()),
            "CMD " + json.dumps([f"{STACK_VENV}/bin/python"]),
        ]
    )


#: PostgreSQL's major version in the stack image (Debian bookworm's postgresql-15).
POSTGRES_MAJOR = 15
#: The official image's postgres uid and gid; ours matches it.
POSTGRES_UID = 999
#: The entrypoint that gives our image the official image's contract (see the script).
POSTGRES_ENTRYPOINT = Path(__file__).with_name("postgres-entrypoint.sh")


def _postgres_dockerfile(base: str) -> str:
    """Debian's postgresql-15 without the cluster its package would create, started by an
    entrypoint with the official image's contract (POSTGRES_PASSWORD_FILE, PGDATA at
    /var/lib/postgresql/data), so one add-on record fits this image and ``postgres:15``."""
    bindir = f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin"
    return "\n".join(
        [
            f"FROM {base}",
            "ENV DEBIAN_FRONTEND=noninteractive",
            # uid/gid 999 as in the official image, so a pod's runAsUser fits both
            f"RUN groupadd --system --gid {POSTGRES_UID} postgres"
            f" && useradd --system --uid {POSTGRES_UID} --gid postgres"
            " --home-dir /var/lib/postgresql --shell /bin/sh postgres",
            "RUN mkdir -p /etc/postgresql-common/createcluster.d"
            " && echo 'create_main_cluster = false'"
            " > /etc/postgresql-common/createcluster.d/no-main-cluster.conf"
            " && apt-get update -q && apt-get install -y -q --no-install-recommends"
            f" postgresql-{POSTGRES_MAJOR} && rm -rf /var/lib/apt/lists/*"
            # any uid may make its socket here (the official image's mode)
            " && mkdir -p /var/run/postgresql && chmod 3777 /var/run/postgresql",
            f"ENV PATH={bindir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            " PGDATA=/var/lib/postgresql/data",
            "COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh",
            'ENTRYPOINT ["docker-entrypoint.sh"]',
            # smart shutdown waits for clients; SIGINT (fast) is what the official uses
            "STOPSIGNAL SIGINT",
            "EXPOSE 5432",
            'CMD ["postgres"]',
        ]
    )


def _build_dockerfile(client: docker.DockerClient, df: str, tag: str,
                      files: dict[str, tuple[bytes, int]] | None = None) -> None:
    """Build ``df`` with ``files`` (name -> content, mode) beside it in the context."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (content, mode) in {"Dockerfile": (df.encode(), 0o644),
                                      **(files or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = mode
            tar.addfile(info, io.BytesIO(content))
    buf.seek(0)
    try:
        drain(client.api.build(fileobj=buf, custom_context=True, tag=tag, rm=True,
                               decode=True, pull=False))
    except BuildStreamError as e:
        raise PaasError(f"building {tag} failed: {e.message}") from None


def rootfs_for(stack: PythonStack) -> str:
    """The imported Debian root file system a stack image starts from."""
    repository, _, tag = stack.image.rpartition(":")
    return f"{repository or stack.image}-rootfs:{tag or 'latest'}"


def rootfs_image(images: StackImages) -> str:
    """The bookworm root file system the router, redis and platform images start from."""
    return rootfs_for(_host_stack(images))


def _host_stack(images: StackImages) -> PythonStack:
    """The Debian stack of the host's release: router and redis images share its root."""
    return next((s for s in images.pythons if s.suite == HOST_SUITE), DEBIAN_STACKS[0])


def _ensure_rootfs(client: docker.DockerClient, stack: PythonStack, cache_dir: Path,
                   log: LogSink, force: bool) -> str:
    base = rootfs_for(stack)
    if force or not _exists(client, base):
        tar_path = _rootfs_tar(stack, apt_mirror(), cache_dir, log)
        log(f"-----> Importing {base}")
        # A path (not a stream): the SDK then sends a sized body; the engine rejects
        # its chunked upload of a stream ("invalid byte in chunk length").
        repository, _, tag = base.rpartition(":")
        client.api.import_image_from_file(
            str(tar_path), repository=repository, tag=tag,
            changes=["ENV LANG=C.UTF-8", 'CMD ["/bin/sh"]'],
        )
    return base


def pythons_to_build(images: StackImages, present: set[str],
                     asked: Sequence[PythonStack] | None) -> tuple[PythonStack, ...]:
    """The Python stacks a build makes: those asked for; without a request (a platform
    starting), the baseline one, and only when no Python stack exists yet, so a server
    start never spends minutes on stacks nobody asked for."""
    if asked is not None:
        return tuple(asked)
    if any(s.image in present for s in images.pythons):
        return ()
    return (images.baseline,)


def build_stack(
    images: StackImages,
    cache_dir: Path,
    log: LogSink,
    *,
    pythons: Sequence[PythonStack] | None = None,
    force: bool = False,
    client: docker.DockerClient | None = None,
) -> list[str]:
    """Build the missing router and redis images and Python stacks (all with ``force``);
    ``pythons`` None means what a starting platform needs (see pythons_to_build).
    Returns the names built."""
    try:
        client = client or docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e
    built: list[str] = []
    present = {s.image for s in images.pythons if _exists(client, s.image)}
    for stack in pythons_to_build(images, present, pythons):
        if not force and stack.image in present:
            continue
        if stack.suite is None:
            log(f"-----> {stack.image} is provided, not built here: pull or build it")
            continue
        started = time.monotonic()
        base = _ensure_rootfs(client, stack, cache_dir, log, force)
        log(f"-----> Building {stack.image} ({stack.label})")
        _build_dockerfile(client, python_dockerfile(base, stack), stack.image)
        log(f"       {stack.image} built in {time.monotonic() - started:.0f}s")
        built.append(stack.image)
    for key, name in (("router", images.router), ("redis", images.redis)):
        if force or not _exists(client, name):
            base = _ensure_rootfs(client, _host_stack(images), cache_dir, log, False)
            log(f"-----> Building {name}")
            _build_dockerfile(client, _recipe_dockerfile(base, RECIPES[key]), name)
            built.append(name)
    if force or not _exists(client, images.postgres):
        base = _ensure_rootfs(client, _host_stack(images), cache_dir, log, False)
        log(f"-----> Building {images.postgres}")
        _build_dockerfile(client, _postgres_dockerfile(base), images.postgres, files={
            "postgres-entrypoint.sh": (POSTGRES_ENTRYPOINT.read_bytes(), 0o755)})
        built.append(images.postgres)
    if not built:
        names = [s.image for s in images.pythons if s.image in present]
        log("-----> Stack images present: " + ", ".join((*names, images.router,
                                                          images.redis, images.postgres)))
    return built
