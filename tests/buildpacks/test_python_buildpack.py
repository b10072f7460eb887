import re

import pytest

import buildpacks.python as python_pack
from paas.builder.source import SourceTree
from paas.errors import BuildFailed


def _src(files, listing=()):
    return SourceTree(files=files, listing=frozenset(listing))


def test_kind():
    assert python_pack.KIND == "language"


def test_no_requirements_txt_is_not_detected():
    assert python_pack.dependencies(_src({"app.py": "print(1)\n"})) is None
    assert python_pack.dependencies(_src({})) is None


def test_plain_requirements_lists_only_that_file():
    deps = python_pack.dependencies(_src({"requirements.txt": "flask==3.0\ngunicorn\n"}))
    assert deps is not None
    assert deps.manager == "pip (requirements.txt)"
    assert deps.files == ("requirements.txt",)
    assert deps.pip_args == (("-r", "requirements.txt"),)


def test_requirements_txt_in_listing_only_counts():
    deps = python_pack.dependencies(_src({}, ["requirements.txt"]))
    assert deps is not None
    assert deps.files == ("requirements.txt",)


def test_parent_relative_include_falls_back_to_whole_tree():
    src = _src(
        {
            "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\nflask\n",
            "requirements/base.txt": "--requirement=common.txt\n--constraint ../pins.txt\n",
            "requirements/common.txt": "requests\n",
            "constraints.txt": "flask<4\n",
            "pins.txt": "requests<3\n",
        }
    )
    deps = python_pack.dependencies(src)
    # "../pins.txt" is looked up as "requirements/../pins.txt", which is not normalised.
    assert deps.files is None


def test_nested_includes_listed_sorted():
    src = _src(
        {
            "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\n-rextra.txt\n",
            "requirements/base.txt": "--requirement=common.txt\n",
            "requirements/common.txt": "requests\n",
            "constraints.txt": "flask<4\n",
            "extra.txt": "click\n",
        }
    )
    assert python_pack.dependencies(src).files == (
        "constraints.txt",
        "extra.txt",
        "requirements.txt",
        "requirements/base.txt",
        "requirements/common.txt",
    )


def test_include_cycle_terminates():
    src = _src({"requirements.txt": "-r a.txt\n", "a.txt": "-r requirements.txt\n"})
    assert python_pack.dependencies(src).files == ("a.txt", "requirements.txt")


def test_missing_include_needs_whole_tree():
    assert python_pack.dependencies(_src({"requirements.txt": "-r nope.txt\n"})).files is None


@pytest.mark.parametrize(
    "line",
    ["-e .", "--editable ./lib", ".", "./local", "./local[extra]", "/abs/pkg", "file:./x",
     "  -e .[dev]"],
)
def test_local_requirements_need_whole_tree(line):
    deps = python_pack.dependencies(_src({"requirements.txt": f"flask\n{line}\n"}))
    assert deps is not None
    assert deps.files is None
    assert deps.pip_args == (("-r", "requirements.txt"),)


def test_local_requirement_in_included_file_needs_whole_tree():
    src = _src({"requirements.txt": "-r base.txt\n", "base.txt": "-e .\n"})
    assert python_pack.dependencies(src).files is None


def test_comments_and_remote_editables_keep_the_cache():
    src = _src({"requirements.txt": "# ./not-local\n-e git+https://example.com/x.git#egg=x\n"})
    assert python_pack.dependencies(src).files == ("requirements.txt",)


# --- every manifest format -------------------------------------------------------------
REQS = "/tmp/build/deps/requirements.txt"
CONS = "/tmp/build/deps/constraints.txt"


def _deps(files):
    deps = python_pack.dependencies(_src(files))
    assert deps is not None
    return deps


