"""The Python language buildpack: how an app's dependencies get into the image's venv.

Exactly one way of declaring dependencies is used. The locked or explicit ones
(requirements.txt, Pipfile, Poetry, uv, PDM) exclude each other: when two are present we
cannot know which one the developer keeps up to date, so the push is rejected and the
files are named. Without any of them, pyproject.toml's PEP 621 table, else setup.py.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from buildpacks.python import manifests as M
from paas.builder.plan import ALL_DEBIAN_STACKS, GENERATED_DIR, Dependencies, Stack
from paas.builder.source import SourceTree
from paas.errors import BuildFailed

KIND = "language"

_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)")
_LOCAL = re.compile(r"^\s*(?:-e\s+|--editable\s+)?(\.|\./|/|file:)")
_REQS = f"{GENERATED_DIR}/requirements.txt"
_CONSTRAINTS = f"{GENERATED_DIR}/constraints.txt"


def _requirement_files(src: SourceTree, path: str, seen: set[str]) -> bool:
    """Collect ``path`` and the files it includes; False when it needs the whole tree."""
    seen.add(path)
    text = src.read(path) or ""
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for line in text.splitlines():
        if _LOCAL.match(line):
            return False
        m = _INCLUDE.match(line)
        if m:
            inc = base + m.group(1)
            if inc not in seen and (not src.has(inc) or not _requirement_files(src, inc, seen)):
                return False
    return True


def _pyproject(src: SourceTree) -> dict[str, Any] | None:
    return M.toml(src, "pyproject.toml")


def _has_poetry_deps(pyproject: dict[str, Any] | None) -> bool:
    deps = (pyproject or {}).get("tool", {}).get("poetry", {}).get("dependencies", {})
    return any(M.normalize(k) != "python" for k in deps)


def _ways(src: SourceTree, pyproject: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """The explicit dependency managers present, each with the files that show it."""
    ways: dict[str, tuple[str, ...]] = {}
    if src.has("requirements.txt"):
        ways["pip"] = ("requirements.txt",)
    pipenv = tuple(f for f in ("Pipfile", "Pipfile.lock") if src.has(f))
    if pipenv:
        ways["Pipenv"] = pipenv
    if src.has("poetry.lock") or _has_poetry_deps(pyproject):
        ways["Poetry"] = tuple(f for f in ("pyproject.toml", "poetry.lock") if src.has(f))
    if src.has("uv.lock"):
        ways["uv"] = ("uv.lock",)
    if src.has("pdm.lock"):
        ways["PDM"] = ("pdm.lock",)
    return ways


def _generated(reqs: tuple[str, ...], pins: tuple[str, ...] = ()
               ) -> tuple[dict[str, str], tuple[tuple[str, ...], ...]]:
    files = {"requirements.txt": "".join(r + "\n" for r in reqs)}
    args: tuple[str, ...] = ("-r", _REQS)
    if pins:
        files["constraints.txt"] = "".join(p + "\n" for p in pins)
        args += ("-c", _CONSTRAINTS)
    return files, (args,)


def _requirements_txt(src: SourceTree) -> Dependencies:
    seen: set[str] = set()
    only_manifests = _requirement_files(src, "requirements.txt", seen)
    return Dependencies(
        manager="pip (requirements.txt)",
        files=tuple(sorted(seen)) if only_manifests else None,
        pip_args=(("-r", "requirements.txt"),),
    )


def _from_pyproject(src: SourceTree, pyproject: dict[str, Any], manager: str,
                    lock: str | None) -> Dependencies:
    reqs = M.pep621(pyproject)
    if reqs is None:
        # Dynamic dependencies: only the project's build backend knows them.
        return Dependencies(
            manager=f"{manager}, pip install . (dependencies are dynamic)",
            files=None,
            pip_args=((".",),),
            notes=("The whole source goes into the dependency stage: its cache is lost on "
                   "every push; list [project].dependencies statically to keep it",),
        )
    if not reqs and manager == "Poetry":
        reqs = M.poetry_requirements(pyproject)
    pins = M.lock_pins(M.toml(src, lock) or {}, lock) if lock else ()
    generated, args = _generated(reqs, pins)
    return Dependencies(manager=manager, files=(), pip_args=args, generated=generated)


def _dependencies(src: SourceTree) -> Dependencies | None:
    pyproject = _pyproject(src)
    ways = _ways(src, pyproject)
    if len(ways) > 1:
        listed = "; ".join(f"{', '.join(files)} ({way})" for way, files in ways.items())
        raise BuildFailed(
            f"conflicting dependency manifests: {listed}. Keep one way of declaring "
            "dependencies and delete the other files"
        )
    way = next(iter(ways), None)
    if way == "pip":
        return _requirements_txt(src)
    if way == "Pipenv":
        lock = "Pipfile.lock" if src.has("Pipfile.lock") else None
        generated, args = _generated(M.pipfile_requirements(src))
        return Dependencies(manager=f"Pipenv ({lock or 'Pipfile'}), installed by pip",
                            files=(), pip_args=args, generated=generated)
    if way is not None:
        lock = {"Poetry": "poetry.lock", "uv": "uv.lock", "PDM": "pdm.lock"}[way]
        if pyproject is None:
            raise BuildFailed(f"{lock} without pyproject.toml: the lock alone does not say "
                              "which packages the app needs")
        has_lock = src.has(lock)
        manager = f"{way} ({'pyproject.toml + ' + lock if has_lock else 'pyproject.toml'})" \
            ", installed by pip"
        deps = _from_pyproject(src, pyproject, way, lock if has_lock else None)
        return Dependencies(manager=manager, files=deps.files, pip_args=deps.pip_args,
                            generated=deps.generated, notes=deps.notes)
    if pyproject is not None:
        if "project" not in pyproject:
            if src.has("setup.py"):
                return _setup_py(src)
            raise BuildFailed("pyproject.toml has no [project] table (nor Poetry's): "
                              "declare the app's dependencies in [project].dependencies")
        deps = _from_pyproject(src, pyproject, "pyproject.toml (PEP 621)", None)
        return Dependencies(manager="pip (pyproject.toml [project].dependencies)",
                            files=deps.files, pip_args=deps.pip_args,
                            generated=deps.generated, notes=deps.notes)
    if src.has("setup.py"):
        return _setup_py(src)
    return None


def _setup_py(src: SourceTree) -> Dependencies:
    reqs = M.setup_py_requirements(src.read("setup.py") or "")
    if reqs is None:
        return Dependencies(
            manager="pip install . (setup.py, install_requires is computed)",
            files=None,
            pip_args=((".",),),
        )
    generated, args = _generated(reqs)
    return Dependencies(manager="pip (setup.py install_requires)", files=(), pip_args=args,
                        generated=generated)


@dataclass(frozen=True)
class PythonRequest:
    """The Python an app asks for: a pinned ``major.minor``, or a requires-python range."""

    where: str
    #: As the file wrote it, for messages.
    text: str
    minor: tuple[int, int] | None = None
    #: requires-python clauses as (operator, (major, minor)).
    clauses: tuple[tuple[str, tuple[int, int]], ...] = ()

    def allows(self, version: tuple[int, ...]) -> bool:
        """Whether a stack's ``major.minor`` satisfies the range (patch levels are the
        stack's own, so a clause's patch is ignored: ``>=3.12.1`` allows 3.12)."""
        have = (version[0], version[1]) if len(version) > 1 else (version[0], 0)
        return all(_CMP[op](have, want) for op, want in self.clauses)


_CMP = {
    ">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "~=": lambda a, b: a >= b and a[0] == b[0],
}
_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|~=|>|<)\s*(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?\s*$")
#: ``3.13``, ``3.13.1``, ``python-3.13.1`` (Heroku's runtime.txt), ``cpython-3.13``.
_PIN = re.compile(r"^(?:c?python-?)?(\d+)\.(\d+)(?:\.\d+)?(?:[a-z]+\d*)?$", re.I)


def _pin_line(text: str) -> str | None:
    """The version line of a .python-version or runtime.txt: comments and blank lines
    are skipped (pyenv and uv do; Heroku's template starts with a comment)."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


def _pin(text: str, where: str) -> PythonRequest:
    m = _PIN.match(text)
    if m is None:
        raise BuildFailed(f"{where}: cannot read a Python version in {text!r}; only CPython "
                          "stacks exist here: write e.g. 3.13")
    return PythonRequest(where, text, minor=(int(m.group(1)), int(m.group(2))))


def _requires_python(text: str) -> PythonRequest:
    clauses: list[tuple[str, tuple[int, int]]] = []
    for part in text.split(","):
        m = _CLAUSE.match(part)
        if m is None:
            raise BuildFailed(f"pyproject.toml: cannot read requires-python {text!r}")
        op, major, minor, patch = m.groups()
        if minor in (None, "*"):
            # >=3 / ==3.*: the whole major line
            low, high = (int(major), 0), (int(major) + 1, 0)
            clauses += {"==": [(">=", low), ("<", high)], "!=": [("<", low)]}.get(
                op, [(op, low)])
            continue
        version = (int(major), int(minor))
        if op == "~=" and patch not in (None, "*"):
            op = "=="  # ~=3.12.1 stays within 3.12
        clauses.append((op, version))
    return PythonRequest("requires-python", text, clauses=tuple(clauses))


def python_request(src: SourceTree) -> tuple[PythonRequest | None, PythonRequest | None]:
    """(the pinned version, the requires-python range), each None when absent.

    Pins come from .python-version, runtime.txt and Pipfile [requires]; two pins that
    name different minors are a conflict the push reports rather than guesses at.
    """
    pins: list[PythonRequest] = []
    for path in (".python-version", "runtime.txt"):
        line = _pin_line(src.read(path) or "")
        if line:
            pins.append(_pin(line, path))
    pinned = M.pipfile_python(src)
    if pinned:
        pins.append(_pin(pinned.strip(), "Pipfile [requires]"))
    if len({p.minor for p in pins}) > 1:
        listed = ", ".join(f"{p.text} in {p.where}" for p in pins)
        raise BuildFailed(f"conflicting Python versions: {listed}")
    requires = (_pyproject(src) or {}).get("project", {}).get("requires-python")
    return (pins[0] if pins else None,
            _requires_python(str(requires)) if requires else None)


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(v) for v in version)


