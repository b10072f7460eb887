from pathlib import Path

from paas.settings import BuildSettings, Settings, pip_config_value


def test_pip_config_value_later_files_and_install_section_win(tmp_path: Path) -> None:
    a = tmp_path / "a.conf"
    a.write_text("[global]\ncert = /a.pem\nindex-url = https://a/simple\n")
    b = tmp_path / "b.conf"
    b.write_text("[install]\ncert = /b.pem\n")
    assert pip_config_value("cert", [a, b]) == "/b.pem"
    assert pip_config_value("index-url", [a, b]) == "https://a/simple"
    assert pip_config_value("missing", [a, b]) is None


def test_build_settings_prefer_env_and_skip_file_indexes(tmp_path: Path, monkeypatch) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\ncert = {ca}\nindex-url = file:///opt/pypi/simple\n")
    for var in ("PAAS_PIP_CERT", "PIP_CERT", "PAAS_PIP_INDEX_URL", "PIP_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("paas.settings.pip_config_files", lambda: [conf])
    b = BuildSettings()
    assert b.ca_bundle == ca
    assert b.pip_index_url is None  # a host file:// index is useless inside a container

    monkeypatch.setenv("PAAS_PIP_INDEX_URL", "https://mirror.example/simple")
    monkeypatch.setenv("PIP_CERT", str(tmp_path / "absent.pem"))
    b = BuildSettings()
    assert b.pip_index_url == "https://mirror.example/simple"
    assert b.ca_bundle is None  # a configured bundle that does not exist is not used


def test_instance_differs_per_home(tmp_path: Path) -> None:
    one = Settings(home=tmp_path / "one").instance
    assert one == Settings(home=tmp_path / "one").instance
    assert one != Settings(home=tmp_path / "two").instance
    assert len(one) == 8
