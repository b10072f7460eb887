"""paas beside its peers on one machine: interleaved rounds, medians, ratios to a baseline.

Columns:

- ``host``: the baseline, always run. Hand-written nginx on the host in front of gunicorn
  on the host, serving the same app (``e2e/apps/bench-flask``) with the same gunicorn
  settings the platform puts in its images (``buildpacks/python/gunicorn_conf.py``), its
  access log to a file, and the 200 KB static file from nginx.
- ``paas``: the same app pushed to a fresh ``paas server`` with its default router, on
  the host's network namespace (``--router-network host``): nginx listens on 127.0.0.1
  itself, as the host baseline's does.
- ``paas-bridge``: a second ``paas server`` with the router on its own bridge network
  (``--router-network bridge``), through its published port on 127.0.0.1. The engine
  forwards loopback connections to a published port with docker-proxy, its userland
  proxy: one more process and two more sockets per request.
- ``paas-bridge-dnat``: that bridged router reached at this host's own address.
  Connections from other machines (and to a non-loopback address of this one) are
  forwarded by the kernel's DNAT rules instead, with no userland hop: what remote users
  of a bridged router get. For this column the bench publishes the router on 0.0.0.0 for
  its duration (``--loopback-only`` publishes on 127.0.0.1 and skips the column).
  ``--no-bridge`` skips both bridge columns.
- ``piku``: only when piku is installed beside us (``PIKU_ROOT``, see ``_piku``); the
  column is skipped otherwise.

Figures: Flask ``/`` and the 200 KB static file at 32 connections (ratios to the host
baseline), the 50 ms endpoint against its 640 req/s limit, Tornado's 100 ms endpoint at
200 connections against its 2,000 req/s limit (one Tornado process a replica, the
default, and two with ``WEB_CONCURRENCY=2``). Each round runs every figure of every
column once, in an order rotated per round; the table shows medians. The machine is
shared, so the load average is printed with the figures and nothing is asserted.

    python -m e2e.bench.peers [--rounds 5] [--seconds 5]

The host baseline needs flask and gunicorn: a venv made once under
``~/.cache/paas-bench/host-venv`` (``PAAS_BENCH_VENV`` to use another) with pip.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from e2e.bench.serving import _add_big_file, _deploy, _wait
from e2e.harness import APPS, ROOT, Platform, free_port

GUNICORN_CONF = ROOT / "buildpacks" / "python" / "gunicorn_conf.py"
SLEEP_LIMIT = 32 / 0.05
TORNADO_LIMIT = 200 / 0.1

HOST_NGINX = """worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/nginx-access.log combined buffer=32k flush=1s;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 32; keepalive_timeout 1s; }}
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{ alias {static}/; access_log off; }}
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering on;
        }}
    }}
}}
"""


def wrk_answers(url: str, connections: int, seconds: int, host: str | None
                ) -> tuple[float, int]:
    """(successful answers a second, error answers): wrk's own rate counts a 502 as
    served, and a peer that sheds load with fast 502s must not look faster for it."""
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", url]
    if host:
        args[1:1] = ["-H", f"Host: {host}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if rate is None or total is None:
        raise SystemExit(f"wrk printed no rate:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    good = int(total.group(1)) - errors
    return float(rate.group(1)) * good / max(1, int(total.group(1))), errors


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Column:
    """One way to serve the bench app: a base URL and the Host header it needs."""

    name: str
    url: str
    host: str | None = None
    #: figure -> one measurement per round (successful answers a second)
    runs: dict[str, list[float]] = field(default_factory=dict)
    #: figure -> error answers (non-2xx/3xx) over all rounds
    errors: dict[str, int] = field(default_factory=dict)

    def measure(self, figure: str, path: str, connections: int, seconds: int,
                host: str | None = None) -> None:
        rate, errors = wrk_answers(self.url + path, connections, seconds, host or self.host)
        self.runs.setdefault(figure, []).append(rate)
        self.errors[figure] = self.errors.get(figure, 0) + errors

    def median(self, figure: str) -> float | None:
        values = self.runs.get(figure)
        return statistics.median(values) if values else None


def host_venv() -> Path:
    """A venv with flask and gunicorn for the host baseline, made once and kept."""
    venv = Path(os.environ.get("PAAS_BENCH_VENV",
                               Path.home() / ".cache" / "paas-bench" / "host-venv"))
    if not (venv / "bin" / "gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "flask>=3,<4", "gunicorn"],
                       check=True)
    return venv


@contextmanager
def host_baseline(tmp: Path, big_file: bytes) -> Iterator[Column]:
    """nginx and gunicorn as host processes, the way one would set them up by hand."""
    venv = host_venv()
    app_dir = tmp / "host-app"
    app_dir.mkdir(parents=True)
    (app_dir / "app.py").write_text((APPS / "bench-flask" / "app.py").read_text())
    (app_dir / "static").mkdir()
    (app_dir / "static" / "big.bin").write_bytes(big_file)
    for d in (tmp.parent, tmp, app_dir, app_dir / "static"):
        d.chmod(0o755)  # nginx workers run as nobody
    app_port, port = free_port(), free_port()
    env = {**os.environ, "PORT": str(app_port), "PATH": f"{venv}/bin:{os.environ['PATH']}"}
    with (tmp / "gunicorn.log").open("wb") as log:
        gunicorn = subprocess.Popen(
            [str(venv / "bin" / "gunicorn"), "--config", str(GUNICORN_CONF),
             "--bind", f"127.0.0.1:{app_port}", "app:app"],
            cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    conf = tmp / "host-nginx.conf"
    conf.write_text(HOST_NGINX.format(tmp=tmp, app_port=app_port, port=port,
                                      static=app_dir / "static"))
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"],
                             stderr=subprocess.DEVNULL)
    try:
        _wait(port)
        yield Column("host", f"http://127.0.0.1:{port}")
    finally:
        for proc in (nginx, gunicorn):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _piku(big_file: bytes) -> Column | None:
    """piku's column, when piku serves the bench app beside us.

    Found by path: ``PIKU_ROOT`` (default ``/home/piku/.piku``) holding an app named
    ``benchflask`` deployed from ``e2e/apps/bench-flask`` with ``NGINX_SERVER_NAME``
    ``benchflask.piku.localhost``, whose nginx listens on ``PIKU_PORT`` (default 80).
    The static file is copied into the app's ``static/`` (piku maps it with
    ``NGINX_STATIC_PATHS=/static/:static``). README's performance section says how.
    """
    root = Path(os.environ.get("PIKU_ROOT", "/home/piku/.piku"))
    app = root / "apps" / "benchflask"
    if not app.is_dir():
        return None
    static = app / "static" / "big.bin"
    if not static.exists() or static.read_bytes() != big_file:
        try:
            static.parent.mkdir(exist_ok=True)
            static.write_bytes(big_file)
        except OSError as e:
            print(f"piku: cannot place the static file ({e}); skipping its column")
            return None
    column = Column("piku", f"http://127.0.0.1:{os.environ.get('PIKU_PORT', '80')}",
                    "benchflask.piku.localhost")
    try:
        wrk_answers(column.url + "/", 1, 1, column.host)
    except subprocess.CalledProcessError:
        print("piku: installed but not answering; skipping its column")
        return None
    return column


def host_address() -> str | None:
    """This host's address on its default route (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("198.51.100.1", 9))
        except OSError:
            return None
        address = str(s.getsockname()[0])
    return None if address.startswith("127.") else address