def _not_built(stack: Stack, why: str) -> BuildFailed:
    return BuildFailed(f"{why}, but its stack {stack.image} is not built on this platform: "
                       f"run `paas stack build --python {stack.python}` on the platform host")


def _offered(stacks: Sequence[Stack]) -> str:
    return ", ".join(s.label for s in stacks)


def choose_stack(src: SourceTree, stacks: Sequence[Stack]) -> tuple[Stack, str]:
    """The stack to build on, and the line that says why.

    A pin (``3.13``) takes the stack of that minor; a minor no stack has takes the
    nearest later one of the same major (``3.12`` -> 3.13: newer than asked, but the
    smallest step from it), else the push fails naming what exists. Without a pin,
    the newest built stack that requires-python allows; without either, the newest
    built stack. A stack the platform offers but has not built is an error with the
    command that builds it, never a silent fallback to another Python.
    """
    ordered = sorted(stacks, key=lambda s: s.key)
    pin, requires = python_request(src)
    if pin is not None and pin.minor is not None:
        asked = pin.minor
        same = [s for s in ordered if s.key[:2] == asked]
        later = [s for s in ordered if s.key[0] == asked[0] and s.key[:2] > asked]
        if requires is not None and not requires.allows(asked):
            raise BuildFailed(f"conflicting Python versions: {pin.text} in {pin.where}, "
                              f"requires-python {requires.text} in pyproject.toml")
        if same:
            stack = ([s for s in same if s.built] or same)[-1]
            why = f"from {pin.where}"
        elif later:
            stack = later[0]
            why = (f"{pin.where} asks {_dotted(asked)}, which no stack has: "
                   "the nearest later one")
        else:
            raise BuildFailed(f"{pin.where} asks for Python {pin.text}: no stack offers "
                              f"{_dotted(asked)} or later (stacks: {_offered(ordered)})")
        if not stack.built:
            raise _not_built(stack, f"{pin.where} asks for Python {pin.text}")
    else:
        allowed = [s for s in ordered if requires is None or requires.allows(s.key)]
        if not allowed:
            raise BuildFailed(f"requires-python {requires.text if requires else ''} allows "
                              f"none of the stacks ({_offered(ordered)})")
        built = [s for s in allowed if s.built]
        if not built:
            if requires is not None:
                raise _not_built(allowed[-1], f"requires-python {requires.text} allows "
                                 f"Python {allowed[-1].python}")
            raise BuildFailed("no Python stack is built on this platform: run "
                              "`paas stack build` on the platform host")
        stack = built[-1]
        why = (f"the newest requires-python {requires.text} allows" if requires
               else "the newest here; pin a version in .python-version")
    return stack, f"Stack: {stack.label}, {stack.image} ({why})"


