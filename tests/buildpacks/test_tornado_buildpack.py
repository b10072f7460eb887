import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import buildpacks.tornado as tornado_pack
from paas.builder.source import SourceTree
from paas.domain.release import StaticMount

MODERN = """import asyncio
import tornado.web

class Main(tornado.web.RequestHandler):
    def get(self):
        self.write(f"ip={self.request.remote_ip}")

async def main():
    app = tornado.web.Application([(r"/", Main)])
    app.listen(8888, address="127.0.0.1")
    await asyncio.Event().wait()

if __name__ == "__main__":
    asyncio.run(main())
"""
CLASSIC = """from tornado.web import Application, RequestHandler
from tornado.ioloop import IOLoop
from tornado.options import define, options
define("port", default=8000)

class App(Application):
    pass

app = App([], static_path="static")
app.listen(options.port)
IOLoop.current().start()
"""


def _src(files, listing=()):
    return SourceTree(files={"requirements.txt": "tornado\n", **files}, listing=frozenset(listing))


def test_modern_asyncio_script():
    [web] = tornado_pack.detect(_src({"server.py": MODERN})) or []
    assert web.framework == "Tornado"
    assert web.command == "python /opt/paas/tornado_serve.py server.py"
    assert web.reason == "tornado.web.Application started in server.py"
    assert list(web.files) == ["/opt/paas/tornado_serve.py"]
    assert web.packages == () and web.wsgi is None


def test_classic_ioloop_subclass_with_port_option_and_static():
    [web] = tornado_pack.detect(_src({"app.py": CLASSIC}, ["static/x.js"])) or []
    assert web.command == "python /opt/paas/tornado_serve.py app.py --port=$PORT"
    assert web.static == (StaticMount("/static/", "/app/static"),)


def test_handlers_module_without_start_is_not_an_entry_point():
    handlers = "import tornado.web\ndef make():\n    return tornado.web.Application([])\n"
    assert tornado_pack.detect(_src({"handlers.py": handlers})) is None
    assert tornado_pack.detect(SourceTree(files={"requirements.txt": "flask\n",
                                                 "app.py": MODERN})) is None


