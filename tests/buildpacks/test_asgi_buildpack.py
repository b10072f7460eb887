import buildpacks.asgi as asgi_pack
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

CMD = "gunicorn --config /opt/paas/gunicorn.conf.py --worker-class uvicorn_worker.UvicornWorker"


def _src(files, listing=(), deps='["fastapi"]'):
    return SourceTree(files={"pyproject.toml": f"[project]\ndependencies = {deps}\n", **files},
                      listing=frozenset(listing))


def test_fastapi_app_with_static_mount():
    main = ("from fastapi import FastAPI\nfrom fastapi.staticfiles import StaticFiles\n"
            "app = FastAPI()\napp.mount('/static', StaticFiles(directory='static'), name='s')\n")
    [web] = asgi_pack.detect(_src({"main.py": main}, ["static/a.css"])) or []
    assert web.framework == "FastAPI"
    assert web.command == f"{CMD} main:app"
    assert web.packages == ("gunicorn", "uvicorn-worker")
    assert web.static == (StaticMount("/static/", "/app/static"),)
    assert web.wsgi is None


def test_starlette_factory_in_package_and_quart():
    pkg = ("from starlette.applications import Starlette\n"
           "def create_app():\n    return Starlette()\n")
    [web] = asgi_pack.detect(_src({"svc/__init__.py": pkg}, deps='["starlette"]')) or []
    assert web.command == f"{CMD} 'svc:create_app()'"
    assert web.framework == "Starlette"
    quart = "from quart import Quart\napp = Quart(__name__)\n"
    [web] = asgi_pack.detect(_src({"app.py": quart}, ["static/x"], deps='["quart"]')) or []
    assert (web.framework, web.static) == ("Quart", (StaticMount("/static/", "/app/static"),))


def test_not_declared_or_not_found():
    main = "from fastapi import FastAPI\napp = FastAPI()\n"
    assert asgi_pack.detect(_src({"main.py": main}, deps='["flask"]')) is None
    assert asgi_pack.detect(_src({"main.py": "x = 1\n"})) is None
