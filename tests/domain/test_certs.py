from datetime import timedelta

import pytest

from paas.domain.certs import (
    AUTO,
    AppTls,
    check_upload,
    covered,
    describe,
    host_matches,
    needs_renewal,
    trusted_subjects,
)
from paas.errors import InvalidInput
from tests.certfactory import CA, NOW, key, key_pem, pem

DOMAINS = ("shop.example.com",)


@pytest.mark.parametrize(("pattern", "host", "match"), [
    ("shop.example.com", "shop.example.com", True),
    ("shop.example.com", "SHOP.example.com.", True),
    ("*.example.com", "shop.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.shop.example.com", False),
    ("*.example.com", ".example.com", False),
    ("shop.example.com", "www.shop.example.com", False),
])
def test_wildcards_cover_one_label(pattern, host, match):
    assert host_matches(pattern, host) is match


def test_covered_keeps_order():
    assert covered(["*.a.io", "b.io"], ["x.a.io", "c.io", "b.io"]) == ("x.a.io", "b.io")


def _check(chain, k, domains=DOMAINS, trusted=frozenset(), now=NOW):
    return check_upload(chain, key_pem(k), domains, trusted, now)


def test_a_complete_bundle_is_described():
    ca = CA()
    leaf, k = ca.leaf("shop.example.com", "*.example.com")
    got = _check(pem(leaf, ca.inter, ca.root), k, ("shop.example.com", "www.example.com"))
    assert got.hosts == ("shop.example.com", "*.example.com")
    assert got.issuer == "Test Intermediate"
    assert got.not_after == NOW + timedelta(days=90)
    assert got.ocsp_url is None and got.source == "uploaded"
    assert got.chain_pem.count("BEGIN CERTIFICATE") == 3
    assert got.days_left(NOW) == 90


def test_chain_may_end_below_a_trusted_ca():
    ca = CA()
    leaf, k = ca.leaf("shop.example.com")
    _check(pem(leaf, ca.inter), k, trusted=trusted_subjects(pem(ca.root)))


@pytest.mark.parametrize(("case", "message"), [
    ("wrong key", "the private key does not match the certificate"),
    ("incomplete", "chain is incomplete: add the certificate of Test Root, "
                   "the issuer of Test Intermediate"),
    ("broken", "chain is broken: shop.example.com is not signed by the next certificate "
               "(Other Intermediate); order it leaf first, then each issuer"),
    ("expired", "certificate expired on 2026-05-31 UTC"),
    ("not yet", "certificate is not valid yet: valid from 2026-06-02 00:00 UTC"),
    ("other host", "certificate does not cover shop.example.com "
                   "(it names other.example.com)"),
    ("wildcard apex", "certificate does not cover shop.example.com (it names *.shop.example.com)"),
])
def test_each_problem_is_one_line_naming_it(case, message):
    ca, other = CA(), CA("Other")
    leaf, k = ca.leaf("shop.example.com")
    chain = pem(leaf, ca.inter, ca.root)
    if case == "wrong key":
        k = key()
    elif case == "incomplete":
        chain = pem(leaf, ca.inter)
    elif case == "broken":
        chain = pem(leaf, other.inter, other.root)
    elif case == "expired":
        leaf, k = ca.leaf("shop.example.com", start=NOW - timedelta(days=90),
                          end=NOW - timedelta(days=1))
        chain = pem(leaf, ca.inter, ca.root)
    elif case == "not yet":
        leaf, k = ca.leaf("shop.example.com", start=NOW + timedelta(days=1))
        chain = pem(leaf, ca.inter, ca.root)
    elif case == "other host":
        leaf, k = ca.leaf("other.example.com")
        chain = pem(leaf, ca.inter, ca.root)
    elif case == "wildcard apex":
        leaf, k = ca.leaf("*.shop.example.com")
        chain = pem(leaf, ca.inter, ca.root)
    with pytest.raises(InvalidInput) as e:
        _check(chain, k)
    assert e.value.message == message
    assert "\n" not in e.value.message


def test_garbage_and_encrypted_keys_are_named():
    ca = CA()
    leaf, _ = ca.leaf("shop.example.com")
    with pytest.raises(InvalidInput, match="holds no PEM certificate"):
        check_upload(b"nope", b"", DOMAINS, frozenset(), NOW)
    with pytest.raises(InvalidInput, match="holds no PEM private key"):
        check_upload(pem(leaf, ca.inter, ca.root), b"nope", DOMAINS, frozenset(), NOW)
    with pytest.raises(InvalidInput, match="larger than 64 KiB"):
        check_upload(b"x" * 70000, b"", DOMAINS, frozenset(), NOW)


def test_an_app_without_custom_domain_gets_no_upload():
    ca = CA()
    leaf, k = ca.leaf("shop.example.com")
    with pytest.raises(InvalidInput, match="no custom domain"):
        _check(pem(leaf, ca.inter, ca.root), k, domains=())


def test_ocsp_responder_is_read():
    ca = CA()
    leaf, _ = ca.leaf("shop.example.com", ocsp="http://ocsp.test/")
    assert describe(pem(leaf)).ocsp_url == "http://ocsp.test/"


def test_renewal_at_thirty_days_or_a_third_of_a_short_lifetime():
    ca = CA()
    long, _ = ca.leaf("a.io", start=NOW, end=NOW + timedelta(days=90))
    assert describe(pem(long)).renew_at() == NOW + timedelta(days=60)
    short, _ = ca.leaf("a.io", start=NOW, end=NOW + timedelta(seconds=60))
    assert describe(pem(short)).renew_at() == NOW + timedelta(seconds=40)


def test_needs_renewal():
    ca = CA()
    leaf, _ = ca.leaf("a.io", start=NOW, end=NOW + timedelta(days=90))
    cert = describe(pem(leaf), source=AUTO)
    auto = AppTls("shop", cert=cert, auto=True)
    assert not needs_renewal(auto, ("a.io",), NOW + timedelta(days=59))
    assert needs_renewal(auto, ("a.io",), NOW + timedelta(days=60))
    assert needs_renewal(auto, ("a.io", "b.io"), NOW)  # a new domain
    assert needs_renewal(AppTls("shop", auto=True), ("a.io",), NOW)
    assert not needs_renewal(AppTls("shop", cert=cert), ("a.io",), NOW + timedelta(days=89))
    assert not needs_renewal(AppTls("shop", auto=True), (), NOW)
