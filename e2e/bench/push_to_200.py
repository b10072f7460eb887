"""Push start to first 200 of the new version, cold and warm (median of N).

cold: a fresh app whose requirements.txt differs from every earlier build (a nonce
comment), so the dependency layer is built from nothing with an empty pip cache.
warm: a code-only change to a deployed app.
Targets on the 2-core build machines: cold <= 15 s, warm <= 2 s.

    python e2e/bench/push_to_200.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from e2e.harness import Platform


def _push_until_200(p: Platform, repo: Path, app: str, marker: str) -> float:
    """Seconds from `git push` start until the router serves a body containing marker."""
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
    if r.code != 0:
        raise SystemExit(f"push failed:\n{r.err[-2000:]}")
    served.wait(timeout=60)
    t.join(timeout=1)
    if not stamp:
        raise SystemExit(f"{app} never served {marker!r}")
    return stamp[0] - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    subprocess.run(["paas", "stack", "build"], check=True)
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        p = Platform(Path(tmp))
        try:
            p.start()
            p.login()
            cold: list[float] = []
            warm: list[float] = []
            for i in range(args.runs):
                app = f"bench-{i}"
                repo = p.new_repo("flask-hello", app)
                nonce = uuid.uuid4().hex
                (repo / "requirements.txt").write_text(f"flask>=3,<4\n# bench {nonce}\n")
                (repo / "app.py").write_text(
                    (repo / "app.py").read_text().replace("Hello from", f"Cold {nonce} from")
                )
                p.commit_all(repo, "cold")
                assert p.paas("apps:create", app, cwd=repo).code == 0
                cold.append(_push_until_200(p, repo, app, f"Cold {nonce}"))

                nonce2 = uuid.uuid4().hex
                (repo / "app.py").write_text(
                    (repo / "app.py").read_text().replace(f"Cold {nonce}", f"Warm {nonce2}")
                )
                p.commit_all(repo, "warm")
                warm.append(_push_until_200(p, repo, app, f"Warm {nonce2}"))
                print(f"run {i + 1}: cold {cold[-1]:.2f}s  warm {warm[-1]:.2f}s", flush=True)
            print(f"push -> first 200, median of {args.runs}: "
                  f"cold {statistics.median(cold):.2f}s (target <= 15s), "
                  f"warm {statistics.median(warm):.2f}s (target <= 2s)")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
