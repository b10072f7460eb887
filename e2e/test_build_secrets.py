"""The index credentials, the CA bundle and uv help build an app but never reach its image.

The app image starts from the app's deps image, where its dependencies were installed
with them: a credential in the index URL must show in no layer, no history line and no
config of the image the app runs, nor the CA bundle, nor uv.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from e2e.harness import Platform

HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture(scope="module")
def probe() -> str:
    return f"probe{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def secret_platform(tmp_path_factory: pytest.TempPathFactory, stack_images: None,
                    probe: str) -> Iterator[Platform]:
    base = tmp_path_factory.mktemp("platform-secrets")
    # the host's bundle, marked: text between certificates is ignored by TLS libraries
    ca = base / "ca.pem"
    ca.write_bytes(f"# ca-marker-{probe}\n".encode() + HOST_CA.read_bytes())
    p = Platform(base, server_env={
        "PAAS_PIP_INDEX_URL": f"https://paas:{probe}@pypi.org/simple",
        "PAAS_PIP_CERT": str(ca),
    })
    try:
        p.start()
        p.login()
        yield p
    finally:
        p.cleanup()


def _running_image(p: Platform, app: str) -> docker.models.images.Image:
    client = docker.from_env()
    containers = client.containers.list(
        filters={"label": [f"paas.instance={p.instance}", f"paas.app={app}"]})
    web = [c for c in containers if c.labels.get("paas.process-type") == "web"] or containers
    assert web, f"no container of {app}"
    return client.images.get(web[0].attrs["Image"])


def _leaks(image: docker.models.images.Image, probe: str) -> list[str]:
    """Where the probe, the CA marker or uv show in the image: history, config, layers."""
    found = []
    history = json.dumps(image.history())
    if probe in history:
        found.append("history")
    if probe in json.dumps(image.attrs):
        found.append("config")
    with tempfile.TemporaryFile() as saved:
        for chunk in image.save(named=False):
            saved.write(chunk)
        saved.seek(0)
        with tarfile.open(fileobj=saved) as outer:
            for member in outer.getmembers():
                data = outer.extractfile(member)
                if data is None:
                    continue
                raw = data.read()
                if probe.encode() in raw:
                    found.append(f"file {member.name} of the saved image")
                if member.name.endswith("layer.tar"):
                    with tarfile.open(fileobj=io.BytesIO(raw)) as layer:
                        for name in layer.getnames():
                            if re.search(r"(^|/)bin/uvx?$", name):
                                found.append(f"uv at {name}")
    return found


def test_index_credentials_ca_bundle_and_uv_reach_no_layer_of_the_app_image(
    secret_platform: Platform, probe: str
) -> None:
    p = secret_platform
    repo = p.new_repo("flask-hello", "secrets")
    (repo / "requirements.txt").write_text("flask>=3,<4\nsix\n")
    p.commit_all(repo, "deps")
    assert p.paas("apps:create", "secrets", cwd=repo).code == 0
    first = p.git("push", "paas", "main", cwd=repo)
    assert first.code == 0, first.text
    assert "Dependencies: first install" in first.err, first.err
    assert p.get("secrets")[0] == 200
    assert _leaks(_running_image(p, "secrets"), f"paas:{probe}") == []
    assert _leaks(_running_image(p, "secrets"), f"ca-marker-{probe}") == []

    # one requirement out, one in: the previous environment is synced, not reinstalled
    (repo / "requirements.txt").write_text("flask>=3,<4\nidna\n")
    p.commit_all(repo, "swap a requirement")
    second = p.git("push", "paas", "main", cwd=repo)
    assert second.code == 0, second.text
    assert "Dependencies: dependencies changed: syncing the previous environment" \
        in second.err, second.err
    image = _running_image(p, "secrets")
    client = docker.from_env()
    probe_imports = ("import importlib.util as u; "
                     "print(bool(u.find_spec('six')), bool(u.find_spec('idna')))")
    out = client.containers.run(image.id, ["python", "-c", probe_imports], remove=True,
                                labels={"paas.instance": p.instance})
    assert out.decode().split() == ["False", "True"]
    assert _leaks(image, f"paas:{probe}") == []
    assert _leaks(image, f"ca-marker-{probe}") == []
