import importlib

import buildpacks.uwsgi as uwsgi_pack
from buildpacks.python.servers import gunicorn
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount, WebProtocol

launcher = importlib.import_module("buildpacks.uwsgi.launcher")

FLASK = gunicorn("Flask", "app:app", "app in app.py",
                 static=(StaticMount("/static/", "/app/static"),))


def test_uwsgi_ini_switches_a_wsgi_app_to_uwsgi_protocol():
    web = uwsgi_pack.serve(SourceTree(files={"uwsgi.ini": "[uwsgi]\n"}), FLASK)
    assert web.command == "python /opt/paas/uwsgi_serve.py app:app"
    assert web.protocol is WebProtocol.UWSGI
    assert web.packages == ("pyuwsgi",)
    assert set(web.files) == {"/opt/paas/gunicorn.conf.py", "/opt/paas/uwsgi_serve.py"}
    assert web.static == FLASK.static and web.framework == "Flask"
    assert web.notes[0].startswith("Server: uWSGI (uwsgi.ini found)")


def test_pyproject_selects_uwsgi():
    src = SourceTree(files={"pyproject.toml": '[tool.paas]\nserver = "uwsgi"\n'})
    assert uwsgi_pack.serve(src, FLASK).protocol is WebProtocol.UWSGI


def test_not_selected_or_not_wsgi():
    assert uwsgi_pack.serve(SourceTree(files={}), FLASK) is None
    asgi = gunicorn("FastAPI", "main:app", "x", asgi=True)
    assert uwsgi_pack.serve(SourceTree(files={"uwsgi.ini": ""}), asgi) is None


def test_launcher_command_respects_the_apps_ini(tmp_path):
    args = launcher.command("app:app", 5, "5000", set())
    assert args[:3] == ["uwsgi", "--socket", "0.0.0.0:5000"]
    assert args[args.index("--module"):args.index("--module") + 2] == ["--module", "app:app"]
    assert args[args.index("--processes") + 1] == "5"
    assert "--ini" not in args
    ini = tmp_path / "uwsgi.ini"
    ini.write_text("[uwsgi]\nprocesses = 2\nmodule = other:application\nmodule = dup\n")
    given = launcher.user_options(ini)
    assert given == {"processes", "module"}
    args = launcher.command("app:app", 5, "5000", given)
    assert args[1:3] == ["--ini", "/app/uwsgi.ini"]
    assert "--processes" not in args and "--module" not in args


def test_launcher_shims_factories(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher, "SHIM_DIR", tmp_path)
    args = launcher.app_args("shop:create_app()")
    assert args == ["--pythonpath", str(tmp_path), "--module", "paas_uwsgi_app:application"]
    assert (tmp_path / "paas_uwsgi_app.py").read_text() == (
        "from shop import create_app as _factory\n\napplication = _factory()\n")
