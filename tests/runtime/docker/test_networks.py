"""Tenants are hostile: every container of an app is on that app's network and no other,
the router joins each routed app's network, and link-local metadata is blocked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from paas.domain.addons import Addon
from paas.domain.app import App
from paas.domain.health import Answer
from paas.domain.release import Build, Release
from paas.errors import RuntimeUnavailable
from paas.runtime.docker import firewall
from paas.runtime.docker import labels as L
from paas.runtime.docker.addons import DockerAddons
from paas.runtime.docker.engine import Engine, Spec
from paas.runtime.docker.networks import bridge_name
from paas.runtime.docker.router import Router
from paas.runtime.docker.runtime import DockerRuntime
from paas.settings import ROUTER_NETWORK_BRIDGE, ROUTER_NETWORK_HOST, Settings
from tests.runtime.docker.fakes import FakeEngine, FakeRouter, NoStatic

BUILD = Build(image="img", commit="c" * 40, processes={
    "web": "gunicorn app:app", "worker": "celery -A app worker"},
    release_command="python manage.py migrate")
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
SHOP, BLOG = App(name="shop", created_at=WHEN), App(name="blog", created_at=WHEN)


def release(app: App, version: int = 1) -> Release:
    return Release(app=app.name, version=version, build=BUILD, config={})


class Host:
    """Runtime and add-ons of one platform over one in-memory engine."""

    def __init__(self, home: Path, **settings: object) -> None:
        self.engine = FakeEngine()
        self.router = FakeRouter(self.engine)
        port: Engine = self.engine
        self.settings = Settings(home=home, health_timeout=0.2, **settings)  # type: ignore[arg-type]
        self.runtime = DockerRuntime(
            None, self.settings, engine=port, router=self.router, static=NoStatic(),
            probe=lambda ip, _port, _proto, _check: Answer(
                status=200 if self.engine.inspect(ip) is not None else None),
            crash_watch=0)
        self.addons = DockerAddons(None, self.settings, ready_timeout=0.05, engine=port,
                                   sleep=lambda _s: None)

    def net(self, app: App) -> str:
        return L.app_network_name(self.settings.instance, app.name)

    def of(self, app: App) -> list[str]:
        return sorted(c.id for c in self.engine.all.values()
                      if c.labels.get(L.APP) == app.name)


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


def test_each_app_runs_on_its_own_network_only(host: Host) -> None:
    for app in (SHOP, BLOG):
        host.runtime.run_release_phase(app, release(app), lambda _l: None)
        host.runtime.deploy(app, release(app), {"web": 2, "worker": 1}, lambda _l: None)
        host.addons.ensure(Addon(app.name, "redis", "s" * 24, WHEN))
    for app in (SHOP, BLOG):
        mine = host.of(app)
        assert len(mine) == 4  # two web, one worker, the redis add-on
        assert host.engine.on(host.net(app)) == mine
        for cid in mine:
            assert host.engine.all[cid].networks == (host.net(app),)
    # the release phase ran on the app's network too
    phases = [s for s in host.engine.specs.values() if s.labels.get(L.PROCESS) == "release"]
    assert sorted(s.network for s in phases) == sorted([host.net(SHOP), host.net(BLOG)])
    # no app container is on the platform network, where the router publishes its port
    assert host.engine.on(L.network_name(host.settings.instance)) == []


def test_app_networks_are_labelled_and_get_a_firewalled_bridge(host: Host) -> None:
    host.runtime.deploy(SHOP, release(SHOP), {"web": 1}, lambda _l: None)
    labels, bridge = host.engine.networks[host.net(SHOP)]
    assert labels == {L.INSTANCE: host.settings.instance, L.APP: "shop"}
    assert bridge == bridge_name(host.settings.instance, "shop")
    assert bridge is not None and bridge.startswith("pa-") and len(bridge) <= 15
    assert bridge != bridge_name(host.settings.instance, "blog")
    # the metadata rule was installed by a host helper, matching every app bridge
    assert len(host.engine.helpers) == 1
    argv = host.engine.helpers[0]
    assert argv[:2] == ("/bin/sh", "-c") and argv[4] == "ensure"
    assert argv[5:] == ("-i", "pa-+", "-d", "169.254.0.0/16", "-j", "DROP")


def test_the_router_is_routed_to_replicas_on_their_app_networks(host: Host) -> None:
    host.runtime.deploy(SHOP, release(SHOP), {"web": 2}, lambda _l: None)
    host.runtime.deploy(BLOG, release(BLOG), {"web": 1}, lambda _l: None)
    assert host.router.networks == sorted([host.net(SHOP), host.net(BLOG)])
    route = [c[1] for c in host.engine.calls if c[0] == "route"][-1]
    # an upstream is the replica's address on its own app's network
    assert route == {"shop": host.engine.running("web")[:2],
                     "blog": host.engine.running("web")[2:]}
    # an app without web (or destroyed) is no network of the router any more
    host.runtime.deploy(BLOG, release(BLOG), {"web": 0, "worker": 1}, lambda _l: None)
    assert host.router.networks == [host.net(SHOP)]


def test_one_off_runs_on_the_app_network(host: Host, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    handed: dict[str, object] = {}
    monkeypatch.setattr("paas.runtime.docker.oneoff.start",
                        lambda _engine, **kw: handed.update(kw))
    host.runtime.streams = object()  # type: ignore[assignment]
    host.runtime.start_oneoff(SHOP, release(SHOP), ["bash"], False, 24, 80)
    assert handed["network"] == host.net(SHOP)
    assert host.net(SHOP) in host.engine.networks


def test_destroy_removes_the_app_network_and_only_it(host: Host) -> None:
    host.runtime.deploy(SHOP, release(SHOP), {"web": 1}, lambda _l: None)
    host.runtime.deploy(BLOG, release(BLOG), {"web": 1}, lambda _l: None)
    host.addons.ensure(Addon("shop", "redis", "s" * 24, WHEN))
    host.runtime.destroy("shop")
    assert host.net(SHOP) not in host.engine.networks
    assert host.net(BLOG) in host.engine.networks
    assert host.router.networks == [host.net(BLOG)]
    assert host.of(SHOP) == []


def test_an_add_on_alone_creates_its_app_network(host: Host) -> None:
    host.addons.ensure(Addon("shop", "redis", "s" * 24, WHEN))
    (cid,) = host.engine.all
    assert host.engine.all[cid].networks == (host.net(SHOP),)
    assert host.addons.address("shop", "redis") == cid


def test_no_metadata_block_means_no_apps(host: Host) -> None:
    host.engine.helper_result = (firewall._NO_IPTABLES, "no iptables in this image")
    with pytest.raises(RuntimeUnavailable, match="allow-metadata"):
        host.runtime.deploy(SHOP, release(SHOP), {"web": 1}, lambda _l: None)
    assert host.engine.running("web") == []


def test_allow_metadata_skips_the_rule_and_uses_unmatched_bridges(tmp_path: Path) -> None:
    host = Host(tmp_path, allow_metadata=True)
    host.runtime.deploy(SHOP, release(SHOP), {"web": 1}, lambda _l: None)
    _, bridge = host.engine.networks[host.net(SHOP)]
    assert bridge is not None and bridge.startswith("pm-")
    assert host.engine.helpers == []


def test_bridged_router_joins_app_networks_and_leaves_the_stale_ones(tmp_path: Path
                                                                    ) -> None:
    engine = FakeEngine()
    settings = Settings(home=tmp_path, router_network=ROUTER_NETWORK_BRIDGE)
    platform_net = L.network_name(settings.instance)
    for name in (platform_net, "app-a", "app-b", "app-c"):
        engine.ensure_network(name, {})
    router = Router(engine, settings, platform_net)
    container = engine.create(router_spec(platform_net))
    engine.connect(container.id, "app-c")
    stale = router.join(container, ["app-a", "app-b"])
    assert engine.all[container.id].networks == (platform_net, "app-c", "app-a", "app-b")
    assert stale == ["app-c"]  # left only after nginx reloaded without it
    router.leave(container, stale)
    assert engine.all[container.id].networks == (platform_net, "app-a", "app-b")
    # the control endpoint answers the host's address on the platform network only
    assert router._control_sources() == ("10.0.0.1",)


def test_router_on_the_host_network_joins_no_app_network(tmp_path: Path) -> None:
    """On the host's network nginx reaches every app bridge as their gateway: joining
    one would only put the router where the app's containers can reach it."""
    engine = FakeEngine()
    settings = Settings(home=tmp_path, router_network=ROUTER_NETWORK_HOST,
                        router_host="192.0.2.7")
    platform_net = L.network_name(settings.instance)
    for name in (platform_net, "app-a", "host"):
        engine.ensure_network(name, {})
    router = Router(engine, settings, platform_net)
    container = engine.create(router_spec("host"))
    assert router.join(container, ["app-a"]) == []
    assert engine.all[container.id].networks == ("host",)
    # only sources on the host itself read the control endpoint
    assert router._control_sources() == ("127.0.0.1", "192.0.2.7")
    assert router._listen() == "192.0.2.7:8080"


