"""Push start to first 200 of the new version, cold and warm (median of N).

cold: a fresh app whose requirements.txt differs from every earlier build (a nonce
comment), so the dependency layer is built from nothing with an empty pip cache.
warm: a code-only change to a deployed app.
Each figure has two times: when the router first serves the new version, and when
`git push` returns (the push answers once the new version serves; draining the old
replicas may come after). ``--timeline`` prints when each line of the push output
arrived, the way to see where a warm push spends its time.
Targets on the 2-core build machines: cold <= 8 s, warm <= 1.2 s (push returned <= 1.5 s).

    python -m e2e.bench.push_to_200 [--runs 5] [--timeline]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from e2e.harness import Platform


@dataclass(frozen=True)
class Pushed:
    #: Seconds from `git push` start until the router served the new version.
    served: float
    #: Seconds from `git push` start until `git push` exited.
    returned: float
    #: (seconds since the start, line) for each line of the push's output.
    lines: tuple[tuple[float, str], ...]


def _push_until_200(p: Platform, repo: Path, app: str, marker: str) -> Pushed:
    """Push, and time the first answer of the new version (a body containing marker)."""
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
    proc = subprocess.Popen(["git", "push", "paas", "main"], cwd=repo, env=p.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = [(time.monotonic() - start, line.rstrip()) for line in proc.stderr]
    code = proc.wait()
    returned = time.monotonic() - start
    if code != 0:
        raise SystemExit("push failed:\n" + "\n".join(line for _t, line in lines[-40:]))
    served.wait(timeout=60)
    t.join(timeout=1)
    if not stamp:
        raise SystemExit(f"{app} never served {marker!r}")
    return Pushed(stamp[0] - start, returned, tuple(lines))


def _timeline(pushed: Pushed) -> None:
    for at, line in pushed.lines:
        print(f"  {at:6.2f}s  {line}")
    print(f"  {pushed.served:6.2f}s  [router serves the new version]")
    print(f"  {pushed.returned:6.2f}s  [git push returned]")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeline", action="store_true",
                    help="print when each line of the warm pushes arrived")
    args = ap.parse_args()
    if not 1 <= args.runs <= 50:
        raise SystemExit("--runs must be between 1 and 50")
    subprocess.run(["paas", "stack", "build"], check=True)
    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        p = Platform(Path(tmp))
        try:
            p.start()
            p.login()
            cold: list[Pushed] = []
            warm: list[Pushed] = []
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
                print(f"run {i + 1}: cold {cold[-1].served:.2f}s (push returned "
                      f"{cold[-1].returned:.2f}s)  warm {warm[-1].served:.2f}s (push "
                      f"returned {warm[-1].returned:.2f}s)", flush=True)
                if args.timeline:
                    _timeline(warm[-1])

            def median(runs: list[Pushed], attr: str) -> float:
                return statistics.median(getattr(r, attr) for r in runs)

            print(f"push -> first 200, median of {args.runs}: "
                  f"cold {median(cold, 'served'):.2f}s (target <= 8 s: "
                  f"{median(cold, 'served') / 8:.2f}x), "
                  f"warm {median(warm, 'served'):.2f}s (target <= 1.2 s: "
                  f"{median(warm, 'served') / 1.2:.2f}x); "
                  f"push returned: cold {median(cold, 'returned'):.2f}s, "
                  f"warm {median(warm, 'returned'):.2f}s (target <= 1.5 s: "
                  f"{median(warm, 'returned') / 1.5:.2f}x)")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
