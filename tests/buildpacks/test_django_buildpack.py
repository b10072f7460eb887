import buildpacks.django as django_pack
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

MANAGE = ("import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n")
BASE = ("from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
        "WSGI_APPLICATION = 'proj.wsgi.application'\n")


def _src(settings, extra=None, reqs="Django>=5\n"):
    files = {"requirements.txt": reqs, "manage.py": MANAGE, "proj/__init__.py": "",
             "proj/wsgi.py": "application = None\n"}
    files.update({"proj/settings.py": settings} if isinstance(settings, str) else settings)
    files.update(extra or {})
    return SourceTree(files=files)


def test_wsgi_application_and_static_root():
    web = django_pack.detect(_src(BASE + "STATIC_URL = 'static/'\n"
                                  "STATIC_ROOT = BASE_DIR / 'staticfiles'\n"))
    assert web.framework == "Django"
    assert web.command == "gunicorn --config /opt/paas/gunicorn.conf.py proj.wsgi:application"
    assert web.wsgi == "proj.wsgi:application"
    assert web.reason == ("WSGI_APPLICATION = proj.wsgi.application (settings proj.settings)")
    assert web.build_steps == (("python", "manage.py", "collectstatic", "--noinput"),)
    assert web.static == (StaticMount("/static/", "/app/staticfiles"),)
    assert any(n.startswith("Tip: add 'release: python manage.py migrate") for n in web.notes)


def test_static_root_forms():
    forms = {
        "os.path.join(BASE_DIR, 'static_root')": "/app/static_root",
        "str(BASE_DIR / 'a' / 'b')": "/app/a/b",
        "BASE_DIR.joinpath('c')": "/app/c",
        "os.environ.get('STATIC_ROOT', BASE_DIR / 'env')": "/app/env",
        "'/app/abs'": "/app/abs",
    }
    for expr, path in forms.items():
        web = django_pack.detect(_src("import os\n" + BASE + f"STATIC_ROOT = {expr}\n"))
        assert web.static == (StaticMount("/static/", path),), expr
    old_style = ("import os\n"
                 "BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                 "STATIC_URL = '/assets/'\nSTATIC_ROOT = os.path.join(BASE_DIR, 'collected')\n")
    web = django_pack.detect(_src(old_style))
    assert web.static == (StaticMount("/assets/", "/app/collected"),)
    assert web.wsgi == "proj.wsgi:application"  # from proj/wsgi.py, no setting


def test_settings_package_with_star_imports():
    settings = {
        "proj/settings/__init__.py": "from .production import *\n",
        "proj/settings/base.py": BASE.replace(".parent.parent", ".parent.parent.parent")
        + "STATIC_ROOT = BASE_DIR / 'static'\n",
        "proj/settings/production.py": "from .base import *\nDEBUG = False\n"
        "STATIC_ROOT = BASE_DIR / 'prod-static'\n",
    }
    web = django_pack.detect(_src(settings))
    assert web.static == (StaticMount("/static/", "/app/prod-static"),)


def test_unknown_static_root_still_collects_but_is_not_mounted():
    web = django_pack.detect(_src(BASE + "STATIC_ROOT = somewhere()\n"))
    assert web.build_steps and web.static == ()
    web = django_pack.detect(_src(BASE + "STATIC_URL = 'https://cdn.example.com/'\n"
                                  "STATIC_ROOT = BASE_DIR / 's'\n"))
    assert web.build_steps and web.static == ()


def test_no_static_root_no_collectstatic():
    web = django_pack.detect(_src(BASE, {"Procfile": "release: python manage.py migrate\n"}))
    assert web.build_steps == () and web.static == ()
    assert any("STATIC_ROOT is not set" in n for n in web.notes)
    assert not any(n.startswith("Tip:") for n in web.notes)


def test_asgi_application_gets_uvicorn_workers():
    web = django_pack.detect(_src(BASE + "ASGI_APPLICATION = 'proj.asgi.application'\n"))
    assert web.command.endswith("--worker-class uvicorn_worker.UvicornWorker proj.asgi:application")
    assert web.packages == ("gunicorn", "uvicorn-worker")
    assert web.wsgi is None


def test_not_django():
    assert django_pack.detect(_src(BASE, reqs="flask\n")) is None
    src = SourceTree(files={"requirements.txt": "django\n", "manage.py": "print(1)\n"})
    assert django_pack.detect(src) is None