def _ratio(value: float | None, against: float | None) -> str:
    return f"{value / against:.2f}" if value is not None and against else "-"


def _errors(column: Column, figure: str) -> str:
    count = column.errors.get(figure, 0)
    return f" ({count:,} errors)" if count else ""


def _rate(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--loopback-only", action="store_true",
                    help="publish the bridged router on 127.0.0.1 only; no dnat column")
    ap.add_argument("--no-bridge", action="store_true",
                    help="only the default (host-network) router; no bridge columns")
    args = ap.parse_args()
    if not 1 <= args.rounds <= 50 or not 1 <= args.seconds <= 120:
        raise SystemExit("--rounds must be 1 to 50 and --seconds 1 to 120")
    dnat_ip = None if args.loopback_only else host_address()
    subprocess.run(["paas", "stack", "build"], check=True, stdout=subprocess.DEVNULL)
    big_file = os.urandom(200 * 1024)
    with tempfile.TemporaryDirectory(prefix="paas-peers-") as tmp_name:
        tmp = Path(tmp_name)
        platforms = [Platform(tmp / "platform")]
        if not args.no_bridge:
            platforms.append(Platform(tmp / "platform-bridge", server_args=(
                "--router-network", "bridge",
                *(("--router-host", "0.0.0.0") if dnat_ip else ()))))
        try:
            paas_columns: list[Column] = []
            for p in platforms:
                p.start()
                p.login()
                _deploy_bench(p, big_file)
                bridged = "bridge" in p.server_args
                paas_columns.append(Column("paas-bridge" if bridged else "paas",
                                           f"http://127.0.0.1:{p.router_port}",
                                           "bflask.localhost"))
                if bridged and dnat_ip:
                    paas_columns.append(Column("paas-bridge-dnat",
                                               f"http://{dnat_ip}:{p.router_port}",
                                               "bflask.localhost"))
            with host_baseline(tmp / "host", big_file) as host:
                columns = [c for c in (host, *paas_columns, _piku(big_file)) if c is not None]
                run_rounds(columns, [c for c in paas_columns if "dnat" not in c.name],
                           args.rounds, args.seconds)
        finally:
            for p in platforms:
                p.cleanup()


