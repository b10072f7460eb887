from datetime import UTC, datetime

import pytest

from paas.domain.addons import Addon, addon_config, redis_url, validate_kind, without_addon
from paas.errors import InvalidInput

ADDON = Addon(app="shop", kind="redis", password="p/w+1",
              created_at=datetime(2024, 1, 1, tzinfo=UTC))


def test_redis_url_quotes_the_password():
    assert redis_url("h", "p/w+1") == "redis://:p%2Fw%2B1@h:6379/0"


def test_config_sets_redis_and_celery_broker_to_the_same_url():
    config = addon_config(ADDON, "paas-x-shop-redis")
    assert config == {
        "REDIS_URL": "redis://:p%2Fw%2B1@paas-x-shop-redis:6379/0",
        "CELERY_BROKER_URL": "redis://:p%2Fw%2B1@paas-x-shop-redis:6379/0",
    }


def test_removal_keeps_vars_the_user_changed_since():
    injected = addon_config(ADDON, "h")
    config = {**injected, "CELERY_BROKER_URL": "redis://elsewhere:6379/1", "GREETING": "hi"}
    assert without_addon(config, injected) == {
        "CELERY_BROKER_URL": "redis://elsewhere:6379/1", "GREETING": "hi"}


def test_unknown_kind_is_refused():
    assert validate_kind("redis") == "redis"
    with pytest.raises(InvalidInput, match="unknown add-on 'mysql'"):
        validate_kind("mysql")


def test_a_kind_is_one_record_the_registry_holds():
    from paas.domain.addons import KINDS, POSTGRES, REDIS

    assert KINDS == {"redis": REDIS, "postgres": POSTGRES}
    assert REDIS.image == "redis" and REDIS.port == 6379 and REDIS.data_dir == "/data"
    assert REDIS.broker_var == "CELERY_BROKER_URL"
    assert REDIS.backup is None and REDIS.restore is None
    (conf,) = REDIS.files
    secret = "abcDEF123_-xyz-0123456789"
    assert conf.mode == 0o600 and f'requirepass "{secret}"' in conf.render(secret)
    # the secret reaches the container by file and the check by its own environment only
    assert secret not in " ".join(REDIS.command or ()) + " ".join(REDIS.ready)
    assert REDIS.environment(secret) == {}
    assert REDIS.client_environment(secret) == {"REDISCLI_AUTH": secret}
