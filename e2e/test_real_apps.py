"""Apps in the shapes of public originals deploy unchanged through a real `git push`.

Each app is a small copy, written for these tests, of a family users push as it is:
Heroku's Django template (a commented .python-version asking for 3.13), Celery's Django
example (no Procfile), a Flask blog whose Procfile runs a bare gunicorn, Flask hosted by
Tornado's HTTPServer on a hard-coded port 80, Tornado's websocket chat demo, and Flask's
tutorial (flaskr: an app factory whose SQLite database ``init-db`` makes in the release
phase).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import urllib.parse

from e2e.harness import Platform, eventually
from e2e.test_buildpacks import _deploy, _fetch


def _logs(p: Platform, app: str, process: str = "web") -> str:
    r = p.paas("logs", "-a", app, "-p", process, "-n", "500")
    assert r.code == 0, r.text
    return r.out


def test_heroku_template_django_on_the_python_its_python_version_asks(
    platform: Platform,
) -> None:
    # DYNO is set, so the template's settings pick production, which (as on Heroku)
    # reads its database from DATABASE_URL, over TLS: the app's PostgreSQL comes first.
    _, out = _deploy(platform, "heroku-django", "gs", addons=("postgres",))
    assert ("remote: -----> Stack: Python 3.13 on Debian trixie, "
            "paas-stack/python:3.13-trixie-r3 (from .python-version)") in out
    assert "Running release phase: ./manage.py migrate --no-input" in out
    assert "unhashed names added, staticfiles.json left out" in out

    status, body = platform.get("gs")
    assert status == 200, body
    m = re.fullmatch(r"hello python=3\.13 css=(/static/hello/site(?:\.[0-9a-f]{12})?\.css)\n",
                     body)
    assert m, body
    # WHITENOISE_KEEP_ONLY_HASHED_FILES left only hashed copies: nginx serves the
    # unhashed name too, as WhiteNoise would, and never the manifest
    status, headers, css = _fetch(platform, "gs", "/static/hello/site.css")
    assert (status, css) == (200, "body { color: #79589f; }\n")
    assert headers["cache-control"] == "public, max-age=3600"
    status, _, manifest = _fetch(platform, "gs", "/static/staticfiles.json")
    assert status == 404 or '"paths"' not in manifest, manifest


def test_django_celery_without_procfile_gets_a_worker_at_scale_zero(
    platform: Platform,
) -> None:
    repo, out = _deploy(platform, "django-celery", "dcel")
    assert ("remote: -----> Celery app found: app in proj/celery.py; process type(s) worker "
            "added at scale 0: start with `paas scale worker=1`") in out
    assert "remote: -----> Process worker: celery -A proj worker --loglevel=INFO" in out
    # check --deploy's findings are warnings, not rejections
    assert "remote: -----> Warning: DEBUG = True in proj/settings.py" in out
    assert "remote: -----> Warning: SECRET_KEY in proj/settings.py" in out
    assert "Use the PostgreSQL add-on" in out
    assert platform.get("dcel") == (200, "demoapp task=demoapp.tasks.add\n")
    ps = platform.paas("ps", "-a", "dcel")
    assert "worker=0" in ps.out.splitlines()[0], ps.out

    assert platform.paas("addons:create", "redis", cwd=repo).code == 0
    scaled = platform.paas("scale", "worker=1", cwd=repo)
    assert scaled.code == 0, scaled.text
    eventually(lambda: "ready." in _logs(platform, "dcel", "worker"), timeout=90)


def test_procfile_bare_gunicorn_gets_the_platform_config(platform: Platform) -> None:
    repo, out = _deploy(platform, "flask-procfile-gunicorn", "blog")
    assert "remote: -----> Process web: gunicorn microblog:app" in out
    assert "gunicorn in the Procfile (web): the platform's config applies" in out
    status, body = platform.get("blog")
    assert status == 200 and body.startswith("microblog pid="), body
    # gthread workers come from the platform's config, the Procfile's line named none;
    # the request's access line is the router's (gunicorn behind it writes none); a
    # 512 MB replica's two workers start one after the other, the second asked for by
    # the first (SIGTTIN)
    def served() -> bool:
        logs = _logs(platform, "blog")
        return ("Using worker: gthread" in logs and logs.count("Booting worker") == 2
                and "Handling signal: ttin" in logs
                and 'path="/"' in _logs(platform, "blog", "router"))

    eventually(served, timeout=30)
    assert "Control server error" not in _logs(platform, "blog")

    # a type the app does not have: the push to make, not just "unknown"
    r = platform.paas("scale", "worker=1", cwd=repo)
    assert r.code == 1
    assert ("add a line 'worker: celery -A <module with the Celery app> worker "
            "--loglevel=INFO' to the Procfile and push") in r.err


def test_tornado_hosting_flask_on_port_80_runs_natively_on_its_port(
    platform: Platform,
) -> None:
    _, out = _deploy(platform, "tornado-flask-wsgi", "tfw")
    assert ("remote: -----> Tornado app detected: Tornado HTTPServer hosting a WSGI app "
            "started in server.py") in out
    assert "remote: -----> Process web: python /opt/paas/serve_script.py server.py" in out
    assert "gunicorn would serve this WSGI app better" in out
    assert platform.get("tfw") == (200, "flask under tornado\n")
    assert "paas: serving on port 5000 (the script asked for 80)" in _logs(platform, "tfw")


def test_tornado_chat_with_a_port_option_and_static_path_in_its_application_class(
    platform: Platform,
) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    _, out = _deploy(platform, "tornado-chat", "chat")
    assert "python /opt/paas/tornado_serve.py chatdemo.py --port=$PORT" in out
    status, body = platform.get("chat")
    assert status == 200 and "Tornado Chat Demo" in body, body
    assert re.search(r'src="/static/chat\.js\?v=[0-9a-f]+"', body), body
    status, headers, js = _fetch(platform, "chat", "/static/chat.js")
    assert status == 200 and js.startswith("var socket"), js
    assert headers["cache-control"].startswith("public, max-age=")  # nginx's, not Tornado's

    async def chat() -> dict[str, str]:
        request = HTTPRequest(f"ws://127.0.0.1:{platform.router_port}/chatsocket",
                              headers={"Host": "chat.localhost"})
        conn = await websocket_connect(request)
        await conn.write_message(json.dumps({"body": "hello"}))
        reply = await conn.read_message()
        conn.close()
        return dict(json.loads(str(reply)))

    assert asyncio.run(chat())["body"] == "hello"


class _Browser:
    """A user's browser against one app through the router: form posts and a cookie."""

    def __init__(self, p: Platform, app: str) -> None:
        self.p, self.host, self.cookie = p, f"{app}.localhost", ""

    def request(self, method: str, path: str, **form: str) -> tuple[int, str, str]:
        """Status, Location and body; the session cookie it sets is kept."""
        conn = http.client.HTTPConnection("127.0.0.1", self.p.router_port, timeout=10)
        headers = {"Host": self.host, **({"Cookie": self.cookie} if self.cookie else {})}
        body = urllib.parse.urlencode(form) if form else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            cookie = resp.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return resp.status, resp.getheader("Location") or "", resp.read().decode()
        finally:
            conn.close()


