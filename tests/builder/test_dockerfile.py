import json

import pytest

from paas.builder.context import platform_files
from paas.builder.dockerfile import APP_UID, context_file_for, render
from paas.builder.plan import BuildPlan, Dependencies
from paas.errors import InvalidInput

DEPS = "sha256:" + "d" * 64


def _deps(files=("requirements.txt",), pip_args=(("-r", "requirements.txt"),)):
    return Dependencies(manager="pip (requirements.txt)", files=files, pip_args=pip_args)


def _plan(**kw):
    kw.setdefault("dependencies", _deps())
    kw.setdefault("processes", {"web": "gunicorn app:app"})
    kw.setdefault("release_command", None)
    return BuildPlan(**kw)


def _lines(text):
    assert text.endswith("\n") and "\n\n" not in text
    return text.splitlines()


def test_one_stage_from_the_deps_image_exact():
    text = render(
        _plan(packages=("gunicorn",), files={"/opt/paas/gunicorn.conf.py": "bind = 'x'\n"}),
        DEPS,
        labels={"paas.app": "a"},
    )
    assert _lines(text) == [
        f"FROM {DEPS}",
        'ENV PATH="/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
        ' PYTHONUNBUFFERED="1" HOME="/app" PORT="5000"',
        'COPY ["paas/files/opt/paas/gunicorn.conf.py", "/opt/paas/gunicorn.conf.py"]',
        'COPY --chown=10001:10001 ["paas/empty/", "/app/"]',
        "WORKDIR /app",
        "USER 10001:10001",
        'LABEL "paas.app"="a"',
        'COPY --chown=10001:10001 ["src/", "/app/"]',
    ]
    assert APP_UID == 10001


def test_only_the_build_steps_follow_the_source_and_data_folders_precede_it():
    """A code-only push rebuilds from the source copy on: every step before it is the
    same as the last push's, so the layer cache has it."""
    plan = _plan(data_dirs=("/app/instance",),
                 build_steps=(("python", "manage.py", "collectstatic", "--noinput"),))
    final = _lines(render(plan, DEPS, labels={"paas.app": "a"}))
    assert final[-5:] == [
        "USER 10001:10001",
        'RUN ["mkdir", "-p", "/app/instance"]',
        'LABEL "paas.app"="a"',
        'COPY --chown=10001:10001 ["src/", "/app/"]',
        'RUN ["python", "manage.py", "collectstatic", "--noinput"]',
    ]


def test_no_ca_no_index_and_no_dependency_file_reach_the_app_build():
    """They go to the install container of the deps image only."""
    deps = Dependencies(manager="pip (pyproject.toml)", files=(),
                        pip_args=(("-r", "/tmp/build/deps/requirements.txt"),),
                        generated={"requirements.txt": "flask\n"})
    files = platform_files(_plan(dependencies=deps, files={"/opt/a": "a"}), DEPS,
                           labels={"paas.app": "a"})
    assert sorted(files) == ["Dockerfile", "paas/files/opt/a"]
    dockerfile = files["Dockerfile"].decode()
    for word in ("ca.pem", "PIP_", "ARG", "/tmp/build", "uv", "--from"):
        assert word not in dockerfile


def test_platform_files_sorted_and_build_steps_run_as_app_user():
    plan = _plan(
        files={"/opt/b.conf": "b", "/opt/a.conf": "a"},
        build_steps=(("python", "manage.py", "collectstatic", "--noinput"),),
    )
    final = _lines(render(plan, DEPS))
    assert final[2:4] == [
        'COPY ["paas/files/opt/a.conf", "/opt/a.conf"]',
        'COPY ["paas/files/opt/b.conf", "/opt/b.conf"]',
    ]
    assert final[-3:] == [
        "USER 10001:10001",
        'COPY --chown=10001:10001 ["src/", "/app/"]',
        'RUN ["python", "manage.py", "collectstatic", "--noinput"]',
    ]


def test_context_file_for():
    assert context_file_for("/opt/paas/gunicorn.conf.py") == "paas/files/opt/paas/gunicorn.conf.py"
    assert context_file_for("etc/x") == "paas/files/etc/x"


def test_exec_form_args_are_json_so_quotes_cannot_escape():
    step = ('echo "x"]\nRUN evil', "a\\b")
    final = _lines(render(_plan(build_steps=(step,)), DEPS))
    run = final[-1]
    assert run.startswith("RUN ")
    assert json.loads(run[len("RUN "):]) == list(step)
    assert not any(line.startswith("RUN evil") for line in final)


def test_env_escaping():
    plan = _plan(env={"Q": 'say "hi"', "D": "$HOME/x", "B": "a\\b", "N": "l1\nRUN evil", "P": "80"})
    final = _lines(render(plan, DEPS))
    env = final[1]
    assert env.endswith(
        ' PORT="5000" Q="say \\"hi\\"" D="\\$HOME/x" B="a\\\\b" N="l1\\nRUN evil" P="80"'
    )
    assert not any(line.startswith("RUN evil") for line in final)


def test_plan_env_overrides_defaults_and_port_follows_plan():
    plan = _plan(env={"PYTHONUNBUFFERED": "0"}, port=8000)
    final = _lines(render(plan, DEPS))
    assert 'PYTHONUNBUFFERED="0"' in final[1]
    assert 'PYTHONUNBUFFERED="1"' not in final[1]
    assert 'PORT="8000"' in final[1]


@pytest.mark.parametrize("key", ["1X", "A-B", "A B", "A=B", "", "A\n", 'A"'])
def test_invalid_env_key_rejected(key):
    with pytest.raises(InvalidInput, match="invalid environment variable name"):
        render(_plan(env={key: "v"}), DEPS)


def test_generated_file_names_cannot_escape():
    deps = Dependencies(manager="x", files=(), pip_args=(), generated={"../x": ""})
    with pytest.raises(InvalidInput):
        render(_plan(dependencies=deps), DEPS)


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
