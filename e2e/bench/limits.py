"""What the container limits cost: the Flask app's requests/s at the default size's
limits vs unlimited, interleaved in one run on the same machine (target: < 5 % cost).

Three containers of the same image, command and environment, each reached directly at
its address on the platform network (no router, so only the container differs):

- ``limited``: the platform's own web replica at the default size (standard-1x: 512M
  without swap, 1024 cpu shares, 512 pids, no-new-privileges, no capabilities,
  read-only root with a /tmp tmpfs);
- ``unlimited``: a copy with no limits and no hardening;
- ``basic``: a copy confined like the ``basic`` size (the same, plus a 1-CPU quota), to
  show what a hard CPU cap would cost if the default had one.

gunicorn sizes its workers from the cgroup it runs in (2 x CPUs + 1, at most one per
256 MiB), so a 512M replica runs 2 workers where an unlimited one runs 5 on 2 cores: that
is part of what the limits cost, and the figure includes it.

Uses ``wrk`` (Debian package). Prints figures; asserts nothing.

    python -m e2e.bench.limits [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import docker

from e2e.bench.serving import _deploy, wrk
from e2e.harness import Platform
from paas.domain.limits import AppLimits
from paas.domain.sizes import SIZES
from paas.runtime.docker import confine
from paas.runtime.docker.engine import host_options


def _ip(container: Any, network: str) -> str:
    container.reload()
    return str(container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered at {url}")


def _workers(container: Any) -> int:
    """gunicorn processes minus its master (not the init or the shell that started it)."""
    titles = container.top()
    cmd = titles["Titles"].index("CMD")
    return sum(1 for p in titles["Processes"]
               if "gunicorn" in p[cmd] and not p[cmd].startswith(("/bin/sh", "/sbin/docker-init",
                                                                  "docker-init"))) - 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    subprocess.run(["paas", "stack", "build"], check=True)
    client = docker.from_env()
    with tempfile.TemporaryDirectory(prefix="paas-bench-limits-") as tmp:
        p = Platform(Path(tmp))
        try:
            p.start()
            p.login()
            _deploy(p, "bench-flask", "blimits")
            (replica,) = client.containers.list(filters={"label": [
                f"paas.instance={p.instance}", "paas.app=blimits", "paas.process-type=web"]})
            network = next(iter(replica.attrs["NetworkSettings"]["Networks"]))
            port = next(e.split("=", 1)[1] for e in replica.attrs["Config"]["Env"]
                        if e.startswith("PORT="))

            def copy(options: dict[str, Any]) -> Any:
                return client.containers.run(
                    replica.image, replica.attrs["Config"]["Cmd"],
                    environment=replica.attrs["Config"]["Env"], network=network, init=True,
                    labels={"paas.instance": p.instance}, detach=True, **options)

            unlimited = copy({})
            basic = copy(host_options(confine.for_app(SIZES["basic"], AppLimits())))
            urls = {name: f"http://{_ip(c, network)}:{port}/"
                    for name, c in (("limited", replica), ("unlimited", unlimited),
                                    ("basic", basic))}
            for url in urls.values():
                _wait(url)
            print(f"gunicorn workers: limited {_workers(replica)}, unlimited "
                  f"{_workers(unlimited)}, basic {_workers(basic)}")
            print(f"wrk, 32 connections, {args.seconds} s per run, {args.rounds} rounds "
                  "interleaved; 2 cores shared with the platform and wrk itself")
            rates: dict[str, list[float]] = {name: [] for name in urls}
            for _ in range(args.rounds):
                for name, url in urls.items():
                    rates[name].append(wrk(url, 32, args.seconds))
            median = {name: statistics.median(r) for name, r in rates.items()}
            for name, r in rates.items():
                print(f"  {name:<10} median {median[name]:8,.0f} req/s  "
                      f"(runs: {', '.join(f'{x:,.0f}' for x in r)})")
            ratio = median["limited"] / median["unlimited"]
            print(f"default size vs unlimited: {ratio:.3f}x ({(1 - ratio) * 100:+.1f} % cost, "
                  "target < 5 %)")
            print(f"basic (1-CPU quota) vs unlimited: "
                  f"{median['basic'] / median['unlimited']:.3f}x")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