def dependencies(src: SourceTree, stacks: Sequence[Stack] = ALL_DEBIAN_STACKS
                 ) -> Dependencies | None:
    deps = _dependencies(src)
    if deps is None:
        return None
    stack, note = choose_stack(src, stacks)
    return Dependencies(
        manager=deps.manager, files=deps.files, pip_args=deps.pip_args,
        python_version=stack.python, stack=stack, notes=(note, *deps.notes),
        generated=deps.generated,
    )


# Helpers for framework buildpacks -----------------------------------------------------
def requirement_lines(src: SourceTree) -> tuple[str, ...]:
    """Every requirement line any manifest of the app holds, extras included.

    Broken manifests count as empty here; the dependency step reports them.
    """
    lines: list[str] = []
    for path in src.paths(".txt"):
        if path.rsplit("/", 1)[-1].startswith("requirements") or path.startswith(
            "requirements/"
        ):
            lines += (src.read(path) or "").splitlines()
    try:
        pyproject = _pyproject(src) or {}
        lines += M.pep621(pyproject) or ()
        for extra in pyproject.get("project", {}).get("optional-dependencies", {}).values():
            lines += extra
        try:
            lines += M.poetry_requirements(pyproject)
        except BuildFailed:
            lines += pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
        if src.has("Pipfile") or src.has("Pipfile.lock"):
            lines += M.pipfile_requirements(src)
        if src.has("setup.py"):
            lines += M.setup_py_requirements(src.read("setup.py") or "") or ()
    except BuildFailed:
        pass
    return tuple(lines)


