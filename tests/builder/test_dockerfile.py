import json

import pytest

from paas.builder.dockerfile import APP_UID, CA_FILE, UV_VERSION, context_file_for, render
from paas.builder.plan import BuildPlan, Dependencies
from paas.errors import InvalidInput

STACK = "paas-stack/python:bookworm"
PIP = (
    '"/opt/venv/bin/pip", "install", "--no-cache-dir", "--disable-pip-version-check", '
    '"--progress-bar", "off"'
)
VENV = 'RUN ["/bin/sh", "-c", "test -x /opt/venv/bin/pip || python3 -m venv /opt/venv"]'
UV = f'RUN [{PIP}, "--target", "/opt/uv", "uv=={UV_VERSION}"]'


def _install(line):
    """The arguments of a `uv pip install` line (after the constant script)."""
    assert line.startswith('RUN ["/bin/sh", "-c", '), line
    args = json.loads(line[len("RUN "):])
    assert args[3] == "uv-install"
    return args[4:]


def _deps(files=("requirements.txt",), pip_args=(("-r", "requirements.txt"),)):
    return Dependencies(manager="pip (requirements.txt)", files=files, pip_args=pip_args)


def _plan(**kw):
    kw.setdefault("dependencies", _deps())
    kw.setdefault("processes", {"web": "gunicorn app:app"})
    kw.setdefault("release_command", None)
    return BuildPlan(**kw)


def _stages(text):
    deps, final = text.split("\n\n")
    return deps.splitlines(), final.splitlines()


def test_two_stages_exact():
    text = render(
        _plan(packages=("gunicorn",), files={"/opt/paas/gunicorn.conf.py": "bind = 'x'\n"}),
        STACK,
        with_ca=False,
    )
    deps, final = _stages(text)
    assert deps == [
        f"FROM {STACK} AS deps",
        "ARG PIP_INDEX_URL",
        "ARG PIP_EXTRA_INDEX_URL",
        VENV,
        UV,
        'COPY ["src/requirements.txt", "/tmp/build/src/requirements.txt"]',
        "WORKDIR /tmp/build/src",
        deps[-1],
    ]
    assert _install(deps[-1]) == ["-r", "requirements.txt", "gunicorn"]
    script = json.loads(deps[-1][len("RUN "):])[2]
    assert "/opt/uv/bin/uv pip install --python /opt/venv/bin/python --no-cache" in script
    assert '"$@"' in script and "requirements" not in script
    assert final == [
        f"FROM {STACK}",
        'RUN ["/bin/sh", "-c", "find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true"]',
        'ENV PATH="/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
        ' PYTHONUNBUFFERED="1" HOME="/app" PORT="5000"',
        "COPY --from=deps /opt/venv /opt/venv",
        'COPY ["paas/files/opt/paas/gunicorn.conf.py", "/opt/paas/gunicorn.conf.py"]',
        'COPY --chown=10001:10001 ["src/", "/app/"]',
        "WORKDIR /app",
        "USER 10001:10001",
    ]
    assert text.endswith("\n")
    assert APP_UID == 10001


def test_ca_only_in_deps_stage_and_only_with_ca():
    without = render(_plan(), STACK, with_ca=False)
    assert "ca.pem" not in without
    assert "--cert" not in without

    deps, final = _stages(render(_plan(), STACK, with_ca=True))
    assert f'COPY ["{CA_FILE}", "/tmp/build/{CA_FILE}"]' in deps
    assert deps.index(f'COPY ["{CA_FILE}", "/tmp/build/{CA_FILE}"]') < deps.index(
        "WORKDIR /tmp/build/src"
    )
    assert f'"--cert", "/tmp/build/paas/ca.pem", "--target", "/opt/uv", "uv=={UV_VERSION}"' \
        in deps[5]
    assert json.loads(deps[-1][len("RUN "):])[2].startswith(
        "export SSL_CERT_FILE=/tmp/build/paas/ca.pem; ")
    assert not any("ca.pem" in line for line in final)
    assert not any("PIP_INDEX_URL" in line for line in final)


def test_server_packages_go_into_the_last_install_only():
    plan = _plan(
        dependencies=_deps(pip_args=(("--upgrade", "pip"), ("-r", "requirements.txt"))),
        packages=("gunicorn", "whitenoise"),
    )
    deps, _ = _stages(render(plan, STACK, with_ca=False))
    runs = [_install(line) for line in deps if "uv-install" in line]
    assert runs == [["--upgrade", "pip"],
                    ["-r", "requirements.txt", "gunicorn", "whitenoise"]]


def test_packages_without_pip_args_get_their_own_install():
    plan = _plan(dependencies=_deps(files=(), pip_args=()), packages=("gunicorn",))
    deps, _ = _stages(render(plan, STACK, with_ca=False))
    assert _install(deps[-1]) == ["gunicorn"]


def test_no_install_when_nothing_to_install():
    deps, _ = _stages(render(_plan(dependencies=_deps(files=(), pip_args=())), STACK,
                             with_ca=False))
    assert deps[-1] == "WORKDIR /tmp/build/src"
    assert VENV in deps and UV in deps


def test_dependency_files_copied_one_by_one():
    files = ("requirements.txt", "requirements/base.txt", "constraints.txt")
    deps, _ = _stages(render(_plan(dependencies=_deps(files=files)), STACK, with_ca=False))
    copies = [line for line in deps if line.startswith("COPY ")]
    assert copies == [
        'COPY ["src/requirements.txt", "/tmp/build/src/requirements.txt"]',
        'COPY ["src/requirements/base.txt", "/tmp/build/src/requirements/base.txt"]',
        'COPY ["src/constraints.txt", "/tmp/build/src/constraints.txt"]',
    ]
    assert 'COPY ["src/", "/tmp/build/src/"]' not in deps