def _deploy_bench(p: Platform, big_file: bytes) -> None:
    def with_big_file(repo: Path) -> None:
        _add_big_file(repo)
        (repo / "static" / "big.bin").write_bytes(big_file)

    _deploy(p, "bench-flask", "bflask", with_big_file)
    _deploy(p, "tornado-ws", "btornado")
    # the same app in two processes a replica (launcher.py: for apps without state in
    # the process)
    repo = _deploy(p, "tornado-ws", "btornado2")
    assert p.paas("config:set", "WEB_CONCURRENCY=2", cwd=repo).code == 0
    _wait(p.router_port, "bflask.localhost")
    _wait(p.router_port, "btornado.localhost")
    _wait(p.router_port, "btornado2.localhost")


def run_rounds(columns: list[Column], tornado: list[Column], rounds: int, seconds: int
               ) -> None:
    """Every figure of every column once per round, the order rotated each round;
    Tornado's figure only through the ``tornado`` columns (paas routers)."""
    print(f"{rounds} rounds of wrk {seconds} s per figure; load average before: {loadavg()}",
          flush=True)
    jobs: list[Callable[[], None]] = []
    for c in columns:
        for figure, path in (("flask", "/"), ("static", "/static/big.bin"),
                             ("sleep", "/sleep")):
            jobs.append(functools.partial(c.measure, figure, path, 32, seconds))
    for c in tornado:
        for figure, app in (("tornado", "btornado"), ("tornado2", "btornado2")):
            jobs.append(functools.partial(c.measure, figure, "/slow", 200, seconds,
                                          f"{app}.localhost"))
    loads: list[str] = []
    for r in range(rounds):
        shift = r % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            job()
        loads.append(loadavg())
        print(f"round {r + 1}: load average {loads[-1]}", flush=True)
    print_table(columns, tornado, rounds, seconds, loads)


def print_table(columns: list[Column], tornado: list[Column], rounds: int, seconds: int,
                loads: list[str]) -> None:
    host = columns[0]
    others = columns[1:]
    head = "| figure | " + " | ".join(c.name for c in columns) + " | " + " | ".join(
        f"{c.name} / host" for c in others) + " |"
    print(f"\nmedians of {rounds} interleaved rounds, wrk {seconds} s each, req/s; "
          f"load averages after each round: {'; '.join(loads)}\n")
    print("(successful answers a second; error answers over all rounds in brackets)\n")
    print(head)
    print("|" + "---|" * (1 + len(columns) + len(others)))
    for figure, label in (("flask", "Flask `/`, wrk -c32"),
                          ("static", "200 KB static file, wrk -c32")):
        cells = [_rate(c.median(figure)) + _errors(c, figure) for c in columns]
        ratios = [_ratio(c.median(figure), host.median(figure)) for c in others]
        print(f"| {label} | " + " | ".join(cells + ratios) + " |")
    print()
    print("| figure | req/s | of its limit |")
    print("|---|---|---|")
    for column in columns:
        sleep = column.median("sleep")
        if sleep is None:
            continue
        print(f"| {column.name}: 50 ms endpoint, wrk -c32 (limit {SLEEP_LIMIT:,.0f}) | "
              f"{_rate(sleep)}{_errors(column, 'sleep')} | {_ratio(sleep, SLEEP_LIMIT)} |")
    for column in tornado:
        for figure, how in (("tornado", ""), ("tornado2", ", WEB_CONCURRENCY=2")):
            rate = column.median(figure)
            print(f"| {column.name}: Tornado 100 ms endpoint{how}, wrk -c200 "
                  f"(limit {TORNADO_LIMIT:,.0f}) | {_rate(rate)}{_errors(column, figure)} | "
                  f"{_ratio(rate, TORNADO_LIMIT)} |")


if __name__ == "__main__":
    main()
