import buildpacks.flask as flask_pack
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount, WebProtocol

CONF = "/opt/paas/gunicorn.conf.py"
APP_PY = "from flask import Flask\n\napp = Flask(__name__)\n"
FACTORY = "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"


def _src(files, listing=()):
    return SourceTree(files=files, listing=frozenset(listing))


def _one(src):
    found = flask_pack.detect(src)
    assert found is not None and len(found) == 1, found
    return found[0]


def test_kind_and_priority():
    assert flask_pack.KIND == "framework"
    assert flask_pack.PRIORITY == 40


def test_app_object_in_app_py():
    web = _one(_src({"requirements.txt": "Flask==3.0\n", "app.py": APP_PY}))
    assert web.framework == "Flask"
    assert web.command == f"gunicorn --config {CONF} app:app"
    assert web.wsgi == "app:app"
    assert web.reason == "app in app.py"
    assert web.packages == ("gunicorn",)
    assert web.protocol is WebProtocol.HTTP
    assert web.static == ()
    assert list(web.files) == [CONF]
    assert "def web_concurrency" in web.files[CONF]


def test_application_object_and_attribute_call():
    src = _src({"requirements.txt": "flask\n",
                "wsgi.py": "import flask\napplication = flask.Flask('x')\n"})
    assert _one(src).command == f"gunicorn --config {CONF} wsgi:application"


def test_other_object_names():
    src = _src({"requirements.txt": "flask\n",
                "wsgi.py": "import flask\nserver = flask.Flask('x')\n"})
    assert _one(src).wsgi == "wsgi:server"


def test_app_preferred_over_other_flask_objects():
    src = _src({"requirements.txt": "flask\n",
                "main.py": "from flask import Flask\nadmin = Flask('a')\napp = Flask('b')\n"})
    assert _one(src).reason == "app in main.py"


def test_factory_in_package_init_with_its_static_folder():
    src = _src(
        {"requirements.txt": "flask\n", "mypkg/__init__.py": FACTORY, "mypkg/views.py": "x = 1\n"},
        ["mypkg/static/site.css"],
    )
    web = _one(src)
    assert web.command == f"gunicorn --config {CONF} 'mypkg:create_app()'"
    assert web.reason == "create_app() in mypkg/__init__.py"
    assert web.static == (StaticMount("/static/", "/app/mypkg/static"),)


def test_wsgi_module_calling_the_factory_wins_over_the_package():
    src = _src({"requirements.txt": "flask\n", "mypkg/__init__.py": FACTORY,
                "wsgi.py": "from mypkg import create_app\napp = create_app()\n"})
    assert _one(src).wsgi == "wsgi:app"


def test_declared_in_pyproject_pipfile_or_setup_py():
    for manifest in ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["Flask>=3"]\n'},
                     {"Pipfile": "[packages]\nflask = '*'\n"},
                     {"setup.py": "from setuptools import setup\n"
                                  "setup(install_requires=['flask'])\n"}):
        assert _one(_src({**manifest, "app.py": APP_PY})).wsgi == "app:app"


def test_static_dir_at_root_and_custom_folder():
    src = _src({"requirements.txt": "flask\n", "app.py": APP_PY}, ["static/logo.png"])
    assert _one(src).static == (StaticMount("/static/", "/app/static"),)
    custom = ("from flask import Flask\n"
              "app = Flask(__name__, static_folder='assets', static_url_path='/a')\n")
    src = _src({"requirements.txt": "flask\n", "app.py": custom}, ["assets/x.js"])
    assert _one(src).static == (StaticMount("/a/", "/app/assets"),)
    none = "from flask import Flask\napp = Flask(__name__, static_folder=None)\n"
    assert _one(_src({"requirements.txt": "flask\n", "app.py": none}, ["static/x"])).static == ()


def test_conventional_module_wins_over_others():
    src = _src({"pyproject.toml": '[project]\ndependencies = ["Flask"]\n',
                "aaa.py": APP_PY, "app.py": APP_PY})
    assert _one(src).reason == "app in app.py"


def test_equally_likely_candidates_are_all_reported():
    src = _src({"requirements.txt": "flask\n", "site_a.py": APP_PY, "site_b.py": APP_PY})
    found = flask_pack.detect(src)
    assert [w.reason for w in found] == ["app in site_a.py", "app in site_b.py"]


def test_flask_not_declared():
    assert flask_pack.detect(_src({"requirements.txt": "django\n", "app.py": APP_PY})) is None


def test_no_flask_app_found():
    src = _src({"requirements.txt": "flask\n", "app.py": "print('hi')\n"})
    assert flask_pack.detect(src) is None


def test_tests_deep_modules_and_syntax_errors_ignored():
    src = _src({"requirements.txt": "flask\n", "tests/conftest.py": APP_PY,
                "test_app.py": APP_PY, "a/b/c.py": APP_PY, "broken.py": "def (:\n"})
    assert flask_pack.detect(src) is None