def declared(src: SourceTree) -> frozenset[str]:
    """Normalised names of every package any manifest of the app mentions.

    Frameworks look here before they look at code: a Flask() call in an app that does
    not depend on Flask is not a Flask app.
    """
    return frozenset(M.requirement_names(requirement_lines(src)) - {"python"})


def declared_extras(src: SourceTree, package: str) -> frozenset[str]:
    """The extras the app asks of ``package`` (``celery[redis,sqs]``: redis, sqs)."""
    wanted = M.normalize(package)
    extras: set[str] = set()
    for line in requirement_lines(src):
        if M.requirement_name(line) != wanted:
            continue
        m = re.match(r"^\s*[A-Za-z0-9._-]+\s*\[([^\]]*)\]", line)
        if m:
            extras |= {M.normalize(e.strip()) for e in m.group(1).split(",") if e.strip()}
    return frozenset(extras)


def modules(src: SourceTree, max_depth: int = 1) -> Iterator[tuple[str, ast.Module]]:
    """Parsed app modules at most ``max_depth`` folders deep, tests left out.

    Static analysis only: the user's code is parsed, never imported on the platform.
    """
    for path in src.paths(".py"):
        if path.count("/") > max_depth or path.startswith(("tests/", "test/", "test_")):
            continue
        if "/test_" in path or path.endswith("/conftest.py") or path == "conftest.py":
            continue
        try:
            yield path, src.parse(path)
        except (SyntaxError, ValueError):
            continue


def module_name(path: str) -> str:
    mod = path[: -len(".py")].replace("/", ".")
    return mod[: -len(".__init__")] if mod.endswith(".__init__") else mod


def check(src: SourceTree) -> None:
    """A syntax error anywhere in the app fails the push before any build, with the line."""
    for path in src.paths(".py"):
        try:
            src.parse(path)
        except SyntaxError as e:
            line = (e.text or "").rstrip("\n")
            raise BuildFailed(
                f"{path} line {e.lineno}: {e.msg}",
                log=f'  File "{path}", line {e.lineno}\n    {line.strip()}',
            ) from None
        except ValueError as e:  # null bytes
            raise BuildFailed(f"{path}: {e}") from None


