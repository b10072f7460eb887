"""A SQLite database in Flask's instance folder becomes a data folder of the build."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import cast

import pytest

import buildpacks.flask as flask_pack
from paas.builder.buildpacks import load, make_plan
from paas.builder.dockerfile import render
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import Build, data_dir_problem
from paas.errors import BuildFailed
from paas.store.codec import build_from_dict, build_to_dict

FLASKR = Path(__file__).resolve().parents[2] / "e2e" / "apps" / "flaskr"
FACTORY = ("import os\nfrom flask import Flask\n\ndef create_app():\n"
           "    app = Flask(__name__{kwargs})\n{body}    return app\n")


def _tree(root: Path) -> SourceTree:
    files = {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}
    return SourceTree(files=files)


def _web(files: dict[str, str]) -> WebServer:
    found = flask_pack.detect(SourceTree(files=files))
    assert found is not None and len(found) == 1, found
    return found[0]


def _factory(body: str = "", kwargs: str = "", reqs: str = "flask\n") -> WebServer:
    return _web({"requirements.txt": reqs,
                 "blog/__init__.py": FACTORY.format(kwargs=kwargs, body=body)})


def test_the_tutorial_shape_keeps_its_instance_folder_on_a_volume() -> None:
    web = _web(dict(_tree(FLASKR).files))
    assert web.command == "gunicorn --config /opt/paas/gunicorn.conf.py 'flaskr:create_app()'"
    assert web.data_dirs == ("/app/instance",) and not web.writable_root
    assert ("Data: /app/instance holds a SQLite database (flaskr/__init__.py): a volume of "
            "the app that the release phase, every replica and `paas run` share, kept "
            "across releases (one host; use the PostgreSQL add-on to outgrow it)") in web.notes


def test_the_plan_runs_init_db_as_the_release_phase_and_makes_the_folder() -> None:
    plan = make_plan(_tree(FLASKR), load())
    assert plan.release_command == "flask --app flaskr init-db"
    assert plan.processes == {
        "web": "gunicorn --config /opt/paas/gunicorn.conf.py 'flaskr:create_app()'"}
    assert plan.data_dirs == ("/app/instance",) and not plan.writable_root
    assert any(line.startswith("Data: /app/instance") for line in plan.describe())
    final = render(plan, "deps-image").splitlines()
    # made by the app's user, so the empty volume mounted there is the app's to write
    user = final.index("USER 10001:10001")
    assert final[user + 1] == 'RUN ["mkdir", "-p", "/app/instance"]'


def test_sqlite_under_the_instance_path_in_any_module() -> None:
    web = _factory('    db = os.path.join(app.instance_path, "blog.db")\n'
                   "    import sqlite3\n")
    assert web.data_dirs == ("/app/instance",)


def test_the_instance_path_without_sqlite_is_no_data_folder() -> None:
    web = _factory('    app.config.from_pyfile(os.path.join(app.instance_path, "c.py"))\n')
    assert web.data_dirs == () and not any(n.startswith("Data:") for n in web.notes)
    assert _web({"requirements.txt": "flask\n", "app.py":
                 "import sqlite3\nfrom flask import Flask\napp = Flask(__name__)\n"
                 "db = sqlite3.connect('/tmp/x.db')\n"}).data_dirs == ()


def test_flask_sqlalchemy_puts_a_relative_sqlite_url_in_the_instance_folder() -> None:
    body = '    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///blog.db"\n'
    assert _factory(body, reqs="flask\nflask-sqlalchemy\n").data_dirs == ("/app/instance",)
    # an absolute path is not in the instance folder; without the extension the URL is
    # plain SQLAlchemy's, relative to the working directory
    absolute = '    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:////data/blog.db"\n'
    assert _factory(absolute, reqs="flask\nflask-sqlalchemy\n").data_dirs == ()
    assert _factory(body, reqs="flask\nsqlalchemy\n").data_dirs == ()


def test_a_literal_instance_path_is_the_folder() -> None:
    body = '    db = os.path.join(app.instance_path, "x.sqlite")\n'
    assert _factory(body, kwargs=', instance_path="/app/var/data"').data_dirs == (
        "/app/var/data",)
    outside = _factory(body, kwargs=', instance_path="/var/blog"')
    assert outside.data_dirs == () and outside.writable_root
    assert any(n.startswith("Data: /var/blog holds a SQLite database (blog/__init__.py) "
                            "outside /app") for n in outside.notes)


@pytest.mark.parametrize("path", ["/app/", "/app", "/app/..", "/app/../etc", "/opt/venv",
                                  "/app/a//b", "/app/.x", "/app/a b", "/app/instance/",
                                  "/app/" + "x" * 300])
def test_data_folders_are_plain_paths_below_the_app(path: str) -> None:
    assert data_dir_problem(path) is not None


def test_data_folders_survive_the_store() -> None:
    build = Build(image="i", commit="c", processes={"web": "x"}, data_dirs=("/app/instance",))
    assert build_from_dict(build_to_dict(build)) == build
    old = build_to_dict(build)
    del old["data_dirs"]  # a build recorded before data folders
    assert build_from_dict(old).data_dirs == ()


def test_a_buildpack_naming_a_folder_outside_the_app_fails_the_build() -> None:
    bad = WebServer("Flask", "gunicorn app:app", "app in app.py", data_dirs=("/opt/venv",))
    pack = SimpleNamespace(KIND="framework", detect=lambda src: bad)
    only = replace(load(), frameworks=(cast(ModuleType, pack),))
    with pytest.raises(BuildFailed, match="a data folder must be a path below /app"):
        make_plan(SourceTree(files={"requirements.txt": "flask\n"}), only)


@pytest.mark.parametrize("path", ["instance", "var", "var/data"])
def test_a_file_or_link_of_the_source_where_a_data_folder_goes_fails_the_build(
        path: str) -> None:
    """The folder is made before the source is copied over it: a file there would
    replace it, and the volume could not be mounted."""
    body = '    db = os.path.join(app.instance_path, "x.sqlite")\n'
    files = {"requirements.txt": "flask\n",
             "blog/__init__.py": FACTORY.format(kwargs="", body=body)}
    folder = "/app/var/data" if path.startswith("var") else "/app/instance"
    if folder != "/app/instance":
        files["blog/__init__.py"] = FACTORY.format(
            kwargs=f", instance_path={folder!r}", body=body)
    assert make_plan(SourceTree(files=files), load()).data_dirs == (folder,)
    for tree in (SourceTree(files={**files, path: "x"}),
                 SourceTree(files=files, listing=frozenset({path}))):
        with pytest.raises(BuildFailed, match=f"{folder} is a data folder of the app, but "
                           f"the source has a file or a link at {path}:"):
            make_plan(tree, load())
    # files inside the folder are the app's own: they stay
    inside = SourceTree(files={**files, f"{folder.removeprefix('/app/')}/seed.txt": "x"})
    assert make_plan(inside, load()).data_dirs == (folder,)
