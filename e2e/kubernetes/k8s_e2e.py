"""Helpers of the Kubernetes journeys: the real CLI and `git push` against a
``paas server --runtime kubernetes`` that runs out of the cluster, under the chart's RBAC.

What they need, and how CI provides it (``scripts/test``):

- ``KUBECONFIG``: an admin kubeconfig of a cluster with the Gateway API and KEDA CRDs, a
  Gateway ``paas-system/paas-gateway`` with an ``http`` listener and a default
  StorageClass: ``eval "$(scripts/cluster up)"`` gives exactly that (kwok fake node).
  Without it the journeys skip, except under ``CI=true``, where they fail.
- ``PAAS_HELM``: the helm binary (default: ``scripts/cluster path helm``).
- A Docker engine for builds and Debian's ``docker-registry``, which the builds are
  pushed to (``e2e/registry.py``).

The chart is installed with helm into ``paas-system``; the server then runs on this host
with a kubeconfig holding a token of the chart's ServiceAccount (TokenRequest API), so
every call the platform makes is checked against the chart's ClusterRole.

On kwok nothing runs inside pods: kwok turns pods Running and Ready, completes Job pods
with exit code 0, serves a placeholder line as every container's log, and keeps pods
unready whose web command is ``paas-test-never-ready``. The journeys therefore assert on
the objects the API server accepted and on what controllers made of them, not on HTTP
answers or process output; see README "Kubernetes".
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from e2e.harness import Platform

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "paas"
SYSTEM_NS = "paas-system"
RELEASE = "paas"
GATEWAY = "paas-gateway"
GATEWAY_SECTION = "http"
DOMAIN = "apps.paas.test"
#: The line kwok's ClusterLogs serves for every container (scripts/cluster).
KWOK_LOG = "kwok fake node"
#: A web command kwok keeps unready (scripts/k8s/kwok-stages.yaml).
NEVER_READY = "paas-test-never-ready"
#: Seconds the server gives a rollout (short, so the never-ready journey is quick).
ROLLOUT_TIMEOUT = 30

FLASK_APP = """\
import os
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return f"{os.environ.get('GREETING', 'hello')} from {os.environ['PAAS_RELEASE']}\\n"
"""
PROCFILE = """\
web: gunicorn app:app --bind 0.0.0.0:$PORT --workers 2
worker: celery -A tasks worker
release: python -c "print('release phase ran')"
"""

T = TypeVar("T")


def require_cluster() -> str:
    """The admin kubeconfig; skip without one, fail under CI (the journeys never skip)."""
    kubeconfig = os.environ.get("KUBECONFIG")
    if kubeconfig and Path(kubeconfig).is_file():
        return kubeconfig
    why = "KUBECONFIG is not set: run `eval \"$(scripts/cluster up)\"` first"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: the Kubernetes journeys must not skip)", pytrace=False)
    pytest.skip(why)


def helm_binary() -> str:
    found = os.environ.get("PAAS_HELM")
    if found:
        return found
    return subprocess.run([str(ROOT / "scripts" / "cluster"), "path", "helm"], check=True,
                          capture_output=True, text=True).stdout.strip()


def write_app(path: Path, procfile: str = PROCFILE) -> None:
    (path / "app.py").write_text(FLASK_APP)
    (path / "tasks.py").write_text("from celery import Celery\n\napp = Celery('tasks')\n")
    (path / "requirements.txt").write_text("flask\ngunicorn\ncelery\nredis\n")
    (path / "Procfile").write_text(procfile)


def eventually(check: Callable[[], T], timeout: float = 120, every: float = 0.5) -> T:
    """Poll ``check`` until it returns something truthy: controllers converge on their own."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as e:  # keep polling through transient errors
            last = e
        time.sleep(every)
    raise AssertionError(f"did not converge in {timeout}s: {last!r}")


@dataclass
class AppUnderTest:
    name: str
    repo: Path
    namespace: str


def create_app(platform: Platform, procfile: str | None = None) -> AppUnderTest:
    name = f"k{uuid.uuid4().hex[:8]}"
    repo = platform.base / "repos" / name
    repo.mkdir(parents=True)
    if procfile is None:
        write_app(repo)
    else:
        write_app(repo, procfile)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        r = platform.git(*args, cwd=repo)
        assert r.code == 0, r.text
    created = platform.paas("apps:create", name, cwd=repo)
    assert created.code == 0, created.text
    return AppUnderTest(name, repo, f"paas-{name}")
