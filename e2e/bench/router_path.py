"""Where the router path spends its time: one suspect at a time, interleaved rounds.

Each variant changes one thing against the platform's defaults and is measured with wrk
at 32 connections, in rounds whose order rotates, medians printed:

- with ``--router-network bridge``, ``published`` vs ``router-ip``: the router's
  published port (through docker-proxy, the engine's userland proxy on 127.0.0.1) vs the
  router container's own address; with ``--router-network host`` (the default, the
  platform's default) nginx listens on 127.0.0.1 itself and ``host-network`` is that;
- ``no-app-log``: gunicorn's access log to /dev/null instead of stdout (Docker's
  json-file driver) -- set with ``GUNICORN_CMD_ARGS``, which gunicorn reads after its
  config file;
- ``no-router-log``: the router's own access log off;
- ``nginx-1``: the router with one nginx worker instead of ``auto``;
- ``no-open-file-cache``: nginx opens each static file per request (no
  ``open_file_cache``);
- ``app-direct`` (host network only): wrk straight to the web replica's address, no
  router: the app's own ceiling in its container;
- ``wc-N`` / ``threads-N``: ``WEB_CONCURRENCY`` / ``PYTHON_THREADS`` per replica.

Every variant but ``published`` is reached at the router's container address (bridge)
or at 127.0.0.1 (host), so the proxy hop's noise stays out of the other comparisons.
Also printed per variant: CPU milliseconds that dockerd, docker-proxy and
containerd-shim spent per 1,000 requests (the engine is shared with other work: read
them as indications), and the CPU microseconds per request of each part of the path:
wrk, docker-proxy of this router's port, dockerd, the router container, the app's
containers. On a loaded machine the rates swing with other work; the CPU per request
does much less. Asserts nothing.

    python -m e2e.bench.router_path [--rounds 3] [--seconds 5] [--only a,b]
        [--router-network host|bridge]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker

from e2e.bench.peers import loadavg
from e2e.bench.serving import _add_big_file, _deploy, _wait, wrk
from e2e.harness import Platform

APP = "bflask"
HOST = f"{APP}.localhost"
ENGINE_PROCESSES = ("dockerd", "docker-proxy", "containerd-shim")


def engine_cpu_seconds() -> float:
    """CPU seconds used so far by the engine's own processes (all of them, host-wide)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        if comm.startswith(ENGINE_PROCESSES):
            fields = text[text.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _proc_seconds(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids(match: Callable[[list[str]], bool]) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if match(argv):
            found.append(int(cmdline.parent.name))
    return found


def _cgroup_seconds(container_id: str) -> float:
    path = Path("/sys/fs/cgroup/cpuacct/docker") / container_id / "cpuacct.usage"
    if not path.exists():  # cgroup v2
        path = Path("/sys/fs/cgroup/system.slice") / f"docker-{container_id}.scope" / "cpu.stat"
        if not path.exists():
            return 0.0
        usage = dict(line.split() for line in path.read_text().splitlines())
        return int(usage["usage_usec"]) / 1e6
    return int(path.read_text()) / 1e9


class PathCpu:
    """CPU seconds spent so far by each part of the request path."""

    PARTS = ("wrk", "docker-proxy", "dockerd", "router", "app")

    def __init__(self, client: docker.DockerClient, instance: str, router_port: int) -> None:
        self.client = client
        self.instance = instance
        port = str(router_port)
        self.proxy = _pids(lambda a: a[0].endswith("docker-proxy") and port in a)
        self.dockerd = _pids(lambda a: a[0].endswith("dockerd"))

    def _ids(self, role: str) -> list[str]:
        return [c.id for c in self.client.containers.list(filters={"label": [
            f"paas.instance={self.instance}", f"paas.role={role}"]})]

    def now(self) -> dict[str, float]:
        wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "wrk": wrk.ru_utime + wrk.ru_stime,
            "docker-proxy": sum(_proc_seconds(p) for p in self.proxy),
            "dockerd": sum(_proc_seconds(p) for p in self.dockerd),
            "router": sum(_cgroup_seconds(i) for i in self._ids("router")),
            "app": sum(_cgroup_seconds(i) for i in self._ids("app")),
        }


@dataclass
class Variant:
    name: str
    figures: tuple[str, ...]
    apply: Callable[[], None] = lambda: None
    undo: Callable[[], None] = lambda: None
    published: bool = False
    #: A base URL of its own (the app replica itself), instead of the router's.
    base: Callable[[], str] | None = None
    rates: dict[str, list[float]] = field(default_factory=dict)
    engine_ms: dict[str, list[float]] = field(default_factory=dict)
    #: figure -> part of the path -> CPU microseconds per request, one per round
    cpu_us: dict[str, dict[str, list[float]]] = field(default_factory=dict)


PATHS = {"flask": "/", "static": "/static/big.bin", "sleep": "/sleep"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated variant names")
    ap.add_argument("--router-network", choices=("host", "bridge"), default="host")
    args = ap.parse_args()
    if not 1 <= args.rounds <= 50 or not 1 <= args.seconds <= 120:
        raise SystemExit("--rounds must be 1 to 50 and --seconds 1 to 120")
    on_host = args.router_network == "host"
    subprocess.run(["paas", "stack", "build"], check=True, stdout=subprocess.DEVNULL)
    client = docker.from_env()
    with tempfile.TemporaryDirectory(prefix="paas-router-path-") as tmp:
        p = Platform(Path(tmp), server_args=("--router-network", args.router_network))
        try:
            p.start()
            p.login()
            repo = _deploy(p, "bench-flask", APP, _add_big_file)
            _wait(p.router_port, HOST)
            router = client.containers.list(filters={"label": [
                f"paas.instance={p.instance}", "paas.role=router"]})[0]
            direct = (f"http://127.0.0.1:{p.router_port}" if on_host else
                      "http://{}:8080".format(next(iter(
                          router.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]))
            conf = p.home / "router" / "nginx.conf"
            saved: list[str] = []

            def reload_router() -> None:
                code, out = router.exec_run(["nginx", "-s", "reload", "-c",
                                             "/etc/paas-router/nginx.conf"])
                assert code == 0, out
                time.sleep(1.5)  # old workers finish; no request is in flight here

            def router_edit(old: str, new: str) -> Callable[[], None]:
                """Edit the platform's current config (its upstreams change with every
                release), keeping the text to put back."""
                def run() -> None:
                    saved[:] = [conf.read_text()]
                    assert old in saved[0], old
                    conf.write_text(saved[0].replace(old, new))
                    reload_router()
                return run

            def router_restore() -> None:
                conf.write_text(saved.pop())
                reload_router()

            def config(**values: str) -> Callable[[], None]:
                def run() -> None:
                    pairs = [f"{k}={v}" for k, v in values.items()]
                    r = p.paas("config:set", *pairs, "--app", APP, cwd=repo)
                    assert r.code == 0, r.text
                    _wait(p.router_port, HOST)
                return run

            def unset(*keys: str) -> Callable[[], None]:
                def run() -> None:
                    r = p.paas("config:unset", *keys, "--app", APP, cwd=repo)
                    assert r.code == 0, r.text
                    _wait(p.router_port, HOST)
                return run

            def replica() -> str:
                """The web replica's own address and port: no router in the path."""
                web = client.containers.list(filters={"label": [
                    f"paas.instance={p.instance}", f"paas.app={APP}", "paas.process-type=web"]})[0]
                env = dict(e.split("=", 1) for e in web.attrs["Config"]["Env"])
                ip = next(iter(web.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
                return f"http://{ip}:{env['PORT']}"

            both = ("flask", "static")
            variants = [
                *([] if on_host else [Variant("published", both, published=True)]),
                Variant("host-network" if on_host else "router-ip",
                        ("flask", "static", "sleep")),
                Variant("no-app-log", ("flask",),
                        config(GUNICORN_CMD_ARGS="--access-logfile /dev/null"),
                        unset("GUNICORN_CMD_ARGS")),
                Variant("no-router-log", both,
                        router_edit("access_log /dev/stdout paas_router buffer=32k flush=1s;",
                                    "access_log off;"),
                        router_restore),
                Variant("nginx-1", both,
                        router_edit("worker_processes auto;", "worker_processes 1;"),
                        router_restore),
                *([Variant("app-direct", ("flask", "sleep"), base=replica)] if on_host
                  else []),
                Variant("no-open-file-cache", ("static",),
                        router_edit("open_file_cache max=1000 inactive=20s;", ""),
                        router_restore),
                Variant("wc-2", ("flask", "sleep"), config(WEB_CONCURRENCY="2"),
                        unset("WEB_CONCURRENCY")),
                Variant("wc-3", ("flask", "sleep"), config(WEB_CONCURRENCY="3"),
                        unset("WEB_CONCURRENCY")),
                Variant("wc-5", ("flask", "sleep"), config(WEB_CONCURRENCY="5"),
                        unset("WEB_CONCURRENCY")),
                Variant("threads-4", ("flask", "sleep"), config(PYTHON_THREADS="4"),
                        unset("PYTHON_THREADS")),
            ]
            if args.only:
                wanted = set(args.only.split(","))
                variants = [v for v in variants if v.name in wanted]
            meter = PathCpu(client, p.instance, p.router_port)
            print(f"load average before: {loadavg()}", flush=True)
            for r in range(args.rounds):
                shift = r % len(variants)
                for v in variants[shift:] + variants[:shift]:
                    v.apply()
                    base = (v.base() if v.base is not None
                            else f"http://127.0.0.1:{p.router_port}" if v.published
                            else direct)
                    for figure in v.figures:
                        cpu = engine_cpu_seconds()
                        parts = meter.now()
                        rate = wrk(base + PATHS[figure], 32, args.seconds, HOST)
                        used = engine_cpu_seconds() - cpu
                        after = meter.now()
                        per = v.cpu_us.setdefault(figure, {})
                        for part in PathCpu.PARTS:
                            per.setdefault(part, []).append(
                                1e6 * (after[part] - parts[part]) / (rate * args.seconds))
                        v.rates.setdefault(figure, []).append(rate)
                        v.engine_ms.setdefault(figure, []).append(
                            1000 * used / (rate * args.seconds) * 1000)
                    v.undo()
                print(f"round {r + 1}: load average {loadavg()}", flush=True)
            print(f"\nmedians of {args.rounds} rounds, wrk -c32 {args.seconds} s; "
                  "engine CPU ms per 1,000 requests in brackets\n")
            print("| variant | Flask / | 200 KB static | 50 ms endpoint |")
            print("|---|---|---|---|")
            for v in variants:
                cells = []
                for figure in ("flask", "static", "sleep"):
                    if figure in v.rates:
                        cells.append(f"{statistics.median(v.rates[figure]):,.0f} "
                                     f"({statistics.median(v.engine_ms[figure]):,.0f})")
                    else:
                        cells.append("-")
                print(f"| {v.name} | " + " | ".join(cells) + " |")
            print("\nCPU microseconds per request, medians, by part of the path\n")
            print("| variant | figure | " + " | ".join(PathCpu.PARTS) + " | sum |")
            print("|---|---|" + "---|" * (len(PathCpu.PARTS) + 1))
            for v in variants:
                for figure, per in v.cpu_us.items():
                    medians = [statistics.median(per[part]) for part in PathCpu.PARTS]
                    print(f"| {v.name} | {figure} | "
                          + " | ".join(f"{c:,.0f}" for c in medians)
                          + f" | {sum(medians):,.0f} |")
            print(f"\nload average after: {loadavg()}")
        finally:
            p.cleanup()


if __name__ == "__main__":
    main()
