"""Starts uWSGI for a WSGI app, as the platform needs it; at /opt/paas/uwsgi_serve.py.

``python uwsgi_serve.py MODULE:CALLABLE`` execs ``uwsgi`` with the app's own uwsgi.ini
(when it has one) plus what the platform must control: a uwsgi-protocol socket on
``$PORT`` for nginx's ``uwsgi_pass``, the master process, a graceful stop on SIGTERM
(uWSGI 2.0 reloads on SIGTERM by default) and logs on stdout. Worker processes follow the
container's limits like gunicorn's (same formula, ``WEB_CONCURRENCY`` overrides), and
threads default to 4 (piku's default); both only where the app's ini is silent.
"""

from __future__ import annotations

import configparser
import os
import runpy
import sys
from pathlib import Path

APP_INI = Path("/app/uwsgi.ini")
GUNICORN_CONF = "/opt/paas/gunicorn.conf.py"
SHIM_DIR = Path("/tmp/paas-uwsgi")  # noqa: S108 - inside the container


def user_options(path: Path = APP_INI) -> set[str]:
    """Option names the app's uwsgi.ini sets in its [uwsgi] section."""
    if not path.is_file():
        return set()
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return set(parser["uwsgi"]) if parser.has_section("uwsgi") else set()


def app_args(target: str) -> list[str]:
    """``--module`` for ``pkg.mod:app``; factories (``pkg:create_app()``) get a shim."""
    module, _, attr = target.partition(":")
    if not attr.endswith("()"):
        return ["--module", f"{module}:{attr or 'application'}"]
    SHIM_DIR.mkdir(parents=True, exist_ok=True)
    (SHIM_DIR / "paas_uwsgi_app.py").write_text(
        f"from {module} import {attr[:-2]} as _factory\n\napplication = _factory()\n"
    )
    return ["--pythonpath", str(SHIM_DIR), "--module", "paas_uwsgi_app:application"]


def command(target: str, workers: int, port: str, given: set[str]) -> list[str]:
    args = ["uwsgi"]
    if given:
        args += ["--ini", str(APP_INI)]
    args += [
        "--socket", f"0.0.0.0:{port}",
        "--master",
        "--chdir", "/app",
        "--pythonpath", "/app",
        "--hook-master-start", "unix_signal:15 gracefully_kill_them_all",
        "--need-app",
        "--enable-threads",
        "--log-x-forwarded-for",
    ]
    if not given & {"module", "wsgi-file", "file", "mount", "callable", "wsgi"}:
        args += app_args(target)
    defaults = {"processes": str(workers), "threads": os.environ.get("PYTHON_THREADS", "4"),
                "harakiri": "30", "max-requests": "1024", "buffer-size": "16384"}
    for key, value in defaults.items():
        if key not in given and not (key == "processes" and "workers" in given):
            args += [f"--{key}", value]
    return args


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: uwsgi_serve.py MODULE:CALLABLE")
    workers = int(runpy.run_path(GUNICORN_CONF)["workers"])
    args = command(argv[1], workers, os.environ.get("PORT", "5000"), user_options())
    print("paas: " + " ".join(args), flush=True)
    os.execvp(args[0], args)  # noqa: S606 - an argument list, no shell


if __name__ == "__main__":
    main(sys.argv)
