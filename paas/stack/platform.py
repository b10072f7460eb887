"""``paas stack build --platform``: the image the Helm chart runs the platform server from.

Made like the stack: the Debian root file system, git from Debian (``git http-backend``
serves pushes), and a venv with this checkout's wheel. The wheel and its dependencies
are installed in a first stage that sees the pip CA bundle and index; the final image
gets the venv only, runs as uid 10001 and has no build tools.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

import docker
import docker.errors

import paas
from paas.builder.build_stream import BuildStreamError, drain
from paas.errors import BuildFailed, PaasError, RuntimeUnavailable
from paas.logsink import LogSink
from paas.settings import BuildSettings

VENV = "/opt/paas"
#: Inside the deps stage only; never a path on the host.
STAGE = "/tmp/build"  # noqa: S108
UID = 10001


def platform_tag(repository: str = "paas/platform") -> str:
    return f"{repository}:{paas.__version__}"


def source_root() -> Path:
    """The checkout paas runs from; the image is built from it, not from an index."""
    root = Path(paas.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        raise PaasError(f"paas is not running from a source checkout ({root}): "
                        "the platform image is built from one")
    return root


def dependencies(root: Path) -> list[str]:
    """paas's runtime requirements, installed in their own layer before the wheel."""
    with (root / "pyproject.toml").open("rb") as f:
        deps = tomllib.load(f).get("project", {}).get("dependencies", [])
    return [str(d) for d in deps]


def render(wheel: str, with_ca: bool, base: str, requirements: list[str]) -> str:
    """The two-stage Dockerfile; every instruction's arguments are JSON (exec form).

    Dependencies get their own layer, so a code change rebuilds only the wheel's.
    """
    pip = [f"{VENV}/bin/pip", "install", "--no-cache-dir", "--disable-pip-version-check",
           "--progress-bar", "off"]
    if with_ca:
        pip += ["--cert", f"{STAGE}/ca.pem"]
    lines = [
        f"FROM {base} AS deps",
        "ARG PIP_INDEX_URL",
        "ARG PIP_EXTRA_INDEX_URL",
        "RUN " + json.dumps(["python3", "-m", "venv", VENV]),
    ]
    if with_ca:
        lines.append("COPY " + json.dumps(["ca.pem", f"{STAGE}/ca.pem"]))
    if requirements:
        lines.append("RUN " + json.dumps([*pip, *requirements]))
    lines += [
        "COPY " + json.dumps([wheel, f"{STAGE}/{wheel}"]),
        "RUN " + json.dumps([*pip, "--no-deps", f"{STAGE}/{wheel}"]),
        f"FROM {base}",
        "ENV DEBIAN_FRONTEND=noninteractive",
        "RUN " + json.dumps(["/bin/sh", "-c", "apt-get update -q && apt-get install -y -q "
                             "--no-install-recommends git && rm -rf /var/lib/apt/lists/*"]),
        f"COPY --from=deps {VENV} {VENV}",
        f'ENV PATH="{VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" '
        "PAAS_HOME=/var/lib/paas",
        "RUN " + json.dumps(["install", "-d", "-o", str(UID), "-g", str(UID), "/var/lib/paas"]),
        f"USER {UID}:{UID}",
        'CMD ["paas", "server", "--runtime", "kubernetes", "--host", "0.0.0.0"]',
    ]
    return "\n".join(lines) + "\n"


def _wheel(root: Path, out: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
         str(out), str(root)],
        capture_output=True, text=True, check=False,
    )
    wheels = sorted(out.glob("paas-*.whl"))
    if result.returncode != 0 or not wheels:
        tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        raise BuildFailed(f"building the paas wheel failed: {tail}")
    return wheels[-1]


def build_platform_image(
    base: str,
    tag: str,
    build: BuildSettings,
    log: LogSink,
    client: docker.DockerClient | None = None,
) -> str:
    try:
        engine = client or docker.from_env()
        engine.images.get(base)
    except docker.errors.ImageNotFound:
        raise PaasError(f"{base} is missing: run `paas stack build` first") from None
    except docker.errors.DockerException as e:
        raise RuntimeUnavailable(f"Docker engine unavailable: {e}") from e
    previous = _image_id(engine, tag)
    with tempfile.TemporaryDirectory(prefix="paas-platform-") as tmp:
        log("-----> Building the paas wheel")
        root = source_root()
        wheel = _wheel(root, Path(tmp) / "wheels")
        files: dict[str, Path] = {wheel.name: wheel}
        if build.ca_bundle is not None:
            files["ca.pem"] = build.ca_bundle
        context = _context(render(wheel.name, build.ca_bundle is not None, base,
                                  dependencies(root)), files)
        args: Mapping[str, str] = {
            k: v for k, v in {"PIP_INDEX_URL": build.pip_index_url,
                              "PIP_EXTRA_INDEX_URL": build.pip_extra_index_url}.items() if v
        }
        log(f"-----> Building {tag}")
        try:
            drain(engine.api.build(fileobj=context, custom_context=True, tag=tag, rm=True,
                                   forcerm=True, decode=True, pull=False,
                                   buildargs=dict(args), labels={"paas.image": "platform"}))
        except BuildStreamError as e:
            raise BuildFailed(f"building {tag} failed: {e.message}") from None
    if previous is not None and previous != _image_id(engine, tag):
        # The tag moved to the new build: the old image would linger untagged.
        with contextlib.suppress(docker.errors.APIError):
            engine.images.remove(previous)
    return tag


def _image_id(engine: docker.DockerClient, tag: str) -> str | None:
    try:
        return str(engine.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def _context(dockerfile: str, files: Mapping[str, Path]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name, path in files.items():
            tar.add(str(path), arcname=name)
    buf.seek(0)
    return buf
