import pytest

from buildpacks.python.gunicorn_conf import (
    THREADS,
    cpu_limit,
    memory_limit,
    pids_limit,
    threads_per_worker,
    web_concurrency,
)

MIB = 1024 * 1024


def _tree(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("text", "expected"),
    [("200000 100000\n", 2.0), ("50000 100000", 0.5), ("150000 100000", 1.5),
     ("max 100000\n", None), ("max", None)],
)
def test_cpu_v2(tmp_path, text, expected):
    assert cpu_limit(_tree(tmp_path, {"cpu.max": text})) == expected


def test_cpu_v2_wins_over_v1(tmp_path):
    root = _tree(tmp_path, {"cpu.max": "max 100000", "cpu/cpu.cfs_quota_us": "300000",
                            "cpu/cpu.cfs_period_us": "100000"})
    assert cpu_limit(root) is None


@pytest.mark.parametrize("sub", ["cpu/", ""])
def test_cpu_v1_quota_period(tmp_path, sub):
    root = _tree(tmp_path, {f"{sub}cpu.cfs_quota_us": "300000\n",
                            f"{sub}cpu.cfs_period_us": "100000\n"})
    assert cpu_limit(root) == 3.0


def test_cpu_v1_unlimited(tmp_path):
    root = _tree(tmp_path, {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"})
    assert cpu_limit(root) is None


def test_cpu_no_cgroup_files(tmp_path):
    assert cpu_limit(tmp_path) is None
    assert cpu_limit(tmp_path / "does-not-exist") is None


def test_memory_v2(tmp_path):
    assert memory_limit(_tree(tmp_path / "a", {"memory.max": "max\n"})) is None
    assert memory_limit(_tree(tmp_path / "b", {"memory.max": f"{512 * MIB}\n"})) == 512 * MIB


@pytest.mark.parametrize("sub", ["memory/", ""])
def test_memory_v1(tmp_path, sub):
    root = _tree(tmp_path, {f"{sub}memory.limit_in_bytes": f"{256 * MIB}\n"})
    assert memory_limit(root) == 256 * MIB


def test_memory_v1_unlimited_is_a_huge_number(tmp_path):
    root = _tree(tmp_path, {"memory/memory.limit_in_bytes": "9223372036854771712\n"})
    assert memory_limit(root) is None


def test_memory_no_cgroup_files(tmp_path):
    assert memory_limit(tmp_path) is None


@pytest.mark.parametrize(
    ("cpus", "memory", "expected"),
    [
        (2, None, 5),
        (1, None, 3),
        (0.5, None, 3),  # a fraction of a core counts as one
        (1.5, None, 5),
        (4, None, 9),
        (2, 512 * MIB, 2),
        (4, 4096 * MIB, 9),
        (2, 1024 * MIB, 4),
        (2, 100 * MIB, 1),  # never fewer than one worker
        (2, 0, 1),
    ],
)
def test_web_concurrency(cpus, memory, expected):
    assert web_concurrency(cpus, memory) == expected


@pytest.mark.parametrize(("files", "expected"), [
    ({"pids.max": "512\n"}, 512),
    ({"pids.max": "max\n"}, None),
    ({"pids/pids.max": "256\n"}, 256),
    ({"pids/pids.max": "max"}, None),
    ({}, None),
])
def test_pids_limit(tmp_path, files, expected):
    assert pids_limit(_tree(tmp_path, files)) == expected


@pytest.mark.parametrize(
    ("workers", "pids", "expected"),
    [
        (2, None, 32),
        (2, 512, 32),  # standard-1x: 2 workers of 32 threads use 66 of 512
        (2, 256, 32),  # basic
        (20, 512, 12),  # WEB_CONCURRENCY=20: half the limit shared by the workers
        (9, 2048, 32),
        (300, 512, 1),  # never fewer than one thread
    ],
)
def test_threads_per_worker(workers, pids, expected):
    assert threads_per_worker(workers, pids) == expected


def test_threaded_workers_with_room_for_more_connections_than_16(monkeypatch):
    import importlib

    import buildpacks.python.gunicorn_conf as conf

    monkeypatch.delenv("PYTHON_THREADS", raising=False)
    reloaded = importlib.reload(conf)
    assert reloaded.worker_class == "gthread"
    assert reloaded.threads == threads_per_worker(reloaded.workers, pids_limit()) >= 1
    assert THREADS == 32
    monkeypatch.setenv("PYTHON_THREADS", "4")
    assert importlib.reload(conf).threads == 4
    monkeypatch.setenv("PYTHON_THREADS", "four")
    assert importlib.reload(conf).threads == threads_per_worker(conf.workers, pids_limit())


class _Arbiter:
    """gunicorn's Arbiter as far as the start-up hooks see it: ``num_workers`` calls
    ``nworkers_changed``; SIGTTIN adds one; a fork calls ``pre_fork``."""

    def __init__(self, conf, workers):
        self.conf = conf
        self._num = None
        self.pid = 1
        self.workers = []
        self.num_workers = workers
        conf.when_ready(self)

    @property
    def num_workers(self):
        return self._num

    @num_workers.setter
    def num_workers(self, value):
        old, self._num = self._num, value
        self.conf.nworkers_changed(self, value, old)

    def manage(self):
        while len(self.workers) < self.num_workers:
            worker = type("Worker", (), {"ppid": self.pid})()
            self.conf.pre_fork(self, worker)
            self.workers.append(worker)

    def ttin(self):
        self.num_workers += 1
        self.manage()

    def died(self, worker):
        self.workers.remove(worker)
        self.conf.child_exit(self, worker)
        self.manage()


@pytest.fixture
def arbiter_for(monkeypatch):
    import os
    import signal

    import buildpacks.python.gunicorn_conf as conf

    arbiters: list[_Arbiter] = []

    def kill(pid, sig):
        assert sig == signal.SIGTTIN and pid == arbiters[0].pid
        arbiters[0].ttin()

    monkeypatch.setattr(os, "kill", kill)

    def make(workers):
        arbiters.append(_Arbiter(conf, workers))
        arbiters[0].manage()
        return arbiters[0]

    return make


def test_workers_start_one_after_another(arbiter_for):
    import buildpacks.python.gunicorn_conf as conf

    arbiter = arbiter_for(3)
    assert len(arbiter.workers) == 1  # the first imports the app alone
    conf.post_worker_init(arbiter.workers[0])
    assert len(arbiter.workers) == 2
    conf.post_worker_init(arbiter.workers[1])
    assert len(arbiter.workers) == 3
    conf.post_worker_init(arbiter.workers[2])  # the last asks for none
    assert len(arbiter.workers) == arbiter.num_workers == 3


def test_one_worker_configured_is_one_worker(arbiter_for):
    import buildpacks.python.gunicorn_conf as conf

    arbiter = arbiter_for(1)
    conf.post_worker_init(arbiter.workers[0])
    assert len(arbiter.workers) == 1


def test_a_worker_dying_at_boot_neither_stalls_nor_doubles_the_start(arbiter_for):
    import buildpacks.python.gunicorn_conf as conf

    arbiter = arbiter_for(3)
    first = arbiter.workers[0]
    arbiter.died(first)  # before it loaded the app: its replacement asks instead
    conf.post_worker_init(arbiter.workers[0])
    second = arbiter.workers[1]
    arbiter.died(arbiter.workers[0])  # the second is the one asking now; not its replacement
    assert [w.paas_ask for w in arbiter.workers] == [True, False]
    conf.post_worker_init(arbiter.workers[1])
    conf.post_worker_init(second)
    assert len(arbiter.workers) == arbiter.num_workers == 3
