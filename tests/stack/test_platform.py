from __future__ import annotations

from pathlib import Path

from paas.stack.platform import dependencies, render, source_root


def _stages(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    second = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[:second], lines[second:]


def test_dependencies_install_before_the_wheel_so_code_changes_reuse_them() -> None:
    deps, _ = _stages(render("paas-1-py3-none-any.whl", False, "base", ["click>=8", "docker"]))
    runs = [line for line in deps if line.startswith(("RUN", "COPY"))]
    assert '"click>=8", "docker"]' in runs[1]
    assert runs[2].startswith('COPY ["paas-1-py3-none-any.whl"')
    assert runs[3].endswith('"--no-deps", "/tmp/build/paas-1-py3-none-any.whl"]')


def test_ca_bundle_stays_in_the_deps_stage() -> None:
    deps, final = _stages(render("w.whl", True, "base", ["click"]))
    assert any("ca.pem" in line for line in deps)
    assert not any("ca.pem" in line for line in final)
    assert "--cert" not in "\n".join(final)


def test_final_stage_runs_unprivileged_with_git_and_the_venv_only() -> None:
    _, final = _stages(render("w.whl", False, "base", []))
    assert "USER 10001:10001" in final
    assert "COPY --from=deps /opt/paas /opt/paas" in final
    assert any("install -y -q --no-install-recommends git" in line for line in final)
    assert final[-1].startswith('CMD ["paas", "server", "--runtime", "kubernetes"')


def test_dependencies_come_from_this_checkouts_pyproject() -> None:
    root = source_root()
    assert (root / "pyproject.toml").is_file() and isinstance(root, Path)
    assert any(d.startswith("kubernetes") for d in dependencies(root))
