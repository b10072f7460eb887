"""Reading an app's dependency manifests without running any of its code.

Every way of declaring dependencies ends as one ``pip install``: requirements files as
they are, anything else (pyproject.toml, Pipfile, setup.py) converted to a generated
requirements file, and lock files (poetry.lock, uv.lock, pdm.lock) as a constraints
file. pip is in every stack; the converted requirements keep the deps stage down to a
few generated files, so the install layer stays cached when only code changes, and the
project itself never needs a build backend (apps are run from /app, not installed).
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from paas.builder.source import SourceTree
from paas.errors import BuildFailed

#: A requirement we write into a generated file: a name first, never a pip option.
_REQ_START = re.compile(r"^[A-Za-z0-9]")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def normalize(name: str) -> str:
    """PEP 503 name: ``Flask_SQLAlchemy`` and ``flask-sqlalchemy`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    m = _NAME.match(line)
    return normalize(m.group(1)) if m else None


@dataclass(frozen=True)
class Converted:
    """Requirements converted from a manifest, and the pins of a lock file if any."""

    requirements: tuple[str, ...]
    constraints: tuple[str, ...] = ()


def toml(src: SourceTree, path: str) -> dict[str, Any] | None:
    text = src.read(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BuildFailed(f"{path} is not valid TOML: {e}") from None


def _check_requirement(req: str, path: str) -> str:
    req = req.strip()
    if not _REQ_START.match(req) or "\n" in req or "\r" in req:
        raise BuildFailed(f"{path}: {req!r} is not a requirement (PEP 508) pip can install")
    return req


# PEP 621 ----------------------------------------------------------------------------
def pep621(pyproject: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``[project].dependencies``; None when they are dynamic (only a build can tell)."""
    project = pyproject.get("project")
    if not isinstance(project, dict):
        return ()
    if "dependencies" in project.get("dynamic", []):
        return None
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise BuildFailed("pyproject.toml: [project].dependencies must be a list of strings")
    return tuple(_check_requirement(d, "pyproject.toml") for d in deps)


# Poetry -----------------------------------------------------------------------------
def _bump(parts: list[int], index: int) -> str:
    upper = [*parts[:index], parts[index] + 1]
    return ".".join(str(p) for p in upper + [0] * (len(parts) - len(upper)))


def poetry_constraint(spec: str, where: str) -> str:
    """A Poetry version constraint as PEP 440 (``^1.2`` -> ``>=1.2,<2.0``)."""
    spec = spec.strip()
    if spec in ("", "*"):
        return ""
    if "||" in spec or "|" in spec:
        raise BuildFailed(f"{where}: alternative constraints ({spec!r}) are not supported; "
                          "use requirements.txt or a PEP 621 [project] table")
    out: list[str] = []
    for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec):
        part = part.strip()
        if not part:
            continue
        if part[0] in "^~" and not part.startswith("~="):
            version = part[1:].strip()
            if not _VERSION.match(version):
                raise BuildFailed(f"{where}: cannot read version constraint {spec!r}")
            nums = [int(x) for x in version.split(".")]
            if part[0] == "^":
                first = next((i for i, n in enumerate(nums) if n != 0), len(nums) - 1)
                index = min(first, len(nums) - 1)
            else:
                index = 1 if len(nums) > 1 else 0
            padded = nums if len(nums) > index else [*nums, 0]
            out.append(f">={version},<{_bump(padded, index)}")
        elif _VERSION.match(part) or re.match(r"^\d+(\.\d+)*\.\*$", part):
            out.append(f"=={part}")
        else:
            out.append(part.replace(" ", ""))
    return ",".join(out)


def _marker(python: str) -> str:
    """Poetry's per-dependency ``python = "^3.8"`` as an environment marker."""
    spec = poetry_constraint(python, "python")
    return " and ".join(f'python_version {m.group(1)} "{m.group(2)}"'
                        for m in re.finditer(r"(>=|<=|==|!=|<|>)([\d.*]+)", spec))


def poetry_requirements(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    deps = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
    reqs: list[str] = []
    for name, value in deps.items():
        if normalize(name) == "python":
            continue
        where = f"pyproject.toml [tool.poetry.dependencies] {name}"
        if isinstance(value, str):
            reqs.append(name + poetry_constraint(value, where))
            continue
        if not isinstance(value, dict):
            raise BuildFailed(f"{where}: several constraints per package are not supported; "
                              "use requirements.txt or a PEP 621 [project] table")
        if value.get("optional"):
            continue
        if "path" in value:
            raise BuildFailed(f"{where}: path dependencies are not supported; "
                              "publish the package or vendor it into the app")
        extras = value.get("extras", [])
        req = name + (f"[{','.join(extras)}]" if extras else "")
        if "git" in value:
            ref = value.get("rev") or value.get("tag") or value.get("branch")
            req += f" @ git+{value['git']}" + (f"@{ref}" if ref else "")
        elif "url" in value:
            req += f" @ {value['url']}"
        else:
            req += poetry_constraint(str(value.get("version", "*")), where)
        markers = [m for m in (value.get("markers"),
                               _marker(value["python"]) if "python" in value else None) if m]
        if markers:
            req += "; " + " and ".join(f"({m})" for m in markers)
        reqs.append(_check_requirement(req, "pyproject.toml"))
    return tuple(reqs)


# Pipenv -----------------------------------------------------------------------------
def _pipfile_entry(name: str, value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return name + ("" if value.strip() == "*" else value.strip())
    if not isinstance(value, dict):
        raise BuildFailed(f"{where}: cannot read the entry for {name}")
    if value.get("path") or value.get("file"):
        if value.get("path") in (".", "./") or value.get("file") in (".", "./"):
            return None  # the app itself, run from /app
        raise BuildFailed(f"{where}: path dependency {name} is not supported")
    extras = value.get("extras", [])
    req = name + (f"[{','.join(extras)}]" if extras else "")
    if "git" in value:
        ref = value.get("ref")
        req += f" @ git+{value['git']}" + (f"@{ref}" if ref else "")
    else:
        version = str(value.get("version", "*")).strip()
        req += "" if version == "*" else version
    if value.get("markers"):
        req += f"; {value['markers']}"
    return req


def pipfile_requirements(src: SourceTree) -> tuple[str, ...]:
    lock_text = src.read("Pipfile.lock")
    if lock_text is not None:
        try:
            lock = json.loads(lock_text)
            entries = lock["default"]
            if not isinstance(entries, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise BuildFailed("Pipfile.lock is not a readable Pipenv lock file "
                              "(run `pipenv lock` again)") from None
        where = "Pipfile.lock"
    else:
        pipfile = toml(src, "Pipfile") or {}
        entries = pipfile.get("packages", {})
        where = "Pipfile [packages]"
    reqs = (_pipfile_entry(n, v, where) for n, v in entries.items())
    return tuple(_check_requirement(r, where) for r in reqs if r is not None)


def pipfile_python(src: SourceTree) -> str | None:
    if not src.has("Pipfile"):
        return None
    requires = (toml(src, "Pipfile") or {}).get("requires", {})
    value = requires.get("python_full_version") or requires.get("python_version")
    return str(value) if value else None


# Lock files as constraints ----------------------------------------------------------
def lock_pins(data: Mapping[str, Any], path: str) -> tuple[str, ...]:
    """``name==version`` for every registry package of a poetry/uv/pdm lock.

    As pip constraints they pin whatever the install pulls in and install nothing by
    themselves, so platform-specific entries of the lock are harmless. Packages locked
    at several versions (forks by environment marker) and non-registry sources are left
    to the resolver.
    """
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise BuildFailed(f"{path} has no [[package]] entries we can read")
    versions: dict[str, set[str]] = {}
    for pkg in packages:
        if not isinstance(pkg, dict) or "name" not in pkg or "version" not in pkg:
            continue
        source = pkg.get("source", {})
        if isinstance(source, dict) and (
            source.get("type") in ("git", "directory", "file", "url")
            or any(k in source for k in ("git", "path", "directory", "editable",
                                         "virtual", "url"))
        ):
            continue
        if any(k in pkg for k in ("git", "path", "url")):
            continue
        versions.setdefault(normalize(str(pkg["name"])), set()).add(str(pkg["version"]))
    return tuple(f"{n}=={next(iter(v))}" for n, v in sorted(versions.items()) if len(v) == 1)


# setup.py ---------------------------------------------------------------------------
def setup_py_requirements(text: str) -> tuple[str, ...] | None:
    """``install_requires`` of ``setup(...)`` when it is a literal list; else None."""
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise BuildFailed(f"setup.py line {e.lineno}: {e.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called != "setup":
            continue
        for kw in node.keywords:
            if kw.arg == "install_requires":
                try:
                    value = ast.literal_eval(kw.value)
                except ValueError:
                    return None
                if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                    return tuple(_check_requirement(v, "setup.py") for v in value)
                return None
        return ()
    return None


def requirement_names(lines: Iterable[str]) -> set[str]:
    return {n for n in (requirement_name(line) for line in lines) if n}