def test_whole_source_copied_when_files_is_none():
    deps, _ = _stages(render(_plan(dependencies=_deps(files=None)), STACK, with_ca=False))
    copies = [line for line in deps if line.startswith("COPY ")]
    assert copies == ['COPY ["src/", "/tmp/build/src/"]']


def test_platform_files_sorted_and_build_steps_run_as_app_user():
    plan = _plan(
        files={"/opt/b.conf": "b", "/opt/a.conf": "a"},
        build_steps=(("python", "manage.py", "collectstatic", "--noinput"),),
    )
    _, final = _stages(render(plan, STACK, with_ca=False))
    assert final[4:6] == [
        'COPY ["paas/files/opt/a.conf", "/opt/a.conf"]',
        'COPY ["paas/files/opt/b.conf", "/opt/b.conf"]',
    ]
    assert final[-2:] == [
        "USER 10001:10001",
        'RUN ["python", "manage.py", "collectstatic", "--noinput"]',
    ]


def test_context_file_for():
    assert context_file_for("/opt/paas/gunicorn.conf.py") == "paas/files/opt/paas/gunicorn.conf.py"
    assert context_file_for("etc/x") == "paas/files/etc/x"


def test_exec_form_args_are_json_so_quotes_cannot_escape():
    step = ('echo "x"]\nRUN evil', "a\\b")
    _, final = _stages(render(_plan(build_steps=(step,)), STACK, with_ca=False))
    run = final[-1]
    assert run.startswith("RUN ")
    assert json.loads(run[len("RUN "):]) == list(step)
    assert not any(line.startswith("RUN evil") for line in final)


def test_env_escaping():
    plan = _plan(env={"Q": 'say "hi"', "D": "$HOME/x", "B": "a\\b", "N": "l1\nRUN evil", "P": "80"})
    _, final = _stages(render(plan, STACK, with_ca=False))
    env = final[2]
    assert env.endswith(
        ' PORT="5000" Q="say \\"hi\\"" D="\\$HOME/x" B="a\\\\b" N="l1\\nRUN evil" P="80"'
    )
    assert not any(line.startswith("RUN evil") for line in final)


def test_plan_env_overrides_defaults_and_port_follows_plan():
    plan = _plan(env={"PYTHONUNBUFFERED": "0"}, port=8000)
    _, final = _stages(render(plan, STACK, with_ca=False))
    assert 'PYTHONUNBUFFERED="0"' in final[2]
    assert 'PYTHONUNBUFFERED="1"' not in final[2]
    assert 'PORT="8000"' in final[2]


@pytest.mark.parametrize("key", ["1X", "A-B", "A B", "A=B", "", "A\n", 'A"'])
def test_invalid_env_key_rejected(key):
    with pytest.raises(InvalidInput, match="invalid environment variable name"):
        render(_plan(env={key: "v"}), STACK, with_ca=False)


def test_generated_dependency_files_are_copied_into_the_deps_stage():
    deps = Dependencies(manager="pip (pyproject.toml)", files=(),
                        pip_args=(("-r", "/tmp/build/deps/requirements.txt"),),
                        generated={"requirements.txt": "flask\n"})
    stage, final = _stages(render(_plan(dependencies=deps), STACK, with_ca=False))
    assert 'COPY ["paas/deps/requirements.txt", "/tmp/build/deps/requirements.txt"]' in stage
    assert not any("src/" in line for line in stage)  # no user file: cache kept
    assert not any("paas/deps" in line for line in final)


def test_generated_file_names_cannot_escape():
    deps = Dependencies(manager="x", files=(), pip_args=(), generated={"../x": ""})
    with pytest.raises(InvalidInput):
        render(_plan(dependencies=deps), STACK, with_ca=False)


def test_the_app_image_keeps_no_setuid_binary_of_its_base():
    _deps, final = _stages(render(_plan(), STACK, with_ca=False))
    strip = final.index(
        'RUN ["/bin/sh", "-c", "find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true"]')
    assert strip == 1 and final.index("USER 10001:10001") > strip


def test_install_error_is_the_one_line_cause():
    from paas.builder.dockerfile import install_error

    uv = ["Using Python 3.13.5 environment at: /opt/venv",
          "  \u00d7 No solution found when resolving dependencies:",
          "  ╰─▶ Because nosuchpkg was not found in the package registry and you require",
          "The command '/bin/sh -c ...' returned a non-zero code: 1"]
    assert install_error(uv) == ("No solution found when resolving dependencies: Because "
                                 "nosuchpkg was not found in the package registry and you "
                                 "require")
    pip = ["Collecting nosuchpkg", "ERROR: Could not find a version that satisfies x",
           "ERROR: No matching distribution found for nosuchpkg"]
    assert install_error(pip) == "No matching distribution found for nosuchpkg"
    assert install_error(["error: Failed to fetch: `https://pypi.org/simple/x/`"]) == \
        "Failed to fetch: `https://pypi.org/simple/x/`"
    plain = ["error: No solution found when resolving dependencies:",
             "  cause: Because x was not found in the package registry, we can conclude"]
    assert install_error(plain) == ("No solution found when resolving dependencies: "
                                    "Because x was not found in the package registry, "
                                    "we can conclude")
    assert install_error(["Step 5/9 : RUN false"]) is None
