import json
import netrc
import stat

import pytest

from paas.credentials import Credentials, config_dir, load, netrc_with, save, write_netrc
from paas.errors import PaasError


def test_empty_file_gets_one_entry():
    assert netrc_with("", "paas.example.com", "paas", "tok1") == (
        "machine paas.example.com login paas password tok1\n"
    )


def test_replaces_one_line_entry_and_keeps_others():
    old = (
        "machine github.com login me password ghp_x\n"
        "machine paas.example.com login paas password OLD\n"
        "machine other.org login u password p\n"
    )
    assert netrc_with(old, "paas.example.com", "paas", "NEW") == (
        "machine github.com login me password ghp_x\n"
        "machine other.org login u password p\n"
        "machine paas.example.com login paas password NEW\n"
    )


def test_replaces_multi_line_entry():
    old = (
        "machine paas.example.com\n"
        "    login paas\n"
        "    password OLD\n"
        "\n"
        "machine github.com\n"
        "  login me\n"
        "  password ghp_x\n"
    )
    new = netrc_with(old, "paas.example.com", "paas", "NEW")
    assert new == (
        "machine github.com login me password ghp_x\n"
        "machine paas.example.com login paas password NEW\n"
    )
    assert "OLD" not in new


def test_only_exact_host_is_replaced():
    old = "machine paas.example.com.evil login x password y\n"
    new = netrc_with(old, "paas.example.com", "paas", "t")
    assert new.splitlines() == [
        "machine paas.example.com.evil login x password y",
        "machine paas.example.com login paas password t",
    ]


def test_new_entry_goes_before_default():
    # curl stops at ``default``: an entry after it is never used.
    old = "machine a.org login u password p\ndefault login anon password guest\n"
    new = netrc_with(old, "paas.example.com", "paas", "t")
    assert new.splitlines() == [
        "machine a.org login u password p",
        "machine paas.example.com login paas password t",
        "default login anon password guest",
    ]


def test_result_parses_with_stdlib_netrc(tmp_path):
    old = "machine a.org\n login u\n password p\ndefault login anon password guest\n"
    path = tmp_path / "netrc"
    path.write_text(netrc_with(old, "paas.example.com", "paas", "tok"))
    path.chmod(0o600)
    parsed = netrc.netrc(str(path))
    assert parsed.authenticators("paas.example.com") == ("paas", "", "tok")
    assert parsed.authenticators("a.org") == ("u", "", "p")


@pytest.mark.parametrize(
    ("host", "login", "password"),
    [("paas example", "paas", "t"), ("h", "pa as", "t"), ("h", "paas", "t\nmachine x"),
     ("h", "paas", "t\tx"), ("", "paas", "t"), ("h", "", "t"), ("h", "paas", "")],
)
def test_refuses_whitespace_and_empty_values(host, login, password):
    with pytest.raises(PaasError, match="cannot store"):
        netrc_with("machine keep login a password b\n", host, login, password)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("PAAS_URL", raising=False)
    monkeypatch.delenv("PAAS_TOKEN", raising=False)
    return tmp_path


def test_config_dir_default_and_xdg(home, monkeypatch):
    assert config_dir() == home / ".config" / "paas"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    assert config_dir() == home / "xdg" / "paas"


def test_load_not_logged_in(home):
    with pytest.raises(PaasError, match="not logged in"):
        load()


def test_save_then_load_and_netrc(home):
    save(Credentials("http://paas.example.com:7070", "tok123"))
    stored = home / ".config" / "paas" / "credentials.json"
    assert json.loads(stored.read_text()) == {
        "url": "http://paas.example.com:7070",
        "token": "tok123",
    }
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    netrc_path = home / ".netrc"
    assert netrc_path.read_text() == "machine paas.example.com login paas password tok123\n"
    assert stat.S_IMODE(netrc_path.stat().st_mode) == 0o600
    assert load() == Credentials("http://paas.example.com:7070", "tok123")


def test_env_overrides_stored(home, monkeypatch):
    save(Credentials("http://stored.example.com", "stored-token"))
    monkeypatch.setenv("PAAS_URL", "http://env.example.com:9000/")
    assert load() == Credentials("http://env.example.com:9000", "stored-token")
    monkeypatch.setenv("PAAS_TOKEN", "env-token")
    assert load() == Credentials("http://env.example.com:9000", "env-token")


def test_env_alone_is_enough(home, monkeypatch):
    monkeypatch.setenv("PAAS_URL", "http://e.example.com")
    monkeypatch.setenv("PAAS_TOKEN", "t")
    assert load() == Credentials("http://e.example.com", "t")


def test_xdg_config_home_honoured(home, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    save(Credentials("http://x.example.com", "t"))
    assert (home / "xdg" / "paas" / "credentials.json").exists()
    assert not (home / ".config").exists()
    assert load().url == "http://x.example.com"


def test_corrupt_credentials(home):
    path = home / ".config" / "paas" / "credentials.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(PaasError, match="is corrupt"):
        load()


def test_write_netrc_tightens_existing_file_mode(tmp_path):
    path = tmp_path / ".netrc"
    path.write_text("machine a.org login u password p\n")
    path.chmod(0o644)
    write_netrc(path, "paas.example.com", "tok")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().splitlines() == [
        "machine a.org login u password p",
        "machine paas.example.com login paas password tok",
    ]
