import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from paas.domain.app import App
from paas.errors import CertificateNotIssued, Conflict, DeployFailed, InvalidInput, NotFound
from paas.services.certs import CertService, TlsPorts, router_sites
from paas.tls.files import CertFiles
from tests.certfactory import CA, NOW, key_pem, pem
from tests.services.conftest import BUILD, deployed

HOST = "shop.example.com"


class Issuer:
    """A CA that signs whatever it is asked for, or refuses with a reason."""

    def __init__(self, ca: CA, lifetime=timedelta(days=90)) -> None:
        self.ca = ca
        self.lifetime = lifetime
        self.asked: list[tuple[str, ...]] = []
        self.refuse: str | None = None
        self.now = NOW

    def issue(self, hosts):
        self.asked.append(tuple(hosts))
        if self.refuse:
            raise CertificateNotIssued(self.refuse)
        leaf, k = self.ca.leaf(*hosts, start=self.now, end=self.now + self.lifetime)
        return pem(leaf, self.ca.inter).decode(), key_pem(k)


class RefusingRuntime:
    def __init__(self, inner) -> None:
        self.inner = inner

    def update_routes(self, app):
        raise DeployFailed("router config rejected by nginx: boom")


@pytest.fixture
def ca():
    return CA()


@pytest.fixture
def files(tmp_path):
    return CertFiles(tmp_path / "certs", tmp_path / "acme")


@pytest.fixture
def issuer(ca):
    return Issuer(ca)


@pytest.fixture
def clock():
    return {"now": NOW}


@pytest.fixture
def service(store, runtime, locks, files, issuer, ca, clock):
    store.set_domains("shop", (HOST,))
    deployed(store, BUILD)
    runtime.serving["shop"] = store.current_release("shop")
    ports = TlsPorts(files=files, issuer=issuer, trusted=lambda: frozenset([ca.root.subject]),
                     interval=0.01)
    return CertService(store, runtime, locks, ports, clock=lambda: clock["now"])


def _upload(service, ca, *hosts):
    leaf, k = ca.leaf(*(hosts or (HOST,)))
    return service.add("shop", pem(leaf, ca.inter), key_pem(k))


def test_upload_stores_public_parts_writes_a_private_key_and_reloads(service, ca, files,
                                                                      runtime, store):
    runtime.hosts.clear()
    tls = _upload(service, ca)
    assert tls.cert is not None and tls.cert.hosts == (HOST,)
    assert runtime.hosts["shop"]  # the router was asked to reload
    key, = files.cert_dir.glob("shop-*.key")
    assert key.stat().st_mode & 0o777 == 0o600
    assert files.cert_dir.stat().st_mode & 0o777 == 0o700
    assert "PRIVATE KEY" not in repr(store.get_tls("shop"))
    site = router_sites(store, files)["shop"]
    assert site.cert_file == f"/etc/paas-router/certs/{key.stem}.crt"
    assert site.patterns == (HOST,) and site.redirect and not site.hsts


def test_a_replaced_certificate_leaves_no_old_key(service, ca, files):
    _upload(service, ca)
    _upload(service, ca)
    assert len(list(files.cert_dir.glob("*.key"))) == 1


def test_refused_reload_restores_the_previous_state(service, ca, store):
    first = _upload(service, ca)
    service.runtime = RefusingRuntime(service.runtime)
    with pytest.raises(DeployFailed):
        _upload(service, ca)
    assert store.get_tls("shop").cert == first.cert


def test_remove_and_switches(service, ca, store, files):
    with pytest.raises(NotFound, match="shop has no certificate"):
        service.remove("shop")
    _upload(service, ca)
    assert service.set_switches("shop", hsts=True, redirect=False).hsts
    assert not store.get_tls("shop").redirect
    assert service.remove("shop").cert is None
    assert not list(files.cert_dir.iterdir())


def test_auto_issues_from_the_ca_and_uploads_then_conflict(service, issuer, store):
    tls = service.enable_auto("shop")
    assert issuer.asked == [(HOST,)]
    assert tls.auto and tls.cert is not None and tls.cert.source == "auto"
    assert tls.last_error is None
    assert router_sites(store, service.ports.files)["shop"].acme
    with pytest.raises(Conflict, match="certs:auto:disable"):
        _upload(service, CA())


def test_auto_needs_a_domain_and_an_https_listener(service, store):
    store.set_domains("shop", ())
    with pytest.raises(InvalidInput, match="no custom domain"):
        service.enable_auto("shop")
    service.ports = replace(service.ports, issuer=None)
    with pytest.raises(InvalidInput, match="--router-https-port"):
        service.enable_auto("shop")


def test_failure_is_recorded_with_the_reason_and_retried(service, issuer, store, clock):
    issuer.refuse = "shop.example.com: Connection refused (connection)"
    tls = service.enable_auto("shop")
    assert tls.cert is None
    assert tls.last_error == "shop.example.com: Connection refused (connection)"
    assert tls.last_attempt_at == NOW
    issuer.refuse = None
    service.renew_due()
    assert store.get_tls("shop").cert is not None
    assert store.get_tls("shop").last_error is None


def test_renewal_comes_when_a_third_of_the_lifetime_is_left(service, issuer, store, clock):
    first = service.enable_auto("shop").cert
    service.renew_due()
    assert len(issuer.asked) == 1
    clock["now"] = issuer.now = NOW + timedelta(days=60)
    service.renew_due()
    assert len(issuer.asked) == 2
    assert store.get_tls("shop").cert.fingerprint != first.fingerprint
    store.set_domains("shop", (HOST, "www.example.com"))
    service.renew_due()
    assert issuer.asked[-1] == (HOST, "www.example.com")


def test_disable_keeps_the_certificate_and_stops_renewing(service, issuer, store, clock):
    service.enable_auto("shop")
    tls = service.disable_auto("shop")
    assert not tls.auto and tls.cert is not None
    clock["now"] = NOW + timedelta(days=80)
    service.renew_due()
    assert len(issuer.asked) == 1


def test_the_loop_runs_until_stopped(service, issuer):
    service.enable_auto("shop")
    issuer.asked.clear()
    service.store.put_tls(replace(service.store.get_tls("shop"), cert=None))
    stop = threading.Event()
    loop = threading.Thread(target=service.run, args=(stop,))
    loop.start()
    for _ in range(200):
        if issuer.asked:
            break
        threading.Event().wait(0.01)
    stop.set()
    loop.join(5)
    assert issuer.asked and not loop.is_alive()


def test_missing_key_file_serves_plain_http(service, ca, files, store):
    _upload(service, ca)
    for f in files.cert_dir.iterdir():
        f.unlink()
    assert router_sites(store, files)["shop"].cert_file is None


def test_store_keeps_tls_per_app_and_drops_it_with_the_app(store):
    from datetime import UTC, datetime
    with pytest.raises(NotFound):
        store.get_tls("nope")
    store.create_app(App(name="blog", created_at=datetime(2024, 1, 1, tzinfo=UTC)))
    tls = store.get_tls("blog")
    store.put_tls(replace(tls, hsts=True, last_error="x"))
    assert store.get_tls("blog").hsts and store.get_tls("blog").last_error == "x"
    store.delete_app("blog")
    assert [t.app for t in store.list_tls()] == []
