"""Zero-config pushes: each framework detected, built and served by its production server.

All journeys share the session's platform; the apps keep their dependency sets small so
the suite stays quick.
"""

from __future__ import annotations

import asyncio
import http.client
import re
from pathlib import Path

import docker

from e2e.harness import Platform


def _push(p: Platform, repo: Path):
    return p.git("push", "paas", "main", cwd=repo)


def _deploy(p: Platform, template: str, name: str, addons: tuple[str, ...] = ()):
    """Create, attach ``addons`` (before the first push, as an app.json would), push."""
    repo = p.new_repo(template, name)
    created = p.paas("apps:create", name, cwd=repo)
    assert created.code == 0, created.text
    for kind in addons:
        added = p.paas("addons:create", kind, cwd=repo)
        assert added.code == 0, added.text
    pushed = _push(p, repo)
    assert pushed.code == 0, pushed.text
    return repo, pushed.err


def _fetch(p: Platform, app: str, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", p.router_port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": f"{app}.localhost"})
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, headers, resp.read().decode(errors="replace")
    finally:
        conn.close()


def test_flask_factory_package_with_static_files_served_by_nginx(platform: Platform) -> None:
    _, out = _deploy(platform, "flask-factory", "shop")
    assert "remote: -----> Flask app detected: create_app() in shop/__init__.py" in out
    assert ("remote: -----> Stack: Python 3.11 on Debian bookworm, "
            "paas-stack/python:3.11-bookworm-r3 (from .python-version)") in out
    assert "gunicorn --config /opt/paas/gunicorn.conf.py 'shop:create_app()'" in out
    assert platform.get("shop") == (200, "shop from a factory, release=v1\n")

    status, headers, body = _fetch(platform, "shop", "/static/site.css")
    assert (status, body) == (200, "body { color: teal; }\n")
    # nginx's header (Flask's own static view would say no-cache)
    assert headers["cache-control"] == "public, max-age=3600"


def test_django_release_phase_and_collectstatic_served_by_nginx(platform: Platform) -> None:
    _, out = _deploy(platform, "django-site", "dj")
    assert ("remote: -----> Django app detected: WSGI_APPLICATION = "
            "site_cfg.wsgi.application (settings site_cfg.settings)") in out
    assert re.search(r"static files? copied to '/app/staticfiles'", out), out
    # the release phase ran, before any web replica of the release started
    assert "Running release phase: python manage.py migrate --noinput" in out
    assert "Applying auth.0001_initial... OK" in out
    assert out.index("Running release phase") < out.index("Starting 1 web replica(s) of v1")

    status, body = platform.get("dj")
    assert status == 200, body
    m = re.fullmatch(r"django css=(/static/pages/app\.[0-9a-f]{12}\.css)\n", body)
    assert m, body
    # DEBUG is off: Django serves no static files, so these answers are nginx's
    status, headers, css = _fetch(platform, "dj", m.group(1))
    assert (status, css) == (200, "body { color: rebeccapurple; }\n")
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, headers, _ = _fetch(platform, "dj", "/static/pages/app.css")
    assert (status, headers["cache-control"]) == (200, "public, max-age=3600")


