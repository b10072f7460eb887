import pytest

from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.errors import Conflict, InvalidInput, RuntimeUnavailable
from paas.services.addons import AddonService
from paas.services.autoscale import AutoscaleService
from paas.services.deploy import Deployer
from tests.fakes import NoBuilder, RecordingScaling
from tests.services.conftest import ADMIN, deployed


@pytest.fixture
def addons(store, runtime, provider, locks):
    return AddonService(store, Deployer(store, NoBuilder(), runtime, locks), provider)


def test_create_injects_broker_vars_in_a_new_release(addons, store, runtime, provider):
    deployed(store, config={"GREETING": "hi"})
    addons.create("shop", "redis", ADMIN)
    rel = store.current_release("shop")
    assert rel.version == 2 and rel.description == "Add redis add-on"
    pw = store.list_addons("shop")[0].password
    assert rel.config["GREETING"] == "hi"
    assert rel.config["REDIS_URL"] == rel.config["CELERY_BROKER_URL"]
    assert rel.config["REDIS_URL"].startswith(f"redis://:{pw}@shop-redis:6379/")
    assert len(runtime.deploys) == 1
    assert addons.broker_url("shop") == f"redis://:{pw}@10.0.0.9:6379/0"


def test_create_before_the_first_push_only_records_config(addons, store, runtime):
    addons.create("shop", "redis", ADMIN)
    assert "REDIS_URL" in store.list_releases("shop")[0].config
    assert runtime.deploys == []


def test_bad_kind_duplicate_and_failed_start_change_nothing(addons, store, provider):
    with pytest.raises(InvalidInput, match="unknown add-on 'mysql'"):
        addons.create("shop", "mysql", ADMIN)
    provider.fail = True
    with pytest.raises(RuntimeUnavailable):
        addons.create("shop", "redis", ADMIN)
    assert store.list_addons("shop") == [] and store.list_releases("shop") == []
    provider.fail = False
    addons.create("shop", "redis", ADMIN)
    with pytest.raises(Conflict, match="already has a redis add-on"):
        addons.create("shop", "redis", ADMIN)
    assert len(store.list_releases("shop")) == 1


def test_destroy_removes_vars_container_and_record(addons, store, provider):
    deployed(store)
    addons.create("shop", "redis", ADMIN)
    addons.destroy("shop", "redis", ADMIN)
    rel = store.current_release("shop")
    assert "REDIS_URL" not in rel.config and rel.description == "Remove redis add-on"
    assert provider.running == {} and store.list_addons("shop") == []


def test_queue_policy_needs_the_addon_and_blocks_its_removal(addons, store):
    deployed(store)
    policies = AutoscaleService(store, RecordingScaling())
    queue = AutoscalePolicy("worker", 1, 4, Metric.QUEUE, queue="mail", per_replica=5)
    with pytest.raises(InvalidInput, match=r"needs a Redis broker.*addons:create redis"):
        policies.set("shop", queue)
    addons.create("shop", "redis", ADMIN)
    policies.set("shop", queue)
    with pytest.raises(Conflict, match="autoscale:unset worker"):
        addons.destroy("shop", "redis", ADMIN)
    assert store.list_addons("shop")


def test_policy_checks_against_the_release(store):
    deployed(store, config={"CELERY_BROKER_URL": "redis://broker:6379/0"})
    policies = AutoscaleService(store, RecordingScaling())
    with pytest.raises(InvalidInput, match="worker consumes mail, not 'celery'"):
        policies.set("shop", AutoscalePolicy("worker", 1, 4, Metric.QUEUE, queue="celery",
                                             per_replica=5))
    with pytest.raises(InvalidInput, match="unknown process type 'nope'"):
        policies.set("shop", AutoscalePolicy("nope", 1, 4, Metric.CPU, cpu_percent=50))
    policies.set("shop", AutoscalePolicy("web", 1, 4, Metric.CPU, cpu_percent=50))
    assert [p.process_type for p in policies.list("shop")] == ["web"]
    policies.unset("shop", "web")
    assert policies.list("shop") == []


def test_reconcile_and_destroy_all(addons, store, provider):
    addons.create("shop", "redis", ADMIN)
    provider.running.clear()  # the engine lost the container
    addons.reconcile()
    assert ("shop", "redis") in provider.running
    addons.destroy_all("shop")
    assert provider.running == {} and store.list_addons("shop") == []


def test_broker_url_comes_from_the_kind_record(addons, store, provider, monkeypatch):
    from dataclasses import replace

    from paas.domain import addons as kinds

    addons.create("shop", "redis", ADMIN)
    monkeypatch.setitem(kinds.KINDS, "redis", replace(kinds.REDIS, broker_var=None))
    assert addons.broker_url("shop") is None
    monkeypatch.setitem(kinds.KINDS, "redis", replace(kinds.REDIS, broker_var="REDIS_URL"))
    assert addons.broker_url("shop").endswith("@10.0.0.9:6379/0")
