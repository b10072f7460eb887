from types import SimpleNamespace

import pytest

from paas.builder.buildpacks import Buildpacks, load, make_plan
from paas.builder.plan import WebServer
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount, WebProtocol
from paas.errors import BuildFailed

CONF = "/opt/paas/gunicorn.conf.py"
FLASK_WEB = f"gunicorn --config {CONF} app:app"
APP_PY = "from flask import Flask\n\napp = Flask(__name__)\n"


def _src(files, listing=()):
    return SourceTree(files=files, listing=frozenset(listing))


@pytest.fixture(scope="module")
def packs():
    return load()


def test_load_finds_python_and_flask(packs):
    assert [m.__name__ for m in packs.languages] == ["buildpacks.python"]
    assert [m.__name__ for m in packs.frameworks] == [
        "buildpacks.django", "buildpacks.script", "buildpacks.tornado", "buildpacks.flask",
        "buildpacks.asgi"]
    assert [m.__name__ for m in packs.servers] == ["buildpacks.uwsgi"]
    assert [m.__name__ for m in packs.processes] == ["buildpacks.celery",
                                                     "buildpacks.gunicorn"]


def test_load_sorts_frameworks_by_priority(tmp_path, monkeypatch):
    root = tmp_path / "fakepacks"
    for name, body in {
        "zlang": 'KIND = "language"\n',
        "late": 'KIND = "framework"\nPRIORITY = 90\n',
        "early": 'KIND = "framework"\nPRIORITY = 10\n',
        "default": 'KIND = "framework"\n',
        "other": "",
    }.items():
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text(body)
    (root / "__init__.py").write_text("")
    (root / "loose.py").write_text('KIND = "framework"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = load("fakepacks")
    assert [m.__name__ for m in loaded.languages] == ["fakepacks.zlang"]
    assert [m.__name__ for m in loaded.frameworks] == [
        "fakepacks.early",
        "fakepacks.default",
        "fakepacks.late",
    ]


def test_flask_app_without_procfile(packs):
    plan = make_plan(_src({"requirements.txt": "flask\n", "app.py": APP_PY}), packs)
    assert plan.processes == {"web": FLASK_WEB}
    assert plan.release_command is None
    assert plan.packages == ("gunicorn",)
    assert list(plan.files) == [CONF]
    assert plan.summary == "Flask app detected: app in app.py"
    assert plan.dependencies.files == ("requirements.txt",)


def test_procfile_web_wins_but_server_setup_is_kept(packs):
    src = _src({"requirements.txt": "flask\n", "app.py": APP_PY,
                "Procfile": "web: gunicorn -w 2 app:app\nworker: rq worker\n"})
    plan = make_plan(src, packs)
    assert plan.processes == {"web": "gunicorn -w 2 app:app", "worker": "rq worker"}
    assert plan.notes[0] == "Process web: taken from the Procfile (it always wins over detection)"
    assert plan.packages == ("gunicorn",)


def test_detected_web_goes_first_before_procfile_types(packs):
    src = _src({"requirements.txt": "flask\n", "app.py": APP_PY,
                "Procfile": "worker: celery -A app worker\n"})
    plan = make_plan(src, packs)
    assert list(plan.processes.items()) == [
        ("web", FLASK_WEB),
        ("worker", "celery -A app worker"),
    ]


def test_procfile_web_without_framework(packs):
    src = _src({"requirements.txt": "django\n", "Procfile": "web: gunicorn proj.wsgi\n"})
    plan = make_plan(src, packs)
    assert plan.processes == {"web": "gunicorn proj.wsgi"}
    assert plan.summary == "Python app"
    assert plan.packages == ()
    # the Procfile's bare gunicorn still gets the platform's config
    assert list(plan.files) == [CONF]
    assert plan.env == {"GUNICORN_CMD_ARGS": f"--config {CONF}"}


def test_procfile_only_worker_app_has_no_web(packs):
    src = _src({"requirements.txt": "celery\n", "Procfile": "worker: celery -A tasks worker\n"})
    plan = make_plan(src, packs)
    assert plan.processes == {"worker": "celery -A tasks worker"}
    assert "web" not in plan.processes
    assert plan.notes == ("No web process: only the Procfile's types run, none is routed",)
    assert plan.summary == "Python app"


def test_release_line_becomes_release_command(packs):
    src = _src({"requirements.txt": "flask\n", "app.py": APP_PY,
                "Procfile": "release: flask db upgrade\nweb: gunicorn app:app\n"})
    plan = make_plan(src, packs)
    assert plan.release_command == "flask db upgrade"
    assert plan.processes == {"web": "gunicorn app:app"}
    assert "Release phase: flask db upgrade" in plan.describe()


def test_no_python_manifest(packs):
    with pytest.raises(BuildFailed) as exc:
        make_plan(_src({"index.js": "", "Procfile": "web: node index.js\n"}), packs)
    assert exc.value.message.startswith("no buildpack detected: this is not a Python app")
    assert exc.value.status == 422


def test_unknown_framework_without_procfile_suggests_one(packs):
    with pytest.raises(BuildFailed) as exc:
        make_plan(_src({"requirements.txt": "django\n", "manage.py": ""}), packs)
    assert "could not tell how to start the web process (found nothing" in exc.value.message
    assert "add a Procfile with a line like 'web: gunicorn myapp.wsgi'" in exc.value.message


def test_release_only_procfile_is_not_enough(packs):
    with pytest.raises(BuildFailed, match="could not tell how to start the web process"):
        make_plan(_src({"requirements.txt": "x\n", "Procfile": "release: migrate\n"}), packs)


def test_bad_procfile_is_a_build_failure(packs):
    with pytest.raises(BuildFailed) as exc:
        make_plan(_src({"requirements.txt": "x\n", "Procfile": "web: a\nweb: b\n"}), packs)
    assert exc.value.message == "Procfile line 2: process type 'web' defined twice"


def _fw(name, reason):
    web = WebServer(framework=name, command=f"{name.lower()}-serve", reason=reason,
                    static=(StaticMount("/s/", "/app/s"),))
    return SimpleNamespace(__name__=name, detect=lambda src: web)


def test_two_frameworks_is_ambiguous(packs):
    both = Buildpacks(packs.languages, (_fw("A", "a.py"), _fw("B", "b.py")))
    with pytest.raises(BuildFailed) as exc:
        make_plan(_src({"requirements.txt": "x\n"}), both)
    assert "(found A: a.py; B: b.py)" in exc.value.message
    # A Procfile web line settles it; neither framework's setup is used.
    plan = make_plan(_src({"requirements.txt": "x\n", "Procfile": "web: serve\n"}), both)
    assert plan.processes == {"web": "serve"}
    assert plan.static == ()


def test_framework_values_flow_into_the_plan(packs):
    one = Buildpacks(packs.languages, (_fw("A", "a.py"),))
    plan = make_plan(_src({"requirements.txt": "x\n"}), one)
    assert plan.processes == {"web": "a-serve"}
    assert plan.static == (StaticMount("/s/", "/app/s"),)
    assert plan.summary == "A app detected: a.py"


def test_describe_lists_everything_in_order(packs):
    src = _src({"requirements.txt": "celery\n",
                "Procfile": "worker: celery worker\nrelease: migrate\n"})
    assert make_plan(src, packs).describe() == [
        "Python app",
        "Dependencies: pip (requirements.txt)",
        "Stack: Python 3.14 on Debian forky, paas-stack/python:3.14-forky-r3 (the newest "
        "here; pin a version in .python-version)",
        "No web process: only the Procfile's types run, none is routed",
        "Process worker: celery worker",
        "Release phase: migrate",
    ]


def test_ambiguous_push_lists_candidates_with_procfile_lines(packs):
    app = "from flask import Flask\napp = Flask(__name__)\n"
    src = {"requirements.txt": "flask\n", "site_a.py": app, "site_b.py": app}
    with pytest.raises(BuildFailed) as exc:
        make_plan(_src(src), packs)
    assert exc.value.message == (
        "could not tell how to start the web process (found Flask: app in site_a.py; "
        "Flask: app in site_b.py); add a Procfile with the line for the one to serve: "
        f"'web: gunicorn --config {CONF} site_a:app' or "
        f"'web: gunicorn --config {CONF} site_b:app'")
    # the suggested line works, with that candidate's server setup
    plan = make_plan(_src({**src, "Procfile": f"web: gunicorn --config {CONF} site_b:app\n"}),
                     packs)
    assert plan.processes == {"web": f"gunicorn --config {CONF} site_b:app"}
    assert list(plan.files) == [CONF] and plan.packages == ("gunicorn",)


def test_server_pack_replaces_the_framework_server(packs):
    plan = make_plan(_src({"requirements.txt": "flask\n", "app.py": APP_PY,
                           "uwsgi.ini": "[uwsgi]\n"}), packs)
    assert plan.processes == {"web": "python /opt/paas/uwsgi_serve.py app:app"}
    assert plan.web_protocol is WebProtocol.UWSGI
    assert plan.packages == ("pyuwsgi",)


def test_procfile_web_always_speaks_http(packs):
    plan = make_plan(_src({"requirements.txt": "flask\n", "app.py": APP_PY,
                           "uwsgi.ini": "[uwsgi]\n",
                           "Procfile": "web: uwsgi --http-socket :$PORT --module app:app\n"}),
                     packs)
    assert plan.web_protocol is WebProtocol.HTTP
    assert plan.processes["web"].startswith("uwsgi --http-socket")


def test_syntax_error_fails_before_detection(packs):
    with pytest.raises(BuildFailed, match=r"^app\.py line 4: invalid syntax$"):
        make_plan(_src({"requirements.txt": "flask\n", "app.py": APP_PY + "def (:\n"}), packs)


def test_framework_matrix(packs):
    """One small app per layout: what is detected and how it is served."""
    django_settings = ("from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent"
                       ".parent\nWSGI_APPLICATION = 'proj.wsgi.application'\n"
                       "STATIC_ROOT = BASE_DIR / 'staticfiles'\n")
    tornado_app = ("import asyncio, tornado.web\nasync def main():\n"
                   "    tornado.web.Application([]).listen(8000)\n"
                   "    await asyncio.Event().wait()\n"
                   "if __name__ == '__main__':\n    asyncio.run(main())\n")
    matrix = {
        "flask-package": ({"requirements.txt": "flask\n", "shop/__init__.py":
                           "from flask import Flask\ndef create_app():\n    return Flask('x')\n"},
                          "Flask app detected: create_app() in shop/__init__.py",
                          f"gunicorn --config {CONF} 'shop:create_app()'"),
        "django": ({"requirements.txt": "django\n", "manage.py":
                    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
                    "proj/settings.py": django_settings},
                   "Django app detected: WSGI_APPLICATION = proj.wsgi.application "
                   "(settings proj.settings)", f"gunicorn --config {CONF} proj.wsgi:application"),
        "tornado": ({"requirements.txt": "tornado\n", "app.py": tornado_app},
                    "Tornado app detected: tornado.web.Application started in app.py",
                    "python /opt/paas/tornado_serve.py app.py"),
        "fastapi-pyproject": ({"pyproject.toml": '[project]\ndependencies = ["fastapi"]\n',
                               "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
                              "FastAPI app detected: app in main.py",
                              f"gunicorn --config {CONF} --worker-class "
                              "uvicorn_worker.UvicornWorker main:app"),
    }
    for name, (files, summary, web) in matrix.items():
        plan = make_plan(_src(files), packs)
        assert (plan.summary, plan.processes["web"]) == (summary, web), name
