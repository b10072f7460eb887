"""``paas stack build``: the platform's base images, made from Debian packages.

On a machine with a registry, ``python:3.x-slim``, ``nginx`` and ``redis`` images serve
(set PAAS_STACK_IMAGE and friends). Air-gapped hosts, and these build machines, have no
registry: there the root file system comes from ``debootstrap`` against the host's own
Debian mirror and is imported, and the other images are built on top of it with apt.
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
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from paas.builder.build_stream import BuildStreamError, drain
from paas.errors import PaasError, RuntimeUnavailable
from paas.logsink import LogSink
from paas.settings import StackImages

SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates", "tini")
_DEFAULT_MIRROR = "http://deb.debian.org/debian"


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
            suite = re.search(r"^Suites:.*\b" + SUITE + r"\b", stanza, re.M)
            if suite and "security" not in stanza:
                m = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                if m:
                    return m.group(1).rstrip("/")
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and SUITE in parts and "security" not in line:
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


def _rootfs_tar(mirror: str, cache_dir: Path, log: LogSink) -> Path:
    """debootstrap once; the tarball is cached so a lost engine re-imports in seconds."""
    tar_path = cache_dir / f"rootfs-{SUITE}.tar"
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
        log(f"-----> debootstrap {SUITE} from {mirror} (about a minute)")
        started = time.monotonic()
        result = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                SUITE,
                str(root),
                mirror,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
            raise PaasError(f"debootstrap failed: {tail}")
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


def _python_dockerfile(base: str) -> str:
    return "\n".join(
        [
            f"FROM {base}",
            "RUN " + json.dumps(["python3", "-m", "venv", STACK_VENV]),
            'CMD ["python3"]',
        ]
    )


def _build_dockerfile(client: docker.DockerClient, df: str, tag: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = df.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    try:
        drain(client.api.build(fileobj=buf, custom_context=True, tag=tag, rm=True,
                               decode=True, pull=False))
    except BuildStreamError as e:
        raise PaasError(f"building {tag} failed: {e.message}") from None


def rootfs_image(images: StackImages) -> str:
    """The imported Debian root file system every stack image starts from."""
    repository = images.python.rpartition(":")[0] or images.python
    return f"{repository}-rootfs:{images.python.rpartition(':')[2] or 'latest'}"


def build_stack(
    images: StackImages,
    cache_dir: Path,
    log: LogSink,
    *,
    force: bool = False,
    client: docker.DockerClient | None = None,
) -> list[str]:
    """Build the missing stack images (all with ``force``); returns the names built."""
    try:
        client = client or docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e
    built: list[str] = []
    base = rootfs_image(images)
    wanted = [images.python, images.router, images.redis]
    missing = force or not all(_exists(client, n) for n in wanted)
    if missing and (force or not _exists(client, base)):
        tar_path = _rootfs_tar(apt_mirror(), cache_dir, log)
        log(f"-----> Importing {base}")
        # A path (not a stream): the SDK then sends a sized body; the engine rejects
        # its chunked upload of a stream ("invalid byte in chunk length").
        repository, _, tag = base.rpartition(":")
        client.api.import_image_from_file(
            str(tar_path),
            repository=repository,
            tag=tag,
            changes=["ENV LANG=C.UTF-8", 'CMD ["python3"]'],
        )
    if force or not _exists(client, images.python):
        log(f"-----> Building {images.python}")
        _build_dockerfile(client, _python_dockerfile(base), images.python)
        built.append(images.python)
    for key, name in (("router", images.router), ("redis", images.redis)):
        if force or not _exists(client, name):
            log(f"-----> Building {name}")
            _build_dockerfile(client, _recipe_dockerfile(base, RECIPES[key]), name)
            built.append(name)
    if not built:
        log("-----> Stack images present: " + ", ".join((images.python, images.router,
                                                          images.redis)))
    return built
