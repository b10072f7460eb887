"""Scaling figures on the Docker runtime, one run.

1. `paas scale web=4` from 1: seconds until 4 distinct replicas answer through nginx
   (target <= 3 s; printed as a ratio).
2. Failed requests (non-200 or connection errors) under constant load while web scales
   1 -> 4 and 4 -> 1 (target 0).
3. A burst of 300 queued tasks with `autoscale:set worker --min 1 --max 8 --queue celery
   --per-replica 10` and a 5 s poll: seconds until the formation and the running workers
   reach the needed 8 (target <= 30 s), and from the empty queue back to min 1 (the
   stabilization window, --window, plus at most one poll and the stop).

    python -m e2e.bench.scale [--window 30] [--load-threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from e2e.harness import Platform
from paas.client import Client
from paas.credentials import Credentials

APP = "bench-scale"
TASKS = 300
PER_REPLICA = 10
MAX_WORKERS = 8


class Load:
    def __init__(self, p: Platform, threads: int) -> None:
        self.p = p
        self.ok = 0
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]
        self._lock = threading.Lock()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body = self.p.get(APP)
                good, why = status == 200, f"{status} {body[:60]}"
            except OSError as e:
                good, why = False, repr(e)
            with self._lock:
                if good:
                    self.ok += 1
                else:
                    self.failed.append(why)

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def post(p: Platform, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", p.router_port, timeout=60)
    try:
        conn.request("POST", path, headers={"Host": f"{APP}.localhost"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def ps(p: Platform) -> tuple[dict[str, int], int]:
    """(formation, running worker containers) from the API."""
    data = p_client(p).ps(APP)
    running = sum(r["type"] == "worker" and r["state"] == "running" for r in data["processes"])
    return dict(data["formation"]), running


def p_client(p: Platform) -> Client:
    return Client(Credentials(url=p.url, token=p.token()))


def cli(p: Platform, *args: str) -> str:
    r = p.paas(*args, "-a", APP)
    if r.code != 0:
        raise SystemExit(f"paas {' '.join(args)} failed: {r.err}")
    return r.out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=float, default=30.0,
                    help="scale-down stabilization window in seconds (HPA default 300)")
    ap.add_argument("--interval", type=float, default=5.0, help="autoscaling poll")
    ap.add_argument("--load-threads", type=int, default=4)
    args = ap.parse_args()
    subprocess.run(["paas", "stack", "build"], check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        p = Platform(Path(tmp), server_args=("--autoscale-interval", str(args.interval),
                                             "--autoscale-window", str(args.window)))
        try:
            p.start()
            p.login()
            repo = p.new_repo("flask-celery", APP)
            assert p.paas("apps:create", APP, cwd=repo).code == 0
            pushed = p.git("push", "paas", "main", cwd=repo)
            if pushed.code != 0:
                raise SystemExit(pushed.err[-2000:])
            cli(p, "addons:create", "redis")

            # 1 + 2: web 1 -> 4 under load, until 4 distinct replicas answer
            with Load(p, args.load_threads) as up:
                start = time.monotonic()
                cli(p, "scale", "web=4")
                cli_done = time.monotonic() - start
                seen: set[str] = set()
                while len(seen) < 4:
                    seen.add(p.get(APP)[1].strip())
                all_serve = time.monotonic() - start
            print(f"scale web=1->4: CLI returned in {cli_done:.2f}s, "
                  f"4 distinct replicas answered after {all_serve:.2f}s "
                  f"(target <= 3 s: {all_serve / 3:.2f}x)")
            print(f"  load during scale-up: {up.ok} ok, {len(up.failed)} failed {up.failed[:3]}")
            with Load(p, args.load_threads) as down:
                start = time.monotonic()
                cli(p, "scale", "web=1")
                took = time.monotonic() - start
            print(f"scale web=4->1 in {took:.2f}s; load: {down.ok} ok, "
                  f"{len(down.failed)} failed {down.failed[:3]} (target 0)")

            # 3: burst of queued tasks
            cli(p, "scale", "worker=1")
            cli(p, "autoscale:set", "worker", "--min", "1", "--max", str(MAX_WORKERS),
                "--queue", "celery", "--per-replica", str(PER_REPLICA))
            needed = min(math.ceil(TASKS / PER_REPLICA), MAX_WORKERS)
            start = time.monotonic()
            ids = json.loads(post(p, f"/enqueue?n={TASKS}&seconds=0.5"))
            enqueued = time.monotonic() - start
            reached = running_at = None
            steps: list[tuple[float, int]] = []
            while running_at is None:
                formation, running = ps(p)
                now = time.monotonic() - start
                if not steps or steps[-1][1] != formation["worker"]:
                    steps.append((now, formation["worker"]))
                if reached is None and formation["worker"] >= needed:
                    reached = now
                if reached is not None and running >= needed:
                    running_at = now
                time.sleep(0.25)
            print(f"burst of {TASKS} tasks (enqueued in {enqueued:.2f}s, poll "
                  f"{args.interval:.0f}s): formation reached {needed} workers after "
                  f"{reached:.1f}s, {needed} running after {running_at:.1f}s (target <= 30 s); "
                  f"steps {[(round(t, 1), n) for t, n in steps]}")

            client = p_client(p)

            def all_done() -> bool:
                last = ids[-1]
                return bool(json.loads(p.get(APP, f"/task/{last}")[1])["state"] == "SUCCESS")

            while not all_done():
                time.sleep(0.25)
            drained = time.monotonic() - start
            while ps(p)[0]["worker"] != 1:
                time.sleep(0.25)
            back = time.monotonic() - start
            changes = client.autoscale(APP)["changes"]
            print(f"queue drained after {drained:.1f}s; back to min 1 after {back:.1f}s, "
                  f"{back - drained:.1f}s after draining (window {args.window:.0f}s)")
            for c in changes:
                print(f"  {c['current']} -> {c['desired']}: {c['reason']}")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
