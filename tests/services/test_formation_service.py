import pytest

from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.errors import Conflict, DeployFailed, InvalidInput
from paas.services.formation import FormationService
from tests.services.conftest import deployed


@pytest.fixture
def service(store, runtime, locks):
    deployed(store)
    return FormationService(store, runtime, locks)


def test_scale_converges_then_stores(service, store, runtime):
    assert service.scale("shop", ["web=3", "worker=2"]) == {"web": 3, "worker": 2, "beat": 0}
    assert runtime.deploys == [{"web": 3, "worker": 2, "beat": 0}]
    assert store.get_app("shop").formation == {"web": 3, "worker": 2, "beat": 0}
    assert service.scale("shop", ["web-1", "worker+1"])["web"] == 2
    assert store.get_app("shop").formation["worker"] == 3


def test_non_web_types_start_at_zero(service):
    assert service.ps("shop").formation == {"web": 1, "worker": 0, "beat": 0}
    assert service.ps("shop").queues == {"worker": ("mail",)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope=1"], "unknown process type 'nope'"),
        (["web=-1"], "invalid count '-1'"),
        (["web=two"], "invalid count 'two'"),
        (["web-2"], "web cannot be scaled below 0"),
        (["beat=2"], "beat is a singleton"),
        (["web=2", "beat=2"], "beat is a singleton"),
        (["release=1"], "unknown process type 'release'"),
    ],
)
def test_bad_input_changes_nothing(service, store, runtime, args, message):
    with pytest.raises(InvalidInput, match=message):
        service.scale("shop", args)
    assert runtime.deploys == []
    assert store.get_app("shop").formation == {}


def test_a_failed_rollout_leaves_the_formation(service, store, runtime):
    runtime.fail_next = ""
    with pytest.raises(DeployFailed):
        service.scale("shop", ["web=4"])
    assert store.get_app("shop").formation == {}


def test_autoscaled_types_are_owned_by_their_policy(service, store, runtime):
    store.set_policy("shop", AutoscalePolicy("worker", 1, 4, Metric.QUEUE, queue="mail",
                                             per_replica=10))
    with pytest.raises(Conflict, match=r"worker is autoscaled .*autoscale:unset worker"):
        service.scale("shop", ["web=2", "worker=3"])
    assert runtime.deploys == []
    # the autoscaler itself goes through set_replicas
    assert service.set_replicas("shop", "worker", 3)["worker"] == 3


def test_scale_before_the_first_push_is_refused(store, runtime, locks):
    with pytest.raises(InvalidInput, match="no release yet"):
        FormationService(store, runtime, locks).scale("shop", ["web=2"])


def test_scale_waits_for_no_deploy(service, locks):
    with locks.hold("shop"), pytest.raises(Conflict, match="in progress"):
        service.scale("shop", ["web=2"])


def test_restart_one_type_or_every_running_type(service, runtime):
    service.scale("shop", ["worker=1"])
    assert service.restart("shop", "web") == ["web"]
    assert service.restart("shop") == ["web", "worker"]
    with pytest.raises(InvalidInput, match="unknown process type 'nope'"):
        service.restart("shop", "nope")
    assert runtime.restarts == [["web"], ["web", "worker"]]
