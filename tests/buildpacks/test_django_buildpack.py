import json

import buildpacks.django as django_pack
from buildpacks.django.publish_static import publish
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

PUBLISHED = "/app/.paas/static"

MANAGE = ("import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n")
BASE = ("from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
        "WSGI_APPLICATION = 'proj.wsgi.application'\n")


def _collected(web):
    """The STATIC_ROOT the publish step copies, and the mount nginx serves."""
    steps = [s for s in web.build_steps if s[1] == "/opt/paas/django_static.py"]
    return (steps[0][2] if steps else None), web.static


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
    assert web.build_steps == (
        ("python", "manage.py", "collectstatic", "--noinput"),
        ("python", "/opt/paas/django_static.py", "/app/staticfiles", PUBLISHED))
    assert web.static == (StaticMount("/static/", PUBLISHED),)
    assert "/opt/paas/django_static.py" in web.files
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
        assert _collected(web) == (path, (StaticMount("/static/", PUBLISHED),)), expr
    old_style = ("import os\n"
                 "BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                 "STATIC_URL = '/assets/'\nSTATIC_ROOT = os.path.join(BASE_DIR, 'collected')\n")
    web = django_pack.detect(_src(old_style))
    assert _collected(web) == ("/app/collected", (StaticMount("/assets/", PUBLISHED),))
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
    assert _collected(web)[0] == "/app/prod-static"


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


def test_deploy_warnings_name_debug_and_the_default_secret_key():
    web = django_pack.detect(_src(BASE + "DEBUG = True\n"
                                  "SECRET_KEY = 'django-insecure-abcdefghijklmnopqrstuvwxyz0123456"
                                  "789abcdefghijklmnop'\n"))
    warnings = [n for n in web.notes if n.startswith("Warning:")]
    assert warnings[0].startswith("Warning: DEBUG = True in proj/settings.py")
    assert warnings[1].startswith("Warning: SECRET_KEY in proj/settings.py is the startproject")
    # from the environment, with a strong or no default: nothing to say
    safe = django_pack.detect(_src("import os\n" + BASE + "DEBUG = False\n"
                                   "SECRET_KEY = os.environ['SECRET_KEY']\n"))
    assert not [n for n in safe.notes if n.startswith("Warning:")]
    env_default = django_pack.detect(_src("import os\n" + BASE + "SECRET_KEY = "
                                          "os.environ.get('SECRET_KEY', default='dev')\n"))
    assert any("SECRET_KEY" in n for n in env_default.notes)


def test_sqlite_apps_are_pointed_to_postgresql_not_to_a_release_migrate():
    sqlite = BASE + ("DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
                     "'NAME': BASE_DIR / 'db.sqlite3'}}\n")
    web = django_pack.detect(_src(sqlite))
    tips = [n for n in web.notes if n.startswith("Tip:")]
    assert len(tips) == 1 and "PostgreSQL add-on" in tips[0]
    with_url = django_pack.detect(_src("import dj_database_url\n" + sqlite +
                                       "DATABASES['default'] = dj_database_url.config()\n"))
    assert next(n for n in with_url.notes if n.startswith("Tip:")).startswith(
        "Tip: add 'release: python manage.py migrate")
    # SQLite writes its file under /app, also as the fallback while DATABASE_URL is unset
    assert web.writable_root and with_url.writable_root
    assert not django_pack.detect(_src(BASE)).writable_root


def test_published_static_has_unhashed_names_and_no_manifest(tmp_path):
    root, out = tmp_path / "staticfiles", tmp_path / "published"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.0123456789ab.css").write_text("body{}")
    (root / "css" / "kept.css").write_text("kept")
    (root / "staticfiles.json").write_text(json.dumps({"paths": {
        "css/site.css": "css/site.0123456789ab.css", "../escape.css": "css/kept.css"}}))
    assert publish(root, out) == 1
    assert (out / "css" / "site.css").read_text() == "body{}"
    assert (out / "css" / "site.0123456789ab.css").exists()
    assert not (out / "staticfiles.json").exists() and (root / "staticfiles.json").exists()
    assert not (tmp_path / "escape.css").exists()
