"""The Kubernetes journeys on several Kubernetes versions, one control plane each: the
API drift check. Prints one row per version: control plane start (build included when
the cache is cold), journeys passed/failed/skipped and their run time.

Each version runs in a cluster directory of its own, one after the other (the build
machines have two cores), and is taken down afterwards. CI runs one version
(scripts/test); run this before moving the default or the chart's kubeVersion.

    python e2e/bench/k8s_versions.py [--versions v1.36.3 v1.34.4] [-- PYTEST ARGS]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = str(ROOT / "scripts" / "cluster")
DEFAULT_VERSIONS = ("v1.36.3", "v1.34.4")


@dataclass
class Row:
    version: str
    up_seconds: float
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    journey_seconds: float = 0.0
    error: str = ""


def _cache_dir() -> Path:
    base = os.environ.get("PAAS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"), "paas")
    return Path(base)


def run_version(version: str, pytest_args: list[str]) -> Row:
    """Start VERSION's control plane, run the journeys against it, take it down."""
    state = _cache_dir() / "clusters" / f"bench-{version}"
    env = {**os.environ, "PAAS_K8S_VERSION": version, "PAAS_CLUSTER_DIR": str(state)}
    t0 = time.monotonic()
    up = subprocess.run([CLUSTER, "up"], env=env, capture_output=True, text=True, check=False)
    row = Row(version, time.monotonic() - t0)
    if up.returncode != 0:
        row.error = (up.stderr.strip().splitlines() or ["scripts/cluster up failed"])[-1]
        return row
    kubeconfig = up.stdout.strip().splitlines()[-1].removeprefix("export KUBECONFIG=")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "junit.xml"
            t1 = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "pytest", str(ROOT / "e2e" / "kubernetes"), "-q",
                 "-p", "no:cacheprovider", f"--junitxml={report}", *pytest_args],
                env={**env, "KUBECONFIG": kubeconfig, "CI": "true"}, cwd=ROOT, check=False,
                stdout=sys.stderr)  # stdout carries only the table
            row.journey_seconds = time.monotonic() - t1
            if report.exists():
                suite = ET.parse(report).getroot().find("testsuite")
                if suite is not None:
                    total = int(suite.get("tests", 0))
                    row.failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
                    row.skipped = int(suite.get("skipped", 0))
                    row.passed = total - row.failed - row.skipped
    finally:
        subprocess.run([CLUSTER, "down"], env=env, capture_output=True, check=False)
    return row


def table(rows: list[Row]) -> str:
    head = f"{'kubernetes':<12} {'up (s)':>8} {'passed':>7} {'failed':>7} {'skipped':>8} " \
           f"{'journeys (s)':>13}  note"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.version:<12} {r.up_seconds:>8.1f} {r.passed:>7} {r.failed:>7} "
                     f"{r.skipped:>8} {r.journey_seconds:>13.1f}  {r.error}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", nargs="+", default=list(DEFAULT_VERSIONS))
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args()
    rows = []
    for version in args.versions:
        rows.append(run_version(version, args.pytest_args))
        print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(rows))
    return 0 if all(r.passed and not r.failed and not r.error for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
