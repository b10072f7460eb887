"""Render a build plan into a two-stage Dockerfile.

The ``deps`` stage installs dependencies into a venv with the pip CA bundle and index
URL available; the final stage copies only the venv and the source. So the CA bundle
and index credentials never reach the app image, and a push that changes only code
reuses the cached dependency layer (about a second to build).

Dependencies install with uv, not pip. The engine's classic builder (docker.io 20.10)
has no cache mounts, so a changed requirement reinstalls every package from the index;
uv downloads them in parallel and installs in a fraction of pip's time (a Django app:
see the README's figures). uv itself comes from the index once per stack, in a layer
every app shares, and stays in the deps stage. pip remains the fallback for stacks
without it: the stage only needs a venv with pip to start.

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
#: The uv release installs use: pinned, so a build never changes by itself.
UV_VERSION = "0.13.9"
#: Where uv is installed in the deps stage (never in the app image).
UV_DIR = "/opt/uv"
#: Runs ``uv pip install ARGS`` into the venv. A constant script: the arguments come as
#: positional parameters, never as script text. The index build arguments become uv's
#: flags only when set (uv reads no PIP_* variables).
_UV_SCRIPT = (
    'if [ -n "$PIP_EXTRA_INDEX_URL" ]; then set -- --extra-index-url "$PIP_EXTRA_INDEX_URL" "$@"; '
    'fi; if [ -n "$PIP_INDEX_URL" ]; then set -- --index-url "$PIP_INDEX_URL" "$@"; fi; '
    # uv writes a line in several pieces, and the engine streams every write as its own
    # record (stderr in red): keep the output, then print it as one block on stdout.
    f"{UV_DIR}/bin/uv pip install --python {VENV}/bin/python --no-cache "
    '--link-mode=copy --compile-bytecode --no-progress --color never "$@" '
    "> /tmp/uv.log 2>&1; status=$?; cat /tmp/uv.log; exit $status"
)


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
    uv_script = _UV_SCRIPT
    if with_ca:
        pip += ["--cert", f"/tmp/build/{CA_FILE}"]
        # uv reads the CA bundle from SSL_CERT_FILE
        uv_script = f"export SSL_CERT_FILE=/tmp/build/{CA_FILE}; {uv_script}"

    lines = [
        f"FROM {stack_image} AS deps",
        "ARG PIP_INDEX_URL",
        "ARG PIP_EXTRA_INDEX_URL",
    ]
    if with_ca:
        lines.append(f"COPY {_exec([CA_FILE, f'/tmp/build/{CA_FILE}'])}")
    lines += [
        # paas's own stacks ship a ready venv (ensurepip costs seconds); other base
        # images (python:3.x-slim) get one made here. A constant script, no user input.
        f"RUN {_exec(['/bin/sh', '-c', f'test -x {VENV}/bin/pip || python3 -m venv {VENV}'])}",
        # Before any file of the app: one cached layer for every app on this stack.
        f"RUN {_exec([*pip, '--target', UV_DIR, f'uv=={UV_VERSION}'])}",
    ]
    for name in sorted(deps.generated):
        if not _NAME.fullmatch(name):
            raise InvalidInput(f"invalid generated file name {name!r}")
        lines.append(f"COPY {_exec([f'{DEPS_DIR}/{name}', f'{GENERATED_DIR}/{name}'])}")
    if deps.files is None:
        lines.append(f"COPY {_exec([SRC_DIR + '/', '/tmp/build/src/'])}")
    else:
        for f in deps.files:
            lines.append(f"COPY {_exec([f'{SRC_DIR}/{f}', f'/tmp/build/src/{f}'])}")
    lines.append("WORKDIR /tmp/build/src")
    installs = [list(a) for a in deps.pip_args] or [[]]
    # Server packages go into the app's own (last) install, unpinned: one resolver run,
    # and an app that pins its server keeps its pin.
    installs[-1] += plan.packages
    for args in installs:
        if args:
            lines.append(f"RUN {_exec(['/bin/sh', '-c', uv_script, 'uv-install', *args])}")
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
    if plan.data_dirs:
        # Owned by the app's uid in the image, so the empty volume mounted there at run
        # time is made with that owner (the engine copies a folder's owner into a new
        # volume) and the app can write it under a read-only root.
        lines.append(f"RUN {_exec(['mkdir', '-p', *plan.data_dirs])}")
    for step in plan.build_steps:
        lines.append(f"RUN {_exec(step)}")
    if labels:
        lines.append(_label_line(labels))
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
