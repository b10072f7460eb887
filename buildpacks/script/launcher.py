"""Runs a script that starts its own server, bound to ``$PORT``; at /opt/paas/serve_script.py.

``python serve_script.py server.py [args]`` runs ``server.py`` as ``__main__`` after
adjusting the servers it may start, so an unmodified script works behind the router:

- Tornado (``HTTPServer(...).listen(80)``, ``WSGIContainer``): the first server listens
  on ``$PORT`` on all interfaces, trusts the router's X-Forwarded headers and drains on
  SIGTERM (the Tornado launcher's adjustments, tornado_serve.py next to this file);
- aiohttp ``web.run_app(app, port=8080)``: host 0.0.0.0, port ``$PORT``;
- Flask ``app.run(debug=True)``: host 0.0.0.0, port ``$PORT``, threaded, and never the
  debugger or the reloader: the debugger runs any code a visitor sends it.

Each framework is adjusted only when it is installed, so the script imports what it
imports and nothing more.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import runpy
import sys
from pathlib import Path
from typing import Any

PORT = int(os.environ.get("PORT", "5000"))


def _say(what: str) -> None:
    print(f"paas: {what}", flush=True)


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _adjust_tornado() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import tornado_serve  # type: ignore[import-not-found]

    tornado_serve.install()


def _adjust_aiohttp() -> None:
    # Imported by name: the platform's own environment has neither aiohttp nor Flask.
    web: Any = importlib.import_module("aiohttp.web")
    original = web.run_app

    def run_app(app: Any, *args: Any, **kwargs: Any) -> Any:
        asked = kwargs.get("port")
        if asked not in (None, PORT):
            _say(f"serving on port {PORT} (the script asked for {asked})")
        for key in ("path", "sock"):
            kwargs.pop(key, None)
        kwargs.update(host="0.0.0.0", port=PORT)  # noqa: S104 - inside the container
        return original(app, *args, **kwargs)

    web.run_app = run_app


def _adjust_flask() -> None:
    flask: Any = importlib.import_module("flask")
    original = flask.Flask.run

    def run(self: Any, host: str | None = None, port: int | None = None,
            debug: bool | None = None, load_dotenv: bool = True, **options: Any) -> None:
        if port not in (None, PORT):
            _say(f"serving on port {PORT} (the script asked for {port})")
        if debug:
            _say("debug=True ignored: the debugger would run code any visitor sends")
        for key in ("use_reloader", "use_debugger", "threaded"):
            options.pop(key, None)
        original(self, host="0.0.0.0", port=PORT, debug=False,  # noqa: S104
                 load_dotenv=load_dotenv, use_reloader=False, use_debugger=False,
                 threaded=True, **options)

    flask.Flask.run = run


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: serve_script.py SCRIPT [ARGS...]")
    script = str(Path(argv[1]).resolve())
    for name, adjust in (("tornado", _adjust_tornado), ("aiohttp", _adjust_aiohttp),
                         ("flask", _adjust_flask)):
        if _installed(name):
            adjust()
    sys.argv = [script, *argv[2:]]
    sys.path.insert(0, str(Path(script).parent))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
