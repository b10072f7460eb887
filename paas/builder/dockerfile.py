"""Render a build plan into the app's Dockerfile, built FROM the app's deps image.

The deps image holds the venv (see paas.builder.deps_install: it is installed in a
container of the platform's, so the CA bundle, the index credentials and uv reach no
layer); this Dockerfile adds only the platform's files and the source. A push that
changes only code starts from the same deps image (about a second to build).

Instructions are written from structured values: exec-form arguments are JSON arrays and
ENV values are escaped, so no user-controlled string can add an instruction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from paas.builder.plan import BuildPlan
from paas.errors import InvalidInput

VENV = "/opt/venv"
APP_DIR = "/app"
#: uid/gid the app runs as; no passwd entry is needed, so any base image works.
APP_UID = 10001
#: Folder inside the build context holding the platform's files (never the user's).
PAAS_DIR = "paas"
SRC_DIR = "src"
#: An empty folder of the context (the platform's), copied to make /app owned by the app.
EMPTY_DIR = f"{PAAS_DIR}/empty"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
    base_image: str,
    *,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The Dockerfile; ``base_image`` is the deps image (its id).

    The source is copied as late as possible: every step before it depends only on the
    plan, so a code-only push finds them all in the layer cache, and each step after it
    costs the classic builder a container and a commit on every push. Only the build
    steps (which read the source) come after it.
    """
    for name in plan.dependencies.generated:
        if not _NAME.fullmatch(name):
            raise InvalidInput(f"invalid generated file name {name!r}")
    lines = [
        f"FROM {base_image}",
        _env_line(
            {
                "PATH": f"{VENV}/bin:{_BASE_PATH}",
                "PYTHONUNBUFFERED": "1",
                "HOME": APP_DIR,
                "PORT": str(plan.port),
                **dict(plan.env),
            }
        ),
    ]
    for image_path in sorted(plan.files):
        lines.append(f"COPY {_exec([context_file_for(image_path), image_path])}")
    chown = f"--chown={APP_UID}:{APP_UID}"
    lines += [
        # /app made by a copy with --chown, so the app owns it (an app with a writable
        # root writes its SQLite file there): WORKDIR would make it root's, and a later
        # copy into a folder that exists leaves the folder's owner as it is.
        f"COPY {chown} {_exec([EMPTY_DIR + '/', APP_DIR + '/'])}",
        f"WORKDIR {APP_DIR}",
        f"USER {APP_UID}:{APP_UID}",
    ]
    if plan.data_dirs:
        # Owned by the app's uid in the image, so the empty volume mounted there at run
        # time is made with that owner (the engine copies a folder's owner into a new
        # volume) and the app can write it under a read-only root. The plan refuses a
        # source with a file or link at one of them (paas.builder.buildpacks), so the
        # source copied over them leaves them folders.
        lines.append(f"RUN {_exec(['mkdir', '-p', *plan.data_dirs])}")
    if labels:
        lines.append(_label_line(labels))
    lines.append(f"COPY {chown} {_exec([SRC_DIR + '/', APP_DIR + '/'])}")
    for step in plan.build_steps:
        lines.append(f"RUN {_exec(step)}")
    return "\n".join(lines) + "\n"


#: How uv marks an error (a multiplication sign).
_UV_MARK = "\u00d7"


def install_error(output: list[str]) -> str | None:
    """The one line that says why a build step failed, from the build's output.

    The whole output has streamed to the pusher already; the rejection repeats only the
    cause: uv's ``error:`` line with its ``cause:`` lines (``\u00d7``/``╰─▶`` when it
    draws them), or pip's last ``ERROR:`` line. None when neither installer said why (the
    engine's message is used then).
    """
    for i in range(len(output) - 1, -1, -1):
        line = output[i].strip()
        if line.startswith((_UV_MARK, "error:")):
            reason = [line.lstrip(_UV_MARK + " ").removeprefix("error: ").rstrip(":")]
            for follow in output[i + 1:i + 4]:
                text = follow.strip()
                if not text.startswith(("╰─▶", "├─▶", "│", "cause:")):
                    break
                reason.append(text.lstrip("╰├│─▶ ").removeprefix("cause: ").rstrip(":"))
            return ": ".join(r for r in reason if r)
        if line.startswith("ERROR:"):
            return line.removeprefix("ERROR:").strip()
    return None