def test_pep621_pyproject_generates_requirements_and_keeps_the_cache():
    deps = _deps({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["fastapi>=0.110", '
                  '"httpx[http2]; python_version >= \'3.8\'"]\n'})
    assert deps.manager == "pip (pyproject.toml [project].dependencies)"
    assert deps.files == ()
    assert deps.generated == {
        "requirements.txt": "fastapi>=0.110\nhttpx[http2]; python_version >= '3.8'\n"}
    assert deps.pip_args == (("-r", REQS),)


def test_dynamic_dependencies_install_the_project():
    deps = _deps({"pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'})
    assert deps.files is None
    assert deps.pip_args == ((".",),)
    assert any("cache is lost" in n for n in deps.notes)


def test_poetry_without_lock_converts_constraints():
    deps = _deps({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
                  'flask = "^3.0.2"\nrequests = {version = "~2.31", extras = ["socks"]}\n'
                  'click = "*"\nlib = {git = "https://example.com/lib.git", tag = "v1"}\n'
                  'opt = {version = "1.0", optional = true}\n'})
    assert deps.manager == "Poetry (pyproject.toml), installed by pip"
    assert deps.generated == {"requirements.txt": "flask>=3.0.2,<4.0.0\n"
                              "requests[socks]>=2.31,<2.32\nclick\n"
                              "lib @ git+https://example.com/lib.git@v1\n"}


def test_poetry_lock_becomes_constraints():
    deps = _deps({"pyproject.toml": '[tool.poetry.dependencies]\nflask = "^3.0"\n',
                  "poetry.lock": '[[package]]\nname = "Flask"\nversion = "3.0.3"\n\n'
                  '[[package]]\nname = "werkzeug"\nversion = "3.0.1"\n\n'
                  '[[package]]\nname = "mine"\nversion = "0.1"\n'
                  '[package.source]\ntype = "directory"\nurl = "mine"\n'})
    assert deps.generated["constraints.txt"] == "flask==3.0.3\nwerkzeug==3.0.1\n"
    assert deps.pip_args == (("-r", REQS, "-c", CONS),)


def test_uv_lock_pins_registry_packages_and_skips_forks():
    deps = _deps({"pyproject.toml": '[project]\nname = "app"\ndependencies = ["numpy"]\n',
                  "uv.lock": 'version = 1\n[[package]]\nname = "app"\nversion = "0.1.0"\n'
                  'source = { virtual = "." }\n[[package]]\nname = "numpy"\nversion = "1.26.4"\n'
                  'source = { registry = "https://pypi.org/simple" }\n[[package]]\n'
                  'name = "numpy"\nversion = "2.1.0"\nsource = { registry = "x" }\n'
                  '[[package]]\nname = "idna"\nversion = "3.7"\nsource = { registry = "x" }\n'})
    assert deps.manager == "uv (pyproject.toml + uv.lock), installed by pip"
    assert deps.generated == {"requirements.txt": "numpy\n", "constraints.txt": "idna==3.7\n"}


def test_pdm_lock():
    deps = _deps({"pyproject.toml": '[project]\nname = "a"\ndependencies = ["starlette"]\n',
                  "pdm.lock": '[[package]]\nname = "starlette"\nversion = "0.37.2"\n'})
    assert deps.manager.startswith("PDM (pyproject.toml + pdm.lock)")
    assert deps.generated["constraints.txt"] == "starlette==0.37.2\n"


def test_pipfile_and_pipfile_lock():
    deps = _deps({"Pipfile": "[packages]\nflask = '*'\nrequests = {version = '>=2', "
                  "extras = ['socks']}\nme = {path = '.', editable = true}\n"})
    assert deps.generated == {"requirements.txt": "flask\nrequests[socks]>=2\n"}
    lock = ('{"default": {"flask": {"version": "==3.0.3"}, "colorama": {"version": "==0.4.6",'
            ' "markers": "sys_platform == \'win32\'"}}, "develop": {"pytest": {}}}')
    deps = _deps({"Pipfile": "[packages]\nflask='*'\n", "Pipfile.lock": lock})
    assert deps.manager == "Pipenv (Pipfile.lock), installed by pip"
    assert deps.generated == {"requirements.txt":
                              "flask==3.0.3\ncolorama==0.4.6; sys_platform == 'win32'\n"}


def test_setup_py_literal_and_computed():
    deps = _deps({"setup.py": "from setuptools import setup\n"
                  "setup(name='x', install_requires=['flask>=3', 'gunicorn'])\n"})
    assert deps.generated == {"requirements.txt": "flask>=3\ngunicorn\n"}
    deps = _deps({"setup.py": "from setuptools import setup\nsetup(install_requires=reqs())\n"})
    assert (deps.files, deps.pip_args) == (None, ((".",),))


def test_requirements_txt_beats_pep621_and_setup_py():
    deps = _deps({"requirements.txt": "flask\n", "setup.py": "setup()\n",
                  "pyproject.toml": '[project]\nname = "x"\ndependencies = ["django"]\n'})
    assert deps.manager == "pip (requirements.txt)"


@pytest.mark.parametrize(
    ("files", "named"),
    [
        ({"requirements.txt": "", "Pipfile.lock": "{}"},
         "requirements.txt (pip); Pipfile.lock (Pipenv)"),
        ({"requirements.txt": "", "pyproject.toml": "", "poetry.lock": ""},
         "requirements.txt (pip); pyproject.toml, poetry.lock (Poetry)"),
        ({"pyproject.toml": "[project]\n", "uv.lock": "", "pdm.lock": ""},
         "uv.lock (uv); pdm.lock (PDM)"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\nflask = "*"\n', "uv.lock": ""},
         "pyproject.toml (Poetry); uv.lock (uv)"),
    ],
)
def test_conflicting_manifests_are_named(files, named):
    with pytest.raises(BuildFailed) as exc:
        python_pack.dependencies(_src(files))
    assert exc.value.message.startswith(f"conflicting dependency manifests: {named}. Keep one")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"pyproject.toml": "[project\n"}, "pyproject.toml is not valid TOML"),
        ({"pyproject.toml": "[tool.ruff]\n"}, "pyproject.toml has no [project] table"),
        ({"uv.lock": "version = 1\n"}, "uv.lock without pyproject.toml"),
        ({"Pipfile.lock": "not json"}, "Pipfile.lock is not a readable Pipenv lock file"),
        ({"pyproject.toml": '[project]\ndependencies = ["--index-url=http://evil"]\n'},
         "pyproject.toml: '--index-url=http://evil' is not a requirement"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\nlib = {path = "../lib"}\n'},
         "path dependencies are not supported"),
        ({"pyproject.toml": '[tool.poetry.dependencies]\nx = "^1 || ^2"\n'},
         "alternative constraints"),
    ],
)
def test_unusable_manifests(files, message):
    with pytest.raises(BuildFailed, match=re.escape(message)):
        python_pack.dependencies(_src(files))


def test_syntax_error_anywhere_names_file_and_line():
    with pytest.raises(BuildFailed) as exc:
        python_pack.check(_src({"ok.py": "x = 1\n", "pkg/views.py": "x = 1\nif x\n    pass\n"}))
    assert exc.value.message == "pkg/views.py line 2: expected ':'"
    assert 'File "pkg/views.py", line 2' in exc.value.log
    python_pack.check(_src({"ok.py": "x = 1\n"}))  # and nothing when the code parses


def test_declared_reads_every_manifest():
    src = _src({"requirements/base.txt": "Flask_SQLAlchemy==3\n# x\n-r other.txt\n",
                "pyproject.toml": '[project]\ndependencies = ["Django>=5"]\n'
                '[project.optional-dependencies]\nx = ["celery"]\n',
                "setup.py": "setup(install_requires=['tornado'])\n"})
    assert python_pack.declared(src) >= {"flask-sqlalchemy", "django", "celery", "tornado"}