def test_tornado_runs_natively_with_websockets_behind_the_router(platform: Platform) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    repo, out = _deploy(platform, "tornado-ws", "tws")
    assert "remote: -----> Tornado app detected: tornado.web.Application started in app.py" in out
    assert "python /opt/paas/tornado_serve.py app.py --port=$PORT" in out

    status, body = platform.get("tws")
    assert status == 200 and body.startswith("tornado remote_ip="), body
    # xheaders: the client address nginx saw, not the router container's own address
    client = docker.from_env()
    router = client.containers.list(filters={"label": [
        f"paas.instance={platform.instance}", "paas.role=router"]})[0]
    router_ips = {n["IPAddress"] for n in router.attrs["NetworkSettings"]["Networks"].values()}
    assert body.split("=", 1)[1].strip() not in router_ips

    async def echo() -> str:
        request = HTTPRequest(f"ws://127.0.0.1:{platform.router_port}/ws",
                              headers={"Host": "tws.localhost"})
        conn = await websocket_connect(request)
        await conn.write_message("hi")
        reply = await conn.read_message()
        conn.close()
        return str(reply)

    assert asyncio.run(echo()) == "echo: hi"

    # an app without state in the process may fork: the launcher and two processes
    configured = platform.paas("config:set", "WEB_CONCURRENCY=2", cwd=repo)
    assert configured.code == 0, configured.text
    (replica,) = client.containers.list(filters={"label": [
        f"paas.instance={platform.instance}", "paas.app=tws", "paas.process-type=web"]})
    top = replica.top()
    command = top["Titles"].index("CMD")
    served = [p for p in top["Processes"]
              if p[command].startswith("python /opt/paas/tornado_serve.py app.py")]
    assert len(served) == 3, top["Processes"]
    assert all(platform.get("tws")[0] == 200 for _ in range(10))
    assert asyncio.run(echo()) == "echo: hi"


def test_pyproject_only_fastapi_app_on_uvicorn_workers(platform: Platform) -> None:
    _, out = _deploy(platform, "fastapi-pyproject", "fast")
    assert "remote: -----> FastAPI app detected: app in main.py" in out
    assert "remote: -----> Dependencies: pip (pyproject.toml [project].dependencies)" in out
    assert "--worker-class uvicorn_worker.UvicornWorker main:app" in out
    assert platform.get("fast") == (200, '{"framework":"fastapi"}')


def test_uwsgi_ini_selects_uwsgi_and_nginx_speaks_uwsgi(platform: Platform) -> None:
    _, out = _deploy(platform, "uwsgi-flask", "uw")
    assert "remote: -----> Server: uWSGI (uwsgi.ini found)" in out
    status, body = platform.get("uw")
    assert status == 200 and body.startswith("uwsgi=True"), body


def test_bad_pushes_are_rejected_with_the_reason_and_keep_the_release(
    platform: Platform,
) -> None:
    repo, _ = _deploy(platform, "flask-hello", "guarded")
    serving = (200, "Hello from paas! release=v1\n")
    assert platform.get("guarded") == serving
    app_py = (repo / "app.py").read_text()

    # a syntax error: rejected before any build, with file and line
    (repo / "app.py").write_text(app_py + "\ndef broken(:\n")
    platform.commit_all(repo, "syntax error")
    pushed = _push(platform, repo)
    assert pushed.code != 0
    assert re.search(r"app\.py line \d+: invalid syntax", pushed.err), pushed.err
    assert platform.get("guarded") == serving

    # a Python no stack has
    (repo / "app.py").write_text(app_py)
    (repo / ".python-version").write_text("3.15\n")
    platform.commit_all(repo, "python 3.15")
    pushed = _push(platform, repo)
    assert pushed.code != 0
    assert ("Push rejected: .python-version asks for Python 3.15: no stack offers 3.15 or "
            "later (stacks: Python 3.11 on Debian bookworm, Python 3.13 on Debian trixie)"
            ) in pushed.err

    # two ways of declaring dependencies
    (repo / ".python-version").unlink()
    (repo / "Pipfile").write_text("[packages]\nflask = '*'\n")
    platform.commit_all(repo, "pipfile too")
    pushed = _push(platform, repo)
    assert pushed.code != 0
    assert "conflicting dependency manifests: requirements.txt (pip); Pipfile (Pipenv)" \
        in pushed.err

    # a Procfile naming an entry point that does not exist: the new web process exits
    (repo / "Pipfile").unlink()
    (repo / "Procfile").write_text("web: gunicorn nosuch:app\n")
    platform.commit_all(repo, "missing entry point")
    pushed = _push(platform, repo)
    assert pushed.code != 0
    assert "web process exited with code " in pushed.err
    assert "keeps serving): last log lines: " in pushed.err
    assert "No module named 'nosuch'" in pushed.err
    assert platform.get("guarded") == serving