def call_name(node: ast.AST) -> str:
    """``Flask`` for ``Flask(...)`` and ``flask.Flask(...)``; "" when not a call."""
    if not isinstance(node, ast.Call):
        return ""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def literal_kwargs(call: ast.Call) -> dict[str, object]:
    """Keyword arguments of a call that are literals (strings, None, numbers)."""
    out: dict[str, object] = {}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        try:
            out[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            continue
    return out


def pick(candidates: list[tuple[tuple[object, ...], str, str]]
         ) -> list[tuple[str, str]]:
    """The best-ranked (path, target) candidates: one when detection is sure, else all
    that tie, so the push can list them."""
    if not candidates:
        return []
    best = min(rank for rank, _, _ in candidates)
    return [(path, target) for rank, path, target in sorted(candidates) if rank == best]


# Scripts that start their own server ------------------------------------------------
def imports(tree: ast.Module, package: str) -> bool:
    """Whether the module imports ``package`` or one of its submodules."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == package or a.name.startswith(package + ".") for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (
            (node.module or "") == package or (node.module or "").startswith(package + ".")
        ):
            return True
    return False


def imported_modules(tree: ast.Module) -> frozenset[str]:
    """Every module the tree imports by absolute name (``a.b`` for ``import a.b`` and
    for ``from a.b import c``): one walk, for callers that ask about several packages."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return frozenset(found)


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


def _calls(nodes: list[ast.stmt]) -> list[ast.Call]:
    return [n for stmt in nodes for n in ast.walk(stmt) if isinstance(n, ast.Call)]


def _receiver(call: ast.Call) -> str:
    """``app`` for ``app.run()``; "" when the call is not a method call on a name."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return ""


@dataclass(frozen=True)
class OwnServer:
    """A module that starts a server itself instead of (only) exposing an app object."""

    #: For the plan: "Tornado HTTPServer hosting a WSGI app".
    kind: str
    framework: str
    #: The server starts when the module is imported (so a WSGI server importing it
    #: would start it inside its first worker).
    at_import: bool
    #: It must run as a script: importing it elsewhere cannot serve it.
    native: bool
    #: Hosts a WSGI app that gunicorn could serve better.
    wsgi: bool = False
    #: Builds a ``tornado.web.Application`` (the Tornado buildpack runs those).
    tornado_application: bool = False


def tornado_application_names(tree: ast.Module) -> set[str]:
    """Names that build a tornado Application here: the class and local subclasses."""
    names = {"Application"}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            (isinstance(b, ast.Attribute) and b.attr == "Application")
            or (isinstance(b, ast.Name) and b.id in names)
            for b in node.bases
        ):
            names.add(node.name)
    return names


def own_server(tree: ast.Module) -> OwnServer | None:
    """The server a module starts at import or under ``if __name__ == "__main__"``.

    Read statically. At import means a top-level statement (not inside a function, a
    class or the main guard). Under the main guard also counts the module's functions
    the guard calls (``asyncio.run(main())``). A Flask ``app.run()`` under the main guard
    is the development server for ``python app.py``: gunicorn serves that app instead,
    so it is reported but not native.
    """
    top = [s for s in tree.body if not isinstance(
        s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not _is_main_guard(s)]
    guard = [s for s in tree.body if _is_main_guard(s)]
    functions = {s.name: s for s in tree.body
                 if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    called = {call_name(c) for c in _calls(guard)} | {
        call_name(c) for c in _calls(top)}
    main_calls = _calls(guard) + _calls([functions[n] for n in sorted(called & set(functions))])
    flask_names = {t.id for s in tree.body if isinstance(s, ast.Assign)
                   and call_name(s.value) in ("Flask", "create_app", "make_app")
                   for t in s.targets if isinstance(t, ast.Name)}
    every = {call_name(n) for n in ast.walk(tree)}
    application = bool(every & tornado_application_names(tree))
    imported = imported_modules(tree)

    def uses(package: str) -> bool:
        return any(m == package or m.startswith(package + ".") for m in imported)

    for at_import, calls in ((True, _calls(top)), (False, main_calls)):
        names = {call_name(c) for c in calls}
        if uses("tornado") and names & {"listen", "start", "bind"} and (
            every & {"HTTPServer", "WSGIContainer"} or application
        ):
            wsgi = "WSGIContainer" in every
            kind = ("Tornado HTTPServer hosting a WSGI app" if wsgi else
                    "Tornado Application" if application else "Tornado HTTPServer")
            return OwnServer(kind, "Tornado", at_import, native=True, wsgi=wsgi,
                             tornado_application=application)
        if uses("aiohttp") and "run_app" in names:
            return OwnServer("aiohttp web.run_app", "aiohttp", at_import, native=True)
        if any(call_name(c) == "run" and _receiver(c) in flask_names for c in calls):
            return OwnServer("Flask development server (app.run)", "Flask", at_import,
                             native=at_import, wsgi=True)
    return None
