"""A one-requirement change to a deployed Django app: push start to the new version answering.

The app (e2e/apps/django-site) declares ten requirements, a realistic set (Django,
gunicorn, DRF, celery, redis, psycopg, ...). It is deployed once; then each run adds one
more requirement (a different one each run) and changes the page, and the benchmark
measures push start until the router serves the new page, the build's own share (the
push output's "Image built in"), and when the push returned. Target: <= 10 s.

    python -m e2e.bench.rebuild [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from e2e.harness import Platform

TARGET = 10.0
REQUIREMENTS = [
    "Django>=5,<6", "gunicorn>=23", "dj-database-url>=2", "psycopg[binary]>=3.1",
    "whitenoise>=6", "djangorestframework>=3.15", "django-environ>=0.11",
    "requests>=2.31", "celery>=5.4", "redis>=5",
]
#: One more requirement per run; small pure-Python packages, none a dependency above.
ADDED = ["django-cors-headers", "python-slugify", "pytz", "attrs", "tabulate",
         "humanize", "toolz", "more-itertools"]
MAX_RUNS = len(ADDED)
_BUILT = re.compile(r"Image built in ([0-9.]+)s")
_DEPS = re.compile(r"Dependencies ready in ([0-9.]+)s")


def _push_until(p: Platform, repo: Path, app: str, marker: str, show: bool = False
                ) -> tuple[float, float, float | None]:
    """(push start -> router serves marker, push start -> push returned, build seconds)."""
    served = threading.Event()
    stamp: list[float] = []

    def poll() -> None:
        while not served.is_set():
            try:
                status, body = p.get(app)
                if status == 200 and marker in body:
                    stamp.append(time.monotonic())
                    served.set()
                    return
            except OSError:
                pass
            time.sleep(0.01)

    start = time.monotonic()
    t = threading.Thread(target=poll, daemon=True)
    t.start()
    r = p.git("push", "paas", "main", cwd=repo)
    returned = time.monotonic() - start
    if show:
        print(r.err, flush=True)
    if r.code != 0:
        raise SystemExit(f"push failed:\n{r.err[-3000:]}")
    served.wait(timeout=120)
    t.join(timeout=1)
    if not stamp:
        raise SystemExit(f"{app} never served {marker!r}")
    built, deps = _BUILT.search(r.err), _DEPS.search(r.err)
    if deps and not show:
        print(f"  dependencies ready in {deps.group(1)}s", flush=True)
    return stamp[0] - start, returned, float(built.group(1)) if built else None


def _set_page(repo: Path, marker: str) -> None:
    views = repo / "pages" / "views.py"
    views.write_text(re.sub(r'HttpResponse\(f"[^ ]* ', f'HttpResponse(f"{marker} ',
                            views.read_text()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--show", action="store_true", help="print each push's output")
    args = ap.parse_args()
    if not 1 <= args.runs <= MAX_RUNS:
        raise SystemExit(f"--runs must be between 1 and {MAX_RUNS}")
    subprocess.run(["paas", "stack", "build"], check=True)
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        p = Platform(Path(tmp))
        try:
            p.start()
            p.login()
            app = "rebuild"
            repo = p.new_repo("django-site", app)
            reqs = list(REQUIREMENTS)
            # a manifest no earlier build had: the first deploy installs from nothing
            (repo / "requirements.txt").write_text(
                "\n".join(reqs) + f"\n# bench {uuid.uuid4().hex}\n")
            marker = f"v0-{uuid.uuid4().hex[:8]}"
            _set_page(repo, marker)
            p.commit_all(repo, "first")
            assert p.paas("apps:create", app, cwd=repo).code == 0
            first, first_ret, first_build = _push_until(p, repo, app, marker)
            print(f"first deploy ({len(reqs)} requirements): {first:.2f}s "
                  f"(build {first_build}s, push returned {first_ret:.2f}s)", flush=True)

            totals: list[float] = []
            builds: list[float] = []
            returns: list[float] = []
            for i in range(args.runs):
                reqs.append(ADDED[i])
                (repo / "requirements.txt").write_text("\n".join(reqs) + "\n")
                marker = f"v{i + 1}-{uuid.uuid4().hex[:8]}"
                _set_page(repo, marker)
                p.commit_all(repo, f"add {ADDED[i]}")
                total, returned, build = _push_until(p, repo, app, marker, args.show)
                totals.append(total)
                returns.append(returned)
                if build is not None:
                    builds.append(build)
                print(f"run {i + 1} (+{ADDED[i]}): {total:.2f}s to the new version, "
                      f"build {build}s, push returned {returned:.2f}s", flush=True)
            median = statistics.median(totals)
            print(f"one-requirement change, median of {args.runs}: {median:.2f}s push -> new "
                  f"version (target <= {TARGET:.0f}s: {median / TARGET:.2f}x the target), "
                  f"build {statistics.median(builds) if builds else float('nan'):.2f}s, "
                  f"push returned {statistics.median(returns):.2f}s; "
                  f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
