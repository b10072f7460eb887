"""Failed requests under constant load during config:set, rollback and redeploy, and the
time from `config:set` until every replica runs the new release. One run; prints figures.

Load: N client threads, each sending GET / through the router on a fresh connection in a
loop (a new connection per request is the harder case for a router reload); a request
fails on any non-200 answer or connection error. Target: 0 failed requests.

    python -m e2e.bench.lifecycle [--clients 8]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker

from e2e.harness import Platform


@dataclass
class Load:
    p: Platform
    app: str
    clients: int
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                status, body = self.p.get(self.app)
                good, why = status == 200, f"{status} {body[:60]!r}"
            except OSError as e:
                good, why = False, repr(e)
            with self.lock:
                if good:
                    self.ok += 1
                else:
                    self.failed.append(why)

    def during(self, action: Callable[[], None]) -> tuple[int, list[str], float]:
        """Run ``action`` under load (with a second of load before and after)."""
        self.ok, self.failed, self.stop = 0, [], threading.Event()
        threads = [threading.Thread(target=self._loop) for _ in range(self.clients)]
        for t in threads:
            t.start()
        time.sleep(1)
        start = time.monotonic()
        try:
            action()
        finally:
            took = time.monotonic() - start
            time.sleep(1)
            self.stop.set()
            for t in threads:
                t.join()
        return self.ok, self.failed, took


def _web_releases(p: Platform, app: str) -> list[str]:
    client = docker.from_env()
    return sorted(
        c.labels["paas.release"] + ":" + c.status
        for c in client.containers.list(all=True, filters={"label": [
            f"paas.instance={p.instance}", f"paas.app={app}", "paas.process-type=web"]})
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    subprocess.run(["paas", "stack", "build"], check=True)
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        p = Platform(Path(tmp))
        try:
            p.start()
            p.login()
            app = "lifebench"
            repo = p.new_repo("flask-config", app)
            assert p.paas("apps:create", app, cwd=repo).code == 0
            r = p.git("push", "paas", "main", cwd=repo)
            assert r.code == 0, r.err
            load = Load(p, app, args.clients)
            results: list[tuple[str, int, int, float]] = []

            # config:set, timing until every web replica runs the new release (v2)
            ready: list[float] = []
            serving: list[float] = []

            def config_set() -> None:
                start = time.monotonic()
                watching = threading.Event()

                def watch() -> None:
                    while not watching.is_set():
                        if not serving and "release=v2" in p.get(app)[1]:
                            serving.append(time.monotonic() - start)
                        if _web_releases(p, app) and all(
                            s == "2:running" for s in _web_releases(p, app)
                        ):
                            ready.append(time.monotonic() - start)
                            return
                        time.sleep(0.05)

                w = threading.Thread(target=watch)
                w.start()
                res = p.paas("config:set", "GREETING=bench", "-a", app)
                assert res.code == 0, res.text
                w.join(timeout=120)
                watching.set()

            ok, failed, took = load.during(config_set)
            results.append(("config:set", ok, len(failed), took))
            failures = {"config:set": failed}

            def rollback() -> None:
                res = p.paas("rollback", "-a", app)
                assert res.code == 0, res.text

            ok, failed, took = load.during(rollback)
            results.append(("rollback", ok, len(failed), took))
            failures["rollback"] = failed

            def redeploy() -> None:
                app_py = repo / "app.py"
                app_py.write_text(app_py.read_text().replace("Hello from", "Hi from"))
                p.commit_all(repo, "redeploy")
                res = p.git("push", "paas", "main", cwd=repo)
                assert res.code == 0, res.err

            ok, failed, took = load.during(redeploy)
            results.append(("redeploy (git push)", ok, len(failed), took))
            failures["redeploy (git push)"] = failed

            print(f"\nconstant load: {args.clients} clients, new connection per request, "
                  "through nginx; 1 web replica (gunicorn)")
            print(f"{'operation':<22}{'command s':>10}{'requests':>10}{'failed':>8}")
            for name, ok_n, fail_n, secs in results:
                print(f"{name:<22}{secs:>10.2f}{ok_n + fail_n:>10}{fail_n:>8}")
                for why in failures[name][:5]:
                    print(f"    e.g. {why}")
            if ready and serving:
                print(f"config:set -> router serves the new release: {serving[0]:.2f} s; "
                      f"-> only new-release web replicas left, all running: {ready[0]:.2f} s")
            else:
                print("config:set -> replicas never all ran the new release")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
