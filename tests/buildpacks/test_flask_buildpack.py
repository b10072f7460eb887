import buildpacks.flask as flask_pack
from paas.build.source import SourceTree
from paas.domain.release import StaticMount, WebProtocol

CONF = "/opt/paas/gunicorn.conf.py"


def _src(files, listing=()):
    return SourceTree(files=files, listing=frozenset(listing))


APP_PY = "from flask import Flask\n\napp = Flask(__name__)\n"


def test_kind_and_priority():
    assert flask_pack.KIND == "framework"
    assert flask_pack.PRIORITY == 40


def test_app_object_in_app_py():
    web = flask_pack.detect(_src({"requirements.txt": "Flask==3.0\n", "app.py": APP_PY}))
    assert web is not None
    assert web.framework == "Flask"
    assert web.command == f"gunicorn --config {CONF} 'app:app'"
    assert web.reason == "app in app.py"
    assert web.packages == ("gunicorn",)
    assert web.protocol is WebProtocol.HTTP
    assert web.static == ()
    assert list(web.files) == [CONF]
    assert "def web_concurrency" in web.files[CONF]


def test_attribute_call_and_other_names():
    src = _src(
        {"requirements.txt": "flask\n", "wsgi.py": "import flask\nserver = flask.Flask('x')\n"}
    )
    web = flask_pack.detect(src)
    assert web.command == f"gunicorn --config {CONF} 'wsgi:server'"


def test_app_preferred_over_other_flask_objects():
    src = _src({"requirements.txt": "flask\n",
                "main.py": "from flask import Flask\nadmin = Flask('a')\napp = Flask('b')\n"})
    assert flask_pack.detect(src).reason == "app in main.py"


def test_factory_in_package_init():
    src = _src(
        {
            "requirements.txt": "flask\n",
            "mypkg/__init__.py": "from flask import Flask\n\n"
            "def create_app():\n    return Flask(__name__)\n",
            "mypkg/views.py": "x = 1\n",
        },
        ["mypkg/static/site.css"],
    )
    web = flask_pack.detect(src)
    assert web.command == f"gunicorn --config {CONF} 'mypkg:create_app()'"
    assert web.reason == "create_app() in mypkg/__init__.py"
    assert web.static == (StaticMount("/static/", "/app/mypkg/static"),)


def test_static_dir_at_root():
    src = _src({"requirements.txt": "flask\n", "app.py": APP_PY}, ["static/logo.png"])
    assert flask_pack.detect(src).static == (StaticMount("/static/", "/app/static"),)


def test_conventional_module_wins_over_others():
    src = _src(
        {
            "pyproject.toml": '[project]\ndependencies = ["Flask"]\n',
            "requirements.txt": "-e .\n",
            "aaa.py": APP_PY,
            "app.py": APP_PY,
        }
    )
    assert flask_pack.detect(src).reason == "app in app.py"


def test_flask_not_declared():
    assert flask_pack.detect(_src({"requirements.txt": "django\n", "app.py": APP_PY})) is None


def test_no_flask_app_found():
    src = _src({"requirements.txt": "flask\n", "app.py": "print('hi')\n"})
    assert flask_pack.detect(src) is None


def test_tests_deep_modules_and_syntax_errors_ignored():
    src = _src(
        {
            "requirements.txt": "flask\n",
            "tests/conftest.py": APP_PY,
            "test_app.py": APP_PY,
            "a/b/c.py": APP_PY,
            "broken.py": "def (:\n",
        }
    )
    assert flask_pack.detect(src) is None
