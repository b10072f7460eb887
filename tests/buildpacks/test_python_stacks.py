"""Which stack an app builds on: .python-version, runtime.txt, Pipfile, requires-python."""

import re

import pytest

import buildpacks.python as python_pack
from paas.builder.plan import Stack
from paas.builder.source import SourceTree
from paas.errors import BuildFailed
from paas.settings import DEBIAN_STACKS, PythonStack, StackImages

ALL = tuple(Stack(s.python, s.image, s.label) for s in DEBIAN_STACKS)
#: What a host that built bookworm and trixie offers: forky configured but not built.
TWO = tuple(Stack(s.python, s.image, s.label, built=s.python != "3.14") for s in DEBIAN_STACKS)


def _choose(files, stacks=ALL):
    src = SourceTree(files={"requirements.txt": "flask\n", **files})
    stack, note = python_pack.choose_stack(src, stacks)
    return stack.python, note


def test_stack_names_record_debian_release_and_python():
    assert [s.image for s in DEBIAN_STACKS] == [
        "paas-stack/python:3.11-bookworm-r3", "paas-stack/python:3.13-trixie-r3",
        "paas-stack/python:3.14-forky-r3"]
    assert DEBIAN_STACKS[2].packages == ("python3.14", "python3.14-venv")


@pytest.mark.parametrize(
    ("files", "python", "why"),
    [
        ({".python-version": "3.13\n"}, "3.13", "(from .python-version)"),
        ({".python-version": "3.11.9\n"}, "3.11", "(from .python-version)"),
        # Heroku's template: a comment first, as pyenv and uv allow
        ({".python-version": "# the Python version\n\n  3.14  # newest\n"}, "3.14",
         "(from .python-version)"),
        ({"runtime.txt": "python-3.13.1\n"}, "3.13", "(from runtime.txt)"),
        ({"Pipfile": "[requires]\npython_version = '3.13'\n"}, "3.13",
         "(from Pipfile [requires])"),
        ({".python-version": "cpython-3.13\n"}, "3.13", "(from .python-version)"),
        # no 3.12 stack: the nearest later one, said so
        ({".python-version": "3.12\n"}, "3.13",
         "(.python-version asks 3.12, which no stack has: the nearest later one)"),
        ({"Pipfile": "[requires]\npython_version = '3.8'\n"}, "3.11", "which no stack has"),
    ],
)
def test_pinned_versions(files, python, why):
    chosen, note = _choose(files)
    assert chosen == python
    assert note.startswith(f"Stack: Python {python} on Debian ")
    assert why in note


@pytest.mark.parametrize(
    ("requires", "python"),
    [(">=3.12", "3.14"), (">=3.11,<3.14", "3.13"), ("~=3.11", "3.14"), ("==3.13.*", "3.13"),
     (">=3.10.2, !=3.14.*", "3.13"), ("<3.12", "3.11"), (">=3", "3.14")],
)
def test_requires_python_takes_the_newest_stack_it_allows(requires, python):
    files = {"pyproject.toml": f'[project]\nname = "x"\nrequires-python = "{requires}"\n'}
    chosen, note = _choose(files)
    assert chosen == python
    assert f"the newest requires-python {requires} allows" in note


def test_default_is_the_newest_stack_built_on_this_host():
    assert _choose({}) == ("3.14", "Stack: Python 3.14 on Debian forky, "
                           "paas-stack/python:3.14-forky-r3 (the newest here; pin a version "
                           "in .python-version)")
    assert _choose({}, TWO)[0] == "3.13"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({".python-version": "3.15\n"}, ".python-version asks for Python 3.15: no stack "
         "offers 3.15 or later (stacks: Python 3.11 on Debian bookworm, Python 3.13 on "
         "Debian trixie, Python 3.14 on Debian forky)"),
        ({".python-version": "2.7\n"}, "no stack offers 2.7 or later"),
        ({".python-version": "pypy3.10\n"}, ".python-version: cannot read a Python version "
         "in 'pypy3.10'"),
        ({".python-version": "system\n"}, "cannot read a Python version in 'system'"),
        ({".python-version": "3.11", "runtime.txt": "python-3.10.2"},
         "conflicting Python versions: 3.11 in .python-version, python-3.10.2 in runtime.txt"),
        ({".python-version": "3.11\n",
          "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.12"\n'},
         "conflicting Python versions: 3.11 in .python-version, requires-python >=3.12"),
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.15"\n'},
         "requires-python >=3.15 allows none of the stacks"),
        ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = "3.12"\n'},
         "cannot read requires-python '3.12'"),
    ],
)
def test_refused_with_the_reason(files, message):
    with pytest.raises(BuildFailed, match=re.escape(message)):
        _choose(files)


def test_a_stack_offered_but_not_built_says_how_to_build_it():
    with pytest.raises(BuildFailed) as exc:
        _choose({".python-version": "3.14\n"}, TWO)
    assert exc.value.message == (
        ".python-version asks for Python 3.14, but its stack paas-stack/python:3.14-forky-r3 "
        "is not built on this platform: run `paas stack build --python 3.14` on the "
        "platform host")
    with pytest.raises(BuildFailed, match=r"requires-python >=3\.14 allows Python 3\.14, "):
        _choose({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.14"\n'},
                TWO)
    none = tuple(Stack(s.python, s.image, s.label, built=False) for s in ALL)
    with pytest.raises(BuildFailed, match=r"no Python stack is built on this platform"):
        _choose({}, none)


def test_dependencies_carry_the_chosen_stack():
    deps = python_pack.dependencies(SourceTree(files={"requirements.txt": "flask\n",
                                                      ".python-version": "3.13\n"}), ALL)
    assert deps is not None and deps.stack == ALL[1] and deps.python_version == "3.13"
    assert deps.notes[0].startswith("Stack: Python 3.13 on Debian trixie")


def test_stack_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAAS_PYTHON_STACKS", "3.13=python:3.13-slim, 3.12=python:3.12-slim")
    images = StackImages()
    assert [s.python for s in images.pythons] == ["3.12", "3.13"]
    assert images.pythons[0] == PythonStack("3.12", "python:3.12-slim")
    monkeypatch.delenv("PAAS_PYTHON_STACKS")
    monkeypatch.setenv("PAAS_STACK_IMAGE", "python:3.12-slim")
    monkeypatch.setenv("PAAS_STACK_PYTHON", "3.12")
    assert StackImages().pythons == (PythonStack("3.12", "python:3.12-slim"),)
    monkeypatch.delenv("PAAS_STACK_IMAGE")
    images = StackImages()
    assert images.python == "paas-stack/python:3.11-bookworm-r3"
    assert images.select(["3.13"]) == (DEBIAN_STACKS[1],)
    with pytest.raises(Exception, match=r"no stack offers Python 3\.12 \(stacks: 3\.11"):
        images.select(["3.12"])
    monkeypatch.setenv("PAAS_PYTHONS", "3.11, 3.13")
    assert StackImages().pythons == DEBIAN_STACKS[:2]
    monkeypatch.setenv("PAAS_PYTHONS", "3.12")
    with pytest.raises(Exception, match=r"PAAS_PYTHONS='3.12': the stacks offer 3.11, 3.13"):
        StackImages()
