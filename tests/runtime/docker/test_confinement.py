"""Every container that runs a tenant's code is confined to its size and hardened; the
engine maps that once, to the SDK's host-config keywords."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from paas.domain.addons import Addon
from paas.domain.limits import AppLimits
from paas.domain.sizes import DEFAULT, MIB, SIZES
from paas.runtime.docker import confine
from paas.runtime.docker.addons import DockerAddons
from paas.runtime.docker.engine import Confinement, DockerEngine, Spec, host_options
from paas.settings import Settings
from tests.runtime.docker.fakes import FakeEngine
from tests.runtime.docker.test_runtime import APP, Platform, release

HARDENED = {
    "mem_limit": 512 * MIB, "memswap_limit": 512 * MIB, "cpu_shares": 1024,
    "pids_limit": 512, "security_opt": ["no-new-privileges:true"], "cap_drop": ["ALL"],
    "read_only": True, "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={128 * MIB}"},
    "log_config": {"type": "json-file",
                   "config": {"max-size": str(10 * MIB), "max-file": "3"}},
}


def test_the_default_size_maps_to_limits_without_swap_and_a_hardened_container():
    assert host_options(confine.for_app(DEFAULT, AppLimits())) == HARDENED


def test_only_basic_is_capped_in_cpu():
    options = host_options(confine.for_app(SIZES["basic"], AppLimits()))
    assert (options["cpu_period"], options["cpu_quota"]) == (100_000, 100_000)
    assert "cpu_quota" not in host_options(confine.for_app(SIZES["performance-l"],
                                                           AppLimits()))


def test_an_admin_granted_writable_root_keeps_every_other_limit():
    options = host_options(confine.for_app(DEFAULT, AppLimits(writable_root=True)))
    assert "read_only" not in options and "tmpfs" not in options
    assert options["cap_drop"] == ["ALL"] and options["pids_limit"] == 512


def test_the_platforms_own_containers_are_not_confined_by_default():
    assert host_options(Confinement()) == {}


def test_every_log_a_tenant_can_fill_is_rotated():
    """A replica, an add-on or the router (every app's access lines) printing in a loop
    must not fill the host's disk through the engine's unbounded default log."""
    for confinement in (confine.for_app(DEFAULT, AppLimits(writable_root=True)),
                        confine.for_addon(), confine.for_router(),
                        confine.for_router(on_host=True)):
        log = host_options(confinement)["log_config"]
        assert log["type"] == "json-file"
        assert int(log["config"]["max-size"]) * int(log["config"]["max-file"]) <= 256 * MIB


def test_a_router_on_the_host_network_keeps_only_nginxs_capabilities():
    """It shares the host's interfaces: no NET_RAW to sniff them, no NET_ADMIN."""
    options = host_options(confine.for_router(on_host=True))
    assert options["cap_drop"] == ["ALL"]
    assert sorted(options["cap_add"]) == [
        "CHOWN", "DAC_OVERRIDE", "NET_BIND_SERVICE", "SETGID", "SETUID"]
    assert options["security_opt"] == ["no-new-privileges:true"]
    assert "mem_limit" not in options and "cpu_quota" not in options


def test_create_hands_the_mapping_to_the_sdk():
    seen: dict[str, Any] = {}

    def create(image: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return SimpleNamespace(id="c1", name="n", labels={}, status="created", attrs={})

    engine = DockerEngine(SimpleNamespace(containers=SimpleNamespace(create=create)))
    engine.create(Spec(image="img", name="n", labels={}, network="net",
                       confinement=confine.for_app(DEFAULT, AppLimits())))
    assert {k: seen[k] for k in HARDENED} == HARDENED


def test_one_off_runs_are_created_with_the_same_mapping():
    seen: dict[str, Any] = {}

    def host_config(**kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        return kwargs

    api = SimpleNamespace(create_host_config=host_config,
                          create_networking_config=lambda _n: {},
                          create_endpoint_config=lambda: {},
                          create_container=lambda *_a, **_k: {"Id": "x"})
    DockerEngine(SimpleNamespace(api=api)).create_attached(
        "img", ["sh"], name="n", hostname="h", environment={}, labels={}, network="net",
        tty=False, confinement=confine.for_app(DEFAULT, AppLimits()))
    assert {k: seen[k] for k in HARDENED} == HARDENED and seen["init"] is True


@pytest.fixture
def p(tmp_path: Path) -> Platform:
    return Platform(tmp_path)


def test_every_replica_and_the_release_phase_run_at_their_types_size(p: Platform):
    app = replace(APP, sizes={"web": "standard-2x", "worker": "basic"})
    p.runtime.run_release_phase(app, release(1), p.log.append)
    p.runtime.deploy(app, release(1), {"web": 2, "worker": 1}, p.log.append)
    specs = list(p.engine.specs.values())
    by_type = {s.labels["paas.process-type"]: s.confinement for s in specs}
    assert by_type["web"] == confine.for_app(SIZES["standard-2x"], AppLimits())
    assert by_type["worker"] == confine.for_app(SIZES["basic"], AppLimits())
    # the release phase (like a one-off run) gets the web size
    assert by_type["release"] == by_type["web"]
    assert all(s.confinement.read_only and s.confinement.drop_capabilities for s in specs)


def test_addon_containers_are_limited_too(tmp_path: Path):
    engine = FakeEngine()
    provider = DockerAddons(None, Settings(home=tmp_path), ready_timeout=0.05, engine=engine,
                            sleep=lambda _s: None)
    provider.ensure(Addon("shop", "redis", "abcDEF123_-xyz-0123456789",
                          datetime(2024, 1, 1, tzinfo=UTC)))
    (spec,) = engine.specs.values()
    options = host_options(spec.confinement)
    assert options["mem_limit"] == options["memswap_limit"] == 256 * MIB
    assert options["pids_limit"] == 256 and options["cap_drop"] == ["ALL"]
    assert options["security_opt"] == ["no-new-privileges:true"]
    # its config file is copied in before start: a read-only root would refuse it
    assert "read_only" not in options
    assert "cap_add" not in options


def test_postgres_keeps_only_what_its_entrypoint_needs_to_drop_to_its_user(tmp_path: Path):
    """initdb's data directory is handed to uid 999 by a root entrypoint (as in the
    official image): without CHOWN and SETUID/SETGID the container restarts forever."""
    engine = FakeEngine()
    provider = DockerAddons(None, Settings(home=tmp_path), ready_timeout=0.05, engine=engine,
                            sleep=lambda _s: None)
    provider.ensure(Addon("shop", "postgres", "abcDEF123_-xyz-0123456789",
                          datetime(2024, 1, 1, tzinfo=UTC)))
    (spec,) = engine.specs.values()
    options = host_options(spec.confinement)
    assert options["cap_drop"] == ["ALL"]
    assert sorted(options["cap_add"]) == ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID",
                                          "SETUID"]
    assert options["security_opt"] == ["no-new-privileges:true"]


def test_an_app_that_writes_sqlite_keeps_a_writable_root_and_nothing_else_changes():
    from paas.runtime.docker import confine
    locked = confine.for_app(DEFAULT, AppLimits())
    writing = confine.for_app(DEFAULT, AppLimits(), writes_app_dir=True)
    assert locked.read_only and not writing.read_only
    assert replace(writing, read_only=True) == locked
