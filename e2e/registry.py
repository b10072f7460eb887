"""A real registry for the suite: Debian's ``docker-registry`` (distribution) on loopback.

The engine treats 127.0.0.0/8 registries as insecure by default, so plain HTTP works
without touching the engine's configuration.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from e2e.harness import free_port


@dataclass(frozen=True)
class Registry:
    host: str

    def get(self, path: str) -> dict[str, object]:
        with urllib.request.urlopen(f"http://{self.host}{path}", timeout=10) as resp:
            data: dict[str, object] = json.loads(resp.read())
            return data

    def tags(self, repository: str) -> list[str]:
        tags = self.get(f"/v2/{repository}/tags/list").get("tags") or []
        assert isinstance(tags, list)
        return sorted(str(t) for t in tags)


@contextmanager
def running_registry(workdir: Path) -> Iterator[Registry]:
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RuntimeError("docker-registry is not installed (scripts/lib/common.sh installs it)")
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(workdir / "data")},
                    "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "config.yml"
    path.write_text(yaml.safe_dump(config))
    log = (workdir / "registry.log").open("ab")
    proc = subprocess.Popen([binary, "serve", str(path)], stdout=log, stderr=subprocess.STDOUT)
    registry = Registry(f"127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                tail = (workdir / "registry.log").read_text()[-2000:]
                raise RuntimeError(f"docker-registry exited: {tail}")
            try:
                registry.get("/v2/")
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield registry
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
