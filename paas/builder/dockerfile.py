"""Render a build plan into a two-stage Dockerfile.

The ``deps`` stage installs dependencies into a venv with the pip CA bundle and index
URL available; the final stage copies only the venv and the source. So the CA bundle
and index credentials never reach the app image, and a push that changes only code
reuses the cached dependency layer (about a second to build).

Instructions are written from structured values: exec-form arguments are JSON arrays and
ENV values are escaped, so no user-controlled string can add an instruction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from paas.builder.plan import GENERATED_DIR, BuildPlan
from paas.errors import InvalidInput

VENV = "/opt/venv"
APP_DIR = "/app"
#: uid/gid the app runs as; no passwd entry is needed, so any base image works.
APP_UID = 10001
#: Folder inside the build context holding the platform's files (never the user's).
PAAS_DIR = "paas"
SRC_DIR = "src"
CA_FILE = f"{PAAS_DIR}/ca.pem"
#: Folder inside the build context holding the dependency files a buildpack generated.
DEPS_DIR = f"{PAAS_DIR}/deps"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: Clears every setuid/setgid bit of the base image (su, mount, passwd...): the app runs
#: with no-new-privileges anyway, but an image without them needs no such trust. Right
#: after FROM, so the layer is shared by every app of a stack and cached.
STRIP_SETUID = ["/bin/sh", "-c", "find / -xdev -perm /6000 -type f -exec chmod a-s {} + "
                "|| true"]


def _exec(args: Iterable[str]) -> str:
    return json.dumps(list(args))


def _env_line(env: dict[str, str]) -> str:
    parts = []
    for key, value in env.items():
        if not _ENV_KEY.fullmatch(key):
            raise InvalidInput(f"invalid environment variable name {key!r}")
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
        escaped = escaped.replace("\n", "\\n")
        parts.append(f'{key}="{escaped}"')
    return "ENV " + " ".join(parts)


def context_file_for(image_path: str) -> str:
    """Where a platform file destined for ``image_path`` sits in the build context."""
    return f"{PAAS_DIR}/files/{image_path.lstrip('/')}"


def _label_line(labels: Mapping[str, str]) -> str:
    return "LABEL " + " ".join(f"{json.dumps(k)}={json.dumps(v)}" for k, v in labels.items())


def render(
    plan: BuildPlan,
    stack_image: str,
    *,
    with_ca: bool,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The Dockerfile; ``labels`` go last in each stage so the pip layers stay shareable
    between apps while every image, intermediate ones too, can be found and removed."""
    deps = plan.dependencies
    pip = [
        f"{VENV}/bin/pip", "install", "--no-cache-dir", "--disable-pip-version-check",
        "--progress-bar", "off",
    ]
    if with_ca:
        pip += ["--cert", f"/tmp/build/{CA_FILE}"]

    lines = [
        f"FROM {stack_image} AS deps",
        "ARG PIP_INDEX_URL",
        "ARG PIP_EXTRA_INDEX_URL",
    ]
    if with_ca:
        lines.append(f"COPY {_exec([CA_FILE, f'/tmp/build/{CA_FILE}'])}")
    for name in sorted(deps.generated):
        if not _NAME.fullmatch(name):
            raise InvalidInput(f"invalid generated file name {name!r}")
        lines.append(f"COPY {_exec([f'{DEPS_DIR}/{name}', f'{GENERATED_DIR}/{name}'])}")
    if deps.files is None:
        lines.append(f"COPY {_exec([SRC_DIR + '/', '/tmp/build/src/'])}")
    else:
        for f in deps.files:
            lines.append(f"COPY {_exec([f'{SRC_DIR}/{f}', f'/tmp/build/src/{f}'])}")
    lines += [
        "WORKDIR /tmp/build/src",
        # paas's own stacks ship a ready venv (ensurepip costs seconds); other base
        # images (python:3.x-slim) get one made here. A constant script, no user input.
        f"RUN {_exec(['/bin/sh', '-c', f'test -x {VENV}/bin/pip || python3 -m venv {VENV}'])}",
    ]
    installs = [list(a) for a in deps.pip_args] or [[]]
    # Server packages go into the app's own (last) install, unpinned: one resolver run,
    # and an app that pins its server keeps its pin.
    installs[-1] += plan.packages
    for args in installs:
        if args:
            lines.append(f"RUN {_exec([*pip, *args])}")
    if labels:
        lines.append(_label_line(labels))

    lines += [
        "",
        f"FROM {stack_image}",
        f"RUN {_exec(STRIP_SETUID)}",
        _env_line(
            {
                "PATH": f"{VENV}/bin:{_BASE_PATH}",
                "PYTHONUNBUFFERED": "1",
                "HOME": APP_DIR,
                "PORT": str(plan.port),
                **dict(plan.env),
            }
        ),
        f"COPY --from=deps {VENV} {VENV}",
    ]
    for image_path in sorted(plan.files):
        lines.append(f"COPY {_exec([context_file_for(image_path), image_path])}")
    lines += [
        f"COPY --chown={APP_UID}:{APP_UID} {_exec([SRC_DIR + '/', APP_DIR + '/'])}",
        f"WORKDIR {APP_DIR}",
        f"USER {APP_UID}:{APP_UID}",
    ]
    for step in plan.build_steps:
        lines.append(f"RUN {_exec(step)}")
    if labels:
        lines.append(_label_line(labels))
    return "\n".join(lines) + "\n"