def test_flask_tutorial_inits_its_sqlite_database_in_the_release_phase(
    platform: Platform,
) -> None:
    _, out = _deploy(platform, "flaskr", "flaskr")
    assert "remote: -----> Flask app detected: create_app() in flaskr/__init__.py" in out
    assert ("remote: -----> Data: /app/instance holds a SQLite database (flaskr/__init__.py):"
            " a volume of the app that the release phase, every replica and `paas run` "
            "share, kept across releases") in out
    assert "remote: -----> Running release phase: flask --app flaskr init-db" in out
    assert "Initialized the database." in out

    # the tables init-db made in its own container are the ones the web replica reads
    status, body = platform.get("flaskr")
    assert status == 200 and "<h1>Posts</h1>" in body, body

    user = _Browser(platform, "flaskr")
    assert user.request("POST", "/auth/register", username="ada", password="engine")[:2] \
        == (302, "/auth/login")
    assert user.request("POST", "/auth/login", username="ada", password="engine")[:2] \
        == (302, "/")
    assert user.request("POST", "/create", title="First post", body="through the router"
                        )[:2] == (302, "/")
    status, _, body = user.request("GET", "/")
    assert status == 200 and "First post" in body and "through the router" in body, body
    assert "<span>ada</span>" in body  # logged in: the session cookie came back

    # two replicas share the one file: each request, whichever replica it reaches, sees it
    scaled = platform.paas("scale", "web=2", "--app", "flaskr")
    assert scaled.code == 0, scaled.text
    for _ in range(6):
        status, body = platform.get("flaskr")
        assert status == 200 and "First post" in body, body

    # a one-off run sees the same database; the root stays read-only, the folder is not
    ran = platform.paas("run", "--app", "flaskr", "--", "sh", "-c",
                        "python -c \"import sqlite3; print(sqlite3.connect("
                        "'instance/flaskr.sqlite').execute('select title from post')"
                        ".fetchall())\" && echo kept > instance/note && "
                        "(touch /app/elsewhere 2>/dev/null || echo root read-only)")
    assert ran.code == 0, ran.text
    assert "[('First post',)]" in ran.out and "root read-only" in ran.out, ran.out

    # a new release (its release phase runs init-db again) keeps the folder
    assert platform.paas("config:set", "GREETING=hi", "--app", "flaskr").code == 0
    ran = platform.paas("run", "--app", "flaskr", "--", "cat", "instance/note")
    assert (ran.code, ran.out.strip()) == (0, "kept"), ran.text


def test_a_module_ending_in_app_run_debug_is_served_by_gunicorn(platform: Platform) -> None:
    """``app.run(debug=True)`` under ``__main__`` is the developer's way to run it; the
    platform serves the module's app with gunicorn, so no debugger ever answers."""
    _, out = _deploy(platform, "flask-app-run", "devrun")
    assert "remote: -----> Process web: gunicorn --config /opt/paas/gunicorn.conf.py app:app" \
        in out
    assert platform.get("devrun") == (200, "Hello, World!\n")
    status, body = platform.get("devrun", "/boom")
    assert status == 500 and "Traceback" not in body and "Werkzeug Debugger" not in body, body
