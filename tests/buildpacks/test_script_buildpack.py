"""Scripts that start their own server run natively, bound to $PORT."""

import ast

import pytest

import buildpacks.flask as flask_pack
import buildpacks.script as script_pack
from buildpacks.python import own_server
from paas.builder.buildpacks import load, make_plan
from paas.builder.source import SourceTree

TORNADO_WSGI = '''from flask import Flask
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.wsgi import WSGIContainer

app = Flask(__name__)

@app.route("/")
def index():
    return "hi"

http_server = HTTPServer(WSGIContainer(app))
http_server.listen(80)
IOLoop.current().start()
'''


def _src(files, reqs):
    return SourceTree(files={"requirements.txt": reqs, **files})


def _kind(code):
    found = own_server(ast.parse(code))
    return found and (found.kind, found.at_import, found.native)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (TORNADO_WSGI, ("Tornado HTTPServer hosting a WSGI app", True, True)),
        ("from tornado.httpserver import HTTPServer\nfrom tornado.ioloop import IOLoop\n"
         "from tornado.wsgi import WSGIContainer\nfrom app import app\n"
         "if __name__ == '__main__':\n    HTTPServer(WSGIContainer(app)).listen(5000)\n"
         "    IOLoop.instance().start()\n",
         ("Tornado HTTPServer hosting a WSGI app", False, True)),
        ("from aiohttp import web\napp = web.Application()\nweb.run_app(app, port=8080)\n",
         ("aiohttp web.run_app", True, True)),
        ("from aiohttp import web\nasync def main():\n    web.run_app(web.Application())\n"
         "if __name__ == '__main__':\n    main()\n", ("aiohttp web.run_app", False, True)),
        ("from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
         ("Flask development server (app.run)", True, True)),
        # under the main guard, gunicorn can import the app safely: not native
        ("from flask import Flask\napp = Flask(__name__)\n"
         "if __name__ == '__main__':\n    app.run(debug=True)\n",
         ("Flask development server (app.run)", False, False)),
        ("from flask import Flask\napp = Flask(__name__)\n", None),
        # a run() of something else is not a server
        ("import subprocess\nsubprocess.run(['ls'])\n", None),
    ],
)
def test_own_server(code, expected):
    assert _kind(code) == expected


def test_tornado_hosting_flask_on_port_80_runs_natively_not_under_gunicorn():
    src = _src({"server.py": TORNADO_WSGI}, "flask\ntornado\n")
    assert flask_pack.detect(src) is None
    plan = make_plan(src, load())
    assert plan.processes["web"] == "python /opt/paas/serve_script.py server.py"
    assert plan.summary == ("Tornado app detected: Tornado HTTPServer hosting a WSGI app "
                            "started in server.py")
    assert any(n.startswith("Server: Tornado HTTPServer hosting a WSGI app, started at "
                            "import: run natively, one process per replica") for n in plan.notes)
    assert any(n.startswith("gunicorn would serve this WSGI app better") for n in plan.notes)
    assert {"/opt/paas/serve_script.py", "/opt/paas/tornado_serve.py"} <= set(plan.files)
    assert plan.packages == ()


def test_a_separate_tornado_script_wins_over_the_flask_module_it_hosts():
    host = ("from tornado.httpserver import HTTPServer\nfrom tornado.ioloop import IOLoop\n"
            "from tornado.wsgi import WSGIContainer\nfrom app import app\n"
            "HTTPServer(WSGIContainer(app)).listen(80)\nIOLoop.current().start()\n")
    src = _src({"app.py": "from flask import Flask\napp = Flask(__name__)\n",
                "tornado_server.py": host}, "flask\ntornado\n")
    plan = make_plan(src, load())
    assert plan.processes["web"] == "python /opt/paas/serve_script.py tornado_server.py"


def test_define_port_gets_the_port_option():
    code = TORNADO_WSGI.replace("http_server.listen(80)", "http_server.listen(options.port)")
    code = "from tornado.options import define, options\ndefine('port', default=80)\n" + code
    (web,) = script_pack.detect(_src({"server.py": code}, "flask\ntornado\n")) or []
    assert web.command == "python /opt/paas/serve_script.py server.py --port=$PORT"


def test_aiohttp_and_flask_at_import():
    (web,) = script_pack.detect(_src(
        {"main.py": "from aiohttp import web\nweb.run_app(web.Application(), port=8080)\n"},
        "aiohttp\n")) or []
    assert web.framework == "aiohttp"
    assert web.command == "python /opt/paas/serve_script.py main.py"
    plan = make_plan(_src({"app.py": "from flask import Flask\napp = Flask(__name__)\n"
                           "app.run(host='0.0.0.0', port=80, debug=True)\n"}, "flask\n"), load())
    assert plan.processes["web"] == "python /opt/paas/serve_script.py app.py"


def test_a_flask_app_run_under_main_stays_on_gunicorn():
    plan = make_plan(_src({"app.py": "from flask import Flask\napp = Flask(__name__)\n"
                           "if __name__ == '__main__':\n    app.run(debug=True)\n"},
                          "flask\n"), load())
    assert plan.processes["web"] == "gunicorn --config /opt/paas/gunicorn.conf.py app:app"


def test_not_a_dependency_not_detected():
    assert script_pack.detect(_src({"server.py": TORNADO_WSGI}, "requests\n")) is None
