"""Scaling and resizing are bounded and admitted against the host's memory before the
runtime is asked for anything: a refusal starts nothing and stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.limits import AppLimits, ReplicaBounds
from paas.domain.release import Build
from paas.domain.sizes import MIB
from paas.errors import DeployFailed, InvalidInput
from paas.services.autoscale import AutoscaleService
from paas.services.deploy import Deployer
from paas.services.formation import FormationService
from tests.fakes import NoBuilder, RecordingScaling
from tests.services.conftest import deployed

GIB = 1024 * MIB


@dataclass
class Host:
    memory: int = 64 * GIB

    def memory_total(self) -> int:
        return self.memory


@pytest.fixture
def host():
    return Host()


@pytest.fixture
def service(store, runtime, locks, host):
    deployed(store)
    return FormationService(store, runtime, locks, ReplicaBounds(), host)


@pytest.mark.parametrize("arg", ["web=1000", "web=9999999999999999999999", "web=" + "9" * 5000,
                                 "web+11", "worker=11"])
def test_a_scale_above_the_bounds_starts_nothing(service, store, runtime, arg):
    with pytest.raises(InvalidInput) as e:
        service.scale("shop", [arg])
    assert "\n" not in e.value.message and "refused" in e.value.message
    assert runtime.deploys == []
    assert store.get_app("shop").formation == {}


def test_a_scale_within_the_bounds_runs(service, runtime):
    assert service.scale("shop", ["web=10", "worker=10"])["web"] == 10
    with pytest.raises(InvalidInput, match="at most 20 replicas in all"):
        service.scale("shop", ["beat=1"])
    assert runtime.deploys == [{"web": 10, "worker": 10, "beat": 0}]


def test_an_admin_grant_lets_one_app_scale_further(service, store, runtime):
    store.set_limits("shop", AppLimits(max_per_type=30, max_per_app=30))
    assert service.scale("shop", ["web=30"])["web"] == 30


def test_an_admin_grant_stops_at_what_the_apps_network_holds(store, runtime, locks, host):
    # Docker gives each app a /26: a rollout of 30 web replicas (60 at once) would fail
    # at the engine, with the engine's message, after starting some of them.
    deployed(store)
    service = FormationService(store, runtime, locks, ReplicaBounds(network=61), host)
    store.set_limits("shop", AppLimits(max_per_type=100, max_per_app=100))
    with pytest.raises(InvalidInput, match="would run 68 containers on its network"):
        service.scale("shop", ["web=30"])
    assert runtime.deploys == []
    assert service.scale("shop", ["web=26"])["web"] == 26
    autoscale = AutoscaleService(store, RecordingScaling(), ReplicaBounds(network=61))
    with pytest.raises(InvalidInput, match="would run 62 containers on its network"):
        autoscale.set("shop", AutoscalePolicy("web", 1, 27, Metric.CPU, cpu_percent=70))


def test_the_host_memory_admits_what_fits_and_says_so(service, store, runtime, host):
    host.memory = 4 * GIB  # 3.5G usable (a 512M reserve): 7 replicas of 512M
    with pytest.raises(InvalidInput) as e:
        service.scale("shop", ["web=8"])
    assert e.value.message == ("web=8 refused: it needs 4.0G of memory and 3.5G of this "
                               "host's 3.5G is free for shop (each alone, at most: web=7)")
    assert runtime.deploys == []
    service.scale("shop", ["web=7"])


def test_other_apps_and_addons_count_against_the_host(service, store, runtime, host):
    from paas.domain.addons import Addon
    host.memory = 4 * GIB
    store.create_app(App(name="other", created_at=datetime(2024, 1, 1, tzinfo=UTC),
                         formation={"web": 4}))
    rel = store.add_release("other", Build(image="i", commit="c" * 40,
                                           processes={"web": "x"}), {}, "d", "admin")
    from paas.domain.release import ReleaseStatus
    store.set_release_status("other", rel.version, ReleaseStatus.SUCCEEDED)
    store.add_addon(Addon("other", "redis", "p" * 20, datetime(2024, 1, 1, tzinfo=UTC)))
    with pytest.raises(InvalidInput, match=r"1\.2G of this host's 3\.5G is free"):
        service.scale("shop", ["web=3"])
    service.scale("shop", ["web=2"])


def test_the_autoscaler_is_bounded_too(service, runtime):
    with pytest.raises(InvalidInput, match="web=11 refused"):
        service.set_replicas("shop", "web", 11)
    assert runtime.deploys == []


def test_an_autoscale_policy_cannot_reach_past_the_bound(store, service):
    autoscale = AutoscaleService(store, RecordingScaling(), ReplicaBounds())
    with pytest.raises(InvalidInput, match="--max 1000 refused"):
        autoscale.set("shop", AutoscalePolicy("web", 1, 1000, Metric.CPU, cpu_percent=50))


def test_resize_is_a_rolling_restart_of_the_running_types_at_their_new_size(
        service, store, runtime):
    service.scale("shop", ["worker=1"])
    sizes = service.resize("shop", ["web=standard-2x", "beat=performance-m"])
    assert sizes == {"web": "standard-2x", "worker": "standard-1x", "beat": "performance-m"}
    assert runtime.restarts == [["web"]]  # beat runs no replica: nothing to restart
    assert store.get_app("shop").sizes == {"web": "standard-2x", "beat": "performance-m"}
    assert service.ps("shop").sizes["web"] == "standard-2x"


def test_a_resize_that_does_not_fit_the_host_changes_nothing(service, store, runtime, host):
    host.memory = 2 * GIB  # 1.5G usable
    service.scale("shop", ["web=2"])
    with pytest.raises(InvalidInput, match=r"refused: it needs 2\.0G"):
        service.resize("shop", ["web=standard-2x"])
    assert runtime.restarts == [] and store.get_app("shop").sizes == {}


def test_a_resize_of_an_unknown_type_or_size_is_refused(service, runtime):
    with pytest.raises(InvalidInput, match="unknown process type 'nope'"):
        service.resize("shop", ["nope=basic"])
    with pytest.raises(InvalidInput, match="unknown size"):
        service.resize("shop", ["web=xxl"])
    assert runtime.restarts == []


def test_a_procfile_of_too_many_types_never_reaches_the_runtime(store, runtime, locks):
    deploys = Deployer(store, NoBuilder(), runtime, locks, None,
                       ReplicaBounds(process_types=3))
    build = Build(image="i", commit="c" * 40, processes={f"t{i}": "x" for i in range(4)})
    with pytest.raises(DeployFailed, match="4 process types refused"):
        deploys.release("shop", build, {}, "many", "admin", lambda _l: None)
    assert runtime.release_phases == [] and runtime.deploys == []
