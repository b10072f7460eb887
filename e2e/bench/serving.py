"""Serving throughput, one run, as ratios measured on the same machine in the same run.

- Flask ``/`` through the platform's router vs the Flask dev server (target >= 2.5x) and
  vs a hand-written nginx + gunicorn (5 sync workers, 2 x cores + 1) (target >= 0.9x);
- a 50 ms endpoint at 32 connections (target >= 0.8 of 32 / 50 ms = 640 req/s);
- Tornado's async 100 ms endpoint at 200 connections (target >= 0.8 of 2,000 req/s);
- a 200 KB static file from nginx vs from the app (target >= 5x).

Uses ``wrk`` (Debian package). Prints figures; asserts nothing.

    python -m e2e.bench.serving [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import docker

from e2e.harness import Platform, free_port, http_get
from paas.settings import StackImages

NGINX_BASELINE = """worker_processes auto;
pid /tmp/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream app {{ server {upstream}; }}
    server {{
        listen 8080;
        location / {{
            proxy_pass http://app;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def wrk(url: str, connections: int, seconds: int, host: str | None = None) -> float:
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", url]
    if host:
        args[1:1] = ["-H", f"Host: {host}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m is None:
        raise SystemExit(f"wrk printed no rate:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"    ({errors.group(1)} non-2xx answers from {url})")
    return float(m.group(1))


def _deploy(p: Platform, template: str, name: str, prepare=None) -> Path:
    repo = p.base / "repos" / name
    shutil.copytree(Path(__file__).resolve().parent.parent / "apps" / template, repo)
    if prepare:
        prepare(repo)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        assert p.git(*args, cwd=repo).code == 0
    assert p.paas("apps:create", name, cwd=repo).code == 0
    pushed = p.git("push", "paas", "main", cwd=repo)
    if pushed.code != 0:
        raise SystemExit(pushed.err[-3000:])
    return repo


def _add_big_file(repo: Path) -> None:
    (repo / "static").mkdir()
    (repo / "static" / "big.bin").write_bytes(os.urandom(200 * 1024))


def _wait(port: int, host: str = "localhost", path: str = "/") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if http_get(port, host, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    secs = ap.parse_args().seconds
    subprocess.run(["paas", "stack", "build"], check=True)
    client = docker.from_env()
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        p = Platform(Path(tmp))
        try:
            p.start()
            p.login()
            _deploy(p, "bench-flask", "bflask", _add_big_file)
            _deploy(p, "tornado-ws", "btornado")
            router = f"http://127.0.0.1:{p.router_port}"
            image = client.containers.list(filters={"label": [
                f"paas.instance={p.instance}", "paas.app=bflask"]})[0].image
            labels = {"paas.instance": p.instance}
            net = client.networks.create(f"paas-bench-{p.instance}", labels=labels)

            dev_port, base_port = free_port(), free_port()
            client.containers.run(
                image, ["flask", "--app", "app", "run", "--host", "0.0.0.0", "--port", "5000"],
                detach=True, labels=labels, ports={"5000/tcp": ("127.0.0.1", dev_port)})
            client.containers.run(
                image, ["gunicorn", "-w", "5", "-b", "0.0.0.0:5000", "app:app"],
                name=f"bench-gunicorn-{p.instance}", detach=True, labels=labels,
                network=net.name)
            conf = Path(tmp) / "nginx.conf"
            conf.write_text(NGINX_BASELINE.format(upstream=f"bench-gunicorn-{p.instance}:5000"))
            client.containers.run(
                StackImages().router, ["nginx", "-c", "/etc/bench/nginx.conf",
                                         "-g", "daemon off;"],
                detach=True, labels=labels, network=net.name,
                volumes={str(Path(tmp)): {"bind": "/etc/bench", "mode": "ro"}},
                ports={"8080/tcp": ("127.0.0.1", base_port)})
            _wait(dev_port)
            _wait(base_port)

            print(f"wrk, {secs} s per run; 2 cores shared with the platform, the apps and "
                  "wrk itself (and other work on the machine)")
            flask_host = "bflask.localhost"
            routed = wrk(router + "/", 32, secs, flask_host)
            dev = wrk(f"http://127.0.0.1:{dev_port}/", 32, secs)
            baseline = wrk(f"http://127.0.0.1:{base_port}/", 32, secs)
            print(f"Flask /, 32 conns: platform {routed:,.0f} req/s; dev server {dev:,.0f} "
                  f"({routed / dev:.2f}x, target >= 2.5x); nginx+gunicorn by hand "
                  f"{baseline:,.0f} ({routed / baseline:.2f}x, target >= 0.9x)")
            slow = wrk(router + "/sleep", 32, secs, flask_host)
            print(f"Flask 50 ms endpoint, 32 conns: {slow:,.0f} req/s "
                  f"({slow / 640:.2f} of the 640 req/s limit, target >= 0.8)")
            tornado = wrk(router + "/slow", 200, secs, "btornado.localhost")
            print(f"Tornado async 100 ms endpoint, 200 conns: {tornado:,.0f} req/s "
                  f"({tornado / 2000:.2f} of the 2,000 req/s limit, target >= 0.8)")
            nginx_static = wrk(router + "/static/big.bin", 32, secs, flask_host)
            app_static = wrk(router + "/from-app/big.bin", 32, secs, flask_host)
            print(f"200 KB static file, 32 conns: nginx {nginx_static:,.0f} req/s, app "
                  f"{app_static:,.0f} req/s ({nginx_static / app_static:.1f}x, target >= 5x)")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