def test_two_scripts_are_both_reported():
    found = tornado_pack.detect(_src({"a.py": MODERN, "b.py": MODERN}))
    assert [w.reason.rsplit(" ", 1)[1] for w in found] == ["a.py", "b.py"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/", headers=headers)
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def test_launcher_serves_on_port_with_xheaders_and_stops_on_sigterm(tmp_path):
    pytest.importorskip("tornado")
    (tmp_path / "server.py").write_text(MODERN)
    port = _free_port()
    launcher = Path(tornado_pack.__file__).parent / "launcher.py"
    env = {**os.environ, "PORT": str(port), "PAAS_TORNADO_GRACE": "0.1"}
    proc = subprocess.Popen([sys.executable, str(launcher), "server.py"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        deadline = time.monotonic() + 30
        while body is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                body = _get(port, {"X-Real-Ip": "203.0.113.9"})
            except OSError:
                time.sleep(0.05)
        assert body == "ip=203.0.113.9"  # the port from $PORT, xheaders on
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert f"paas: serving on port {port} (the script asked for 8888)" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


LOGGING = """import asyncio
import tornado.log
import tornado.web

class Main(tornado.web.RequestHandler):
    def get(self):
        self.write("ok")

async def main():
    tornado.log.enable_pretty_logging()
    tornado.web.Application([(r"/", Main)]).listen(8888)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.mark.parametrize("behind_router", [True, False])
def test_launcher_leaves_access_lines_to_the_router(tmp_path, behind_router):
    """Behind the router only 4xx/5xx answers log a line; elsewhere every answer does."""
    pytest.importorskip("tornado")
    (tmp_path / "server.py").write_text(LOGGING)
    port = _free_port()
    launcher = Path(tornado_pack.__file__).parent / "launcher.py"
    env = {k: v for k, v in os.environ.items() if k != "PAAS_ACCESS_LOG"}
    env.update(PORT=str(port), PAAS_TORNADO_GRACE="0.1")
    if behind_router:
        env["PAAS_ACCESS_LOG"] = "router"
    proc = subprocess.Popen([sys.executable, str(launcher), "server.py"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                assert _get(port, {}) == "ok"
                break
            except OSError:
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/missing")
        assert conn.getresponse().status == 404
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        out = proc.stdout.read()
        assert "404 GET /missing" in out
        assert ("200 GET /" in out) is not behind_router
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_static_path_in_the_settings_of_an_application_subclass():
    """Tornado's own demos build settings in an Application subclass's __init__."""
    code = '''import os
import tornado.web
from tornado.options import define, options, parse_command_line

define("port", default=8888)


class Application(tornado.web.Application):
    def __init__(self):
        handlers = [(r"/", MainHandler)]
        settings = dict(
            cookie_secret="x",
            template_path=os.path.join(os.path.dirname(__file__), "templates"),
            static_path=os.path.join(os.path.dirname(__file__), "assets"),
            xsrf_cookies=True,
        )
        super().__init__(handlers, **settings)


def main():
    parse_command_line()
    Application().listen(options.port)


if __name__ == "__main__":
    main()
'''
    src = SourceTree(files={"requirements.txt": "tornado\n", "chat.py": code},
                     listing=frozenset({"assets/chat.js"}))
    (web,) = tornado_pack.detect(src) or []
    assert web.static == (StaticMount("/static/", "/app/assets"),)
    braces = code.replace("settings = dict(", "settings = {'static_url_prefix': '/s/', "
                          "'static_path': 'assets'}\n        dict(")
    src = SourceTree(files={"requirements.txt": "tornado\n", "chat.py": braces},
                     listing=frozenset({"assets/chat.js"}))
    (web,) = tornado_pack.detect(src) or []
    assert web.static == (StaticMount("/s/", "/app/assets"),)


@pytest.mark.parametrize(("value", "count"), [
    (None, 1), ("", 1), ("two", 1), ("0", 1), ("-2", 1), ("3", 3), (" 2 ", 2),
    ("1000", 16)])
def test_web_concurrency_sets_the_tornado_processes_within_a_bound(value, count):
    pytest.importorskip("tornado")
    sys.path.insert(0, str(Path(tornado_pack.__file__).parent))
    try:
        import launcher  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    assert launcher.processes(value) == count
    assert launcher.MAX_PROCESSES == 16


PIDS = """import asyncio, os
import tornado.web

class Main(tornado.web.RequestHandler):
    def get(self):
        self.write(str(os.getpid()))

async def main():
    tornado.web.Application([(r"/", Main)]).listen(8888)
    tornado.web.Application([(r"/", Main)]).listen(int(os.environ["METRICS_PORT"]))
    await asyncio.Event().wait()

asyncio.run(main())
"""


def _launch(tmp_path, port, **env):
    (tmp_path / "server.py").write_text(PIDS)
    launcher = Path(tornado_pack.__file__).parent / "launcher.py"
    environ = {**os.environ, "PORT": str(port), "PAAS_TORNADO_GRACE": "0.1", **env}
    return subprocess.Popen([sys.executable, str(launcher), "server.py"], cwd=tmp_path,
                            env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _pids_answering(port, tries=200):
    """The pids that answered ``tries`` requests, each on a new connection (the kernel
    spreads connections over the sockets sharing the port)."""
    seen: set[int] = set()
    deadline = time.monotonic() + 30
    while len(seen) < 2 and time.monotonic() < deadline and tries > 0:
        try:
            seen.add(int(_get(port, {})))
            tries -= 1
        except OSError:
            time.sleep(0.05)
    return seen


def _parent_of(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_web_concurrency_forks_processes_sharing_the_port_and_sigterm_stops_all(tmp_path):
    pytest.importorskip("tornado")
    port, metrics = _free_port(), _free_port()
    proc = _launch(tmp_path, port, WEB_CONCURRENCY="2", METRICS_PORT=str(metrics))
    try:
        pids = _pids_answering(port)
        assert len(pids) == 2, pids
        assert {_parent_of(pid) for pid in pids} == {proc.pid}
        assert int(_get(metrics, {})) in pids  # a second server shares its port too
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
        assert "paas: 2 Tornado processes on port" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_tornado_process_that_dies_takes_the_replica_down_with_its_code(tmp_path):
    """The engine restarts a replica whose main process exits: a launcher that kept
    serving on the survivors would run on at a fraction of its processes for good."""
    pytest.importorskip("tornado")
    port = _free_port()
    proc = _launch(tmp_path, port, WEB_CONCURRENCY="2", METRICS_PORT=str(_free_port()))
    try:
        pids = _pids_answering(port)
        assert len(pids) == 2, pids
        dead, survivor = sorted(pids)
        os.kill(dead, signal.SIGKILL)
        assert proc.wait(timeout=20) == 128 + signal.SIGKILL
        assert not Path(f"/proc/{survivor}").exists()
        assert f"paas: Tornado process {dead} exited ({128 + signal.SIGKILL})" in \
            proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
