"""gunicorn settings the platform puts in every WSGI image, at /opt/paas/gunicorn.conf.py.

It runs inside the container at start, so worker counts follow that container's CPU and
memory limits (cgroup v2 ``cpu.max``/``memory.max``, else the v1 files), the way Heroku's
WEB_CONCURRENCY works but without its v1-only blind spot, and threads stay within its
process limit (``pids.max``). ``WEB_CONCURRENCY`` and ``PYTHON_THREADS`` override.
"""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path
from typing import Any

CGROUP = Path("/sys/fs/cgroup")
_UNLIMITED_V1 = 1 << 60


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_limit(root: Path = CGROUP) -> float | None:
    """CPUs this container may use, from the CFS quota; None when unlimited."""
    v2 = _read(root / "cpu.max")
    if v2:
        quota, _, period = v2.partition(" ")
        if quota != "max" and period:
            return int(quota) / int(period)
        return None
    quota_v1 = _read(root / "cpu" / "cpu.cfs_quota_us") or _read(root / "cpu.cfs_quota_us")
    period_v1 = _read(root / "cpu" / "cpu.cfs_period_us") or _read(root / "cpu.cfs_period_us")
    if quota_v1 and period_v1 and int(quota_v1) > 0:
        return int(quota_v1) / int(period_v1)
    return None


def memory_limit(root: Path = CGROUP) -> int | None:
    """Bytes of memory this container may use; None when unlimited."""
    v2 = _read(root / "memory.max")
    if v2:
        return None if v2 == "max" else int(v2)
    v1 = _read(root / "memory" / "memory.limit_in_bytes") or _read(
        root / "memory.limit_in_bytes"
    )
    if v1 and int(v1) < _UNLIMITED_V1:
        return int(v1)
    return None


def pids_limit(root: Path = CGROUP) -> int | None:
    """Processes and threads this container may hold at once; None when unlimited."""
    text = _read(root / "pids.max") or _read(root / "pids" / "pids.max")
    return int(text) if text and text.isdigit() else None


def web_concurrency(cpus: float, memory_bytes: int | None) -> int:
    """Heroku's rule: min(2 * cores + 1, RAM / 256 MiB), at least 1."""
    by_cpu = 2 * max(1, math.ceil(cpus)) + 1
    if memory_bytes is None:
        return by_cpu
    return max(1, min(by_cpu, memory_bytes // (256 * 1024 * 1024)))


#: Threads a worker runs when the process limit leaves room for them.
THREADS = 32


def threads_per_worker(workers: int, pids: int | None) -> int:
    """``THREADS``, fewer when the workers' threads would take more than half of the
    container's process limit (the app's own threads and subprocesses need the rest): a
    thread the limit refuses fails the request that needed it."""
    if pids is None:
        return THREADS
    return max(1, min(THREADS, pids // 2 // max(1, workers)))


def _workers() -> int:
    env = os.environ.get("WEB_CONCURRENCY")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    cpus = cpu_limit() or float(os.cpu_count() or 1)
    return web_concurrency(cpus, memory_limit())


bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = _workers()
# Threads let a worker keep serving while a request waits on I/O (a database, an API):
# with sync workers a 50 ms endpoint caps at workers / 50 ms requests a second.
# 32, not 16: a gthread worker accepts every connection the kernel hands it and nginx
# keeps reusing it, so one worker may hold more busy kept-alive connections than it has
# threads (they queue) while another idles. A 512 MB replica runs 2 workers: with 16
# threads each the 50 ms endpoint at 32 clients gave 376-517 req/s of its 640 limit,
# with 32 504-558, interleaved in the same runs; 64 gained little more (575). The cost:
# about 4 % more app CPU a request on a CPU-bound endpoint (Flask `/`: 422-434 vs
# 411-416 us; its rate moved within the noise). Idle threads cost no CPU and little
# memory; ThreadPoolExecutor starts them as needed.
worker_class = "gthread"
_threads_env = os.environ.get("PYTHON_THREADS", "")
threads = (int(_threads_env) if _threads_env.isdigit() and int(_threads_env) > 0
           else threads_per_worker(workers, pids_limit()))
# nginx buffers slow clients in front of us, so a request that takes longer than this is
# stuck, not slow; graceful_timeout stays under the platform's stop timeout (25 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The heartbeat file on tmpfs: a disk-backed /tmp in overlayfs can stall workers.
worker_tmp_dir = "/dev/shm"
# Where the platform's router writes one access line per request (the docker runtime sets
# PAAS_ACCESS_LOG=router; `paas logs` shows those lines as "router"), a second line per
# request from here only doubles what the engine's log driver stores, unrotated, for as
# long as the replica lives (about 5 us of dockerd CPU a line on 2 cores: small, not
# free). GUNICORN_CMD_ARGS="--access-logfile -" brings gunicorn's lines back.
accesslog = None if os.environ.get("PAAS_ACCESS_LOG") == "router" else "-"
errorlog = "-"
# gunicorn 25.1+'s control socket (``gunicornc``) under $HOME: nobody runs that in a
# replica, and in one with a read-only root it logged "Control server error" at every
# start; its thread also stops and restarts around every worker fork. Older gunicorn
# ignores the name.
control_socket_disable = True
# Only the platform's router reaches the container on the app network.
forwarded_allow_ips = "*"
proxy_allow_ips = "*"


# Workers start one after another, each once the one before has loaded the app: on a
# scale-up every new replica's workers would otherwise import the app at the same time
# on the same cores, and a replica gets traffic when its first worker answers. The
# master starts with one worker; each worker that loaded the app asks for the next
# (SIGTTIN, gunicorn's own "one more worker") until the count gunicorn was configured
# with (``workers``, ``WEB_CONCURRENCY``, ``--workers``) runs. One request for more is
# outstanding at a time, so a worker that dies while booting cannot make two.
def when_ready(server: Any) -> None:
    server.paas_workers = server.num_workers
    server.paas_asking = None
    server.num_workers = 1


def pre_fork(server: Any, worker: Any) -> None:
    worker.paas_ask = (server.paas_asking is None
                       and server.num_workers < server.paas_workers)
    if worker.paas_ask:
        server.paas_asking = worker


def post_worker_init(worker: Any) -> None:
    if worker.paas_ask:
        os.kill(worker.ppid, signal.SIGTTIN)


def nworkers_changed(server: Any, new_value: int, old_value: int | None) -> None:
    server.paas_asking = None


def child_exit(server: Any, worker: Any) -> None:
    if server.paas_asking is worker:
        server.paas_asking = None
