import pytest

import buildpacks.python as python_pack
from paas.build.source import SourceTree


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
