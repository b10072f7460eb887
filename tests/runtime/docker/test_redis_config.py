import pytest

from paas.errors import InvalidInput
from paas.runtime.docker.addons import redis_config


def test_redis_config_holds_the_password_and_persistence() -> None:
    text = redis_config("abcDEF123_-xyz-0123456789")
    assert 'requirepass "abcDEF123_-xyz-0123456789"\n' in text
    assert "appendonly yes\n" in text and "dir /data\n" in text
    assert text.startswith("bind 0.0.0.0\nport 6379\n")


@pytest.mark.parametrize("bad", ["short", 'quote"breaks', "new\nline-injected-1234", ""])
def test_passwords_that_could_break_the_file_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        redis_config(bad)
