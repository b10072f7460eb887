"""Process types found in the code (celery) and gunicorn's config for Procfile lines."""

import pytest

import buildpacks.celery as celery_pack
import buildpacks.gunicorn as gunicorn_pack
from paas.builder.buildpacks import load, make_plan
from paas.builder.source import SourceTree

CONF = "/opt/paas/gunicorn.conf.py"
DJANGO_CELERY = (
    "import os\nfrom celery import Celery\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
    "app = Celery('proj')\napp.config_from_object('django.conf:settings', namespace='CELERY')\n"
    "app.autodiscover_tasks()\n")


def _src(files, reqs="celery[redis]\n"):
    return SourceTree(files={"requirements.txt": reqs, **files})


@pytest.mark.parametrize(
    ("files", "worker"),
    [
        ({"proj/celery.py": DJANGO_CELERY, "proj/__init__.py": ""},
         "celery -A proj worker --loglevel=INFO"),
        ({"tasks.py": "from celery import Celery\napp = Celery('tasks', broker='redis://')\n"},
         "celery -A tasks worker --loglevel=INFO"),
        ({"jobs/queue.py": "import celery\nqueue = celery.Celery('q')\n"},
         "celery -A jobs.queue:queue worker --loglevel=INFO"),
    ],
)
def test_celery_app_found_statically_gets_a_worker(files, worker):
    setup = celery_pack.setup(_src(files), {})
    assert setup.processes == {"worker": worker}
    assert "added at scale 0: start with `paas scale worker=1`" in setup.notes[0]


def test_beat_when_a_schedule_is_configured():
    for schedule in ("app.conf.beat_schedule = {'t': {}}\n",
                     "app.conf.update(beat_schedule={})\n"):
        setup = celery_pack.setup(_src({"tasks.py": "from celery import Celery\n"
                                        "app = Celery('t')\n" + schedule}), {})
        assert setup.processes["beat"] == "celery -A tasks beat --loglevel=INFO"
    django = _src({"proj/celery.py": DJANGO_CELERY,
                   "proj/settings.py": "CELERY_BEAT_SCHEDULE = {}\n"})
    assert set(celery_pack.setup(django, {}).processes) == {"worker", "beat"}


def test_the_procfile_keeps_its_celery_lines_and_names():
    src = _src({"tasks.py": "from celery import Celery\napp = Celery('t')\n"})
    assert celery_pack.setup(src, {"jobs": "celery -A tasks worker -Q a"}) is None
    assert celery_pack.setup(src, {"worker": "python work.py"}) is None
    assert celery_pack.setup(_src({"tasks.py": "x = 1\n"}), {}) is None
    assert celery_pack.setup(_src({"tasks.py": "from celery import Celery\napp = Celery()\n"},
                                  "flask\n"), {}) is None


def test_two_celery_apps_ask_for_a_procfile_line():
    app = "from celery import Celery\napp = Celery('x')\n"
    setup = celery_pack.setup(_src({"a/tasks.py": app, "b/tasks.py": app}), {})
    assert setup.processes == {}
    assert "Celery apps found (app in a/tasks.py, app in b/tasks.py)" in setup.notes[0]


def test_django_celery_without_procfile_plans_web_and_worker():
    files = {"manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
             "proj/__init__.py": "from .celery import app as celery_app\n",
             "proj/celery.py": DJANGO_CELERY, "proj/wsgi.py": "application = None\n",
             "proj/settings.py": "WSGI_APPLICATION = 'proj.wsgi.application'\n"}
    plan = make_plan(_src(files, "django\ncelery[redis]\n"), load())
    assert plan.processes == {"web": f"gunicorn --config {CONF} proj.wsgi:application",
                              "worker": "celery -A proj worker --loglevel=INFO"}


def test_a_bare_procfile_gunicorn_gets_the_platform_config():
    src = SourceTree(files={"requirements.txt": "flask\ngunicorn\n",
                            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
                            "Procfile": "web: gunicorn app:app\n"})
    plan = make_plan(src, load())
    assert plan.processes == {"web": "gunicorn app:app"}
    assert plan.env["GUNICORN_CMD_ARGS"] == f"--config {CONF}"
    assert CONF in plan.files
    assert any(n.startswith("gunicorn in the Procfile (web): the platform's config applies")
               for n in plan.notes)


@pytest.mark.parametrize(
    ("processes", "files", "env"),
    [
        ({"web": "flask db upgrade; gunicorn -w 4 microblog:app"}, {}, True),
        ({"web": "gunicorn -c my.py app:app"}, {}, True),
        ({"web": "gunicorn app:app"}, {"gunicorn.conf.py": "workers = 2\n"}, False),
        ({"web": "uwsgi --http :$PORT"}, {}, None),
    ],
)
def test_gunicorn_env(processes, files, env):
    setup = gunicorn_pack.setup(SourceTree(files=files), processes)
    if env is None:
        assert setup is None
    else:
        assert ("GUNICORN_CMD_ARGS" in setup.env) is env
