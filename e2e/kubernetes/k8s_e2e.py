"""Helpers of the Kubernetes journeys.

Kubernetes journeys: the real CLI against a platform installed with charts/paas.

They run when ``KUBECONFIG`` points at a cluster with ingress-nginx where the chart is
installed (``helm install paas charts/paas -n paas-system``), and are skipped otherwise.

- ``PAAS_E2E_NAMESPACE``: namespace of the platform (default ``paas-system``).
- ``PAAS_E2E_RELEASE``: Helm release name (default ``paas``).
- ``PAAS_URL`` / ``PAAS_TOKEN``: the API the CLI talks to and an admin token. The URL
  defaults to the server Ingress's host.
- ``PAAS_E2E_INGRESS``: ``http://ADDRESS`` of ingress-nginx, where app hosts are sent
  with a ``Host`` header (default: the server Ingress's load-balancer address).

Each journey creates its own app and destroys it, namespace included. They drive the
CLI with the Heroku-style verbs ``apps:create --remote``, ``ps:scale``, ``ps``,
``config:set``, ``autoscale:set``/``autoscale:unset``, ``releases:rollback`` and
``apps:destroy --confirm``; if the CLI spells them otherwise, change them here and in
``test_journeys.py``, nowhere else.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

NEEDS_CLUSTER = pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"), reason="KUBECONFIG is not set: no cluster to run on"
)

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
worker: python -c "import time; [time.sleep(60) for _ in iter(int, 1)]"
release: python -c "print('release phase ran')"
"""


@dataclass
class Platform:
    namespace: str
    url: str
    ingress: str
    domain: str

    def cli(
        self, *args: str, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PAAS_URL": self.url}
        result = subprocess.run(
            ["paas", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"paas {' '.join(args)} -> {result.returncode}\n{result.stdout}{result.stderr}"
            )
        return result

    def get(self, app: str) -> tuple[int, str]:
        import requests

        r = requests.get(self.ingress + "/", headers={"Host": f"{app}.{self.domain}"}, timeout=10)
        return r.status_code, r.text


def write_app(path: Path, greeting_code: str = FLASK_APP) -> None:
    (path / "app.py").write_text(greeting_code)
    (path / "requirements.txt").write_text("flask\ngunicorn\n")
    (path / "Procfile").write_text(PROCFILE)


def git(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, timeout=900)


def commit(path: Path, message: str) -> None:
    git(path, "add", "-A")
    who = ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com"]
    r = git(path, *who, "commit", "-qm", message)
    assert r.returncode == 0, r.stderr


@dataclass
class AppUnderTest:
    name: str
    source: Path
    namespace: str

    def push(self) -> subprocess.CompletedProcess[str]:
        return git(self.source, "push", "paas", "HEAD:main")


def eventually(check, timeout: float = 300, every: float = 2):
    """Poll ``check`` until it returns something truthy (the cluster converges on its own)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as e:  # keep polling through transient errors
            last = e
        time.sleep(every)
    raise AssertionError(f"did not converge in {timeout}s: {last!r}")