def router_spec(network: str) -> Spec:
    return Spec(image="nginx", name="router", labels={}, network=network)


def test_replicas_and_add_ons_of_the_flat_network_move_to_the_app_network(host: Host
                                                                          ) -> None:
    """An upgrade: what ran on the one platform network before is replaced (replicas)
    or moved (add-ons, keeping their data), never left where other apps reach it."""
    flat = L.network_name(host.settings.instance)
    host.engine.ensure_network(flat, {})
    labels = {L.INSTANCE: host.settings.instance, L.APP: "shop"}
    old_web = host.engine.create(Spec(
        image="img", name="old-web", network=flat,
        labels={**labels, L.ROLE: L.ROLE_APP, L.PROCESS: "web", L.RELEASE: "1"}))
    host.engine.start(old_web.id)
    old_redis = host.engine.create(Spec(
        image="redis", name=L.addon_name(host.settings.instance, "shop", "redis"),
        network=flat, labels={**labels, L.ROLE: L.ROLE_ADDON, L.ADDON: "redis"}))
    host.engine.start(old_redis.id)

    host.runtime.deploy(SHOP, release(SHOP), {"web": 1}, lambda _l: None)
    (web,) = host.engine.running("web")
    assert web != old_web.id and old_web.id not in host.engine.all
    assert host.engine.all[web].networks == (host.net(SHOP),)

    host.addons.ensure(Addon("shop", "redis", "s" * 24, WHEN))
    assert host.engine.all[old_redis.id].networks == (host.net(SHOP),)
    assert host.engine.on(flat) == []


def test_app_subnets_come_from_the_pool_and_never_overlap() -> None:
    from paas.runtime.docker.networks import free_subnets
    got = free_subnets("10.213.0.0/24", ["10.213.0.0/26", "172.17.0.0/16",
                                         "10.213.0.128/25"])
    assert list(got) == ["10.213.0.64/26"]
    # a used network larger than a slot hides every slot inside it
    assert list(free_subnets("10.213.0.0/24", ["10.0.0.0/8"])) == []
    # 1024 apps fit in the default /16
    assert sum(1 for _ in free_subnets("10.213.0.0/16", [])) == 1024


def test_each_app_network_gets_its_own_subnet(tmp_path: Path) -> None:
    from paas.runtime.docker.networks import AppNetworks
    from paas.settings import Settings
    engine = FakeEngine()
    nets = AppNetworks(engine, Settings(home=tmp_path, allow_metadata=True))
    nets.ensure("shop")
    nets.ensure("blog")
    assert sorted(engine.subnets.values()) == ["10.213.0.0/26", "10.213.0.64/26"]
