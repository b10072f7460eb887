"""TLS certificates of an app: what an uploaded bundle must prove, and when to renew.

Pure rules over PEM bytes (parsed with ``cryptography``, no I/O): the platform refuses a
certificate nginx would serve wrongly (a key of another certificate, an incomplete
chain, a name the app does not answer for, an expired certificate) with one line that
names the problem, before anything is written or reloaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from paas.errors import InvalidInput

UPLOADED = "uploaded"
AUTO = "auto"
#: Bounds on what a user may upload (PEM text and certificates in the chain).
MAX_PEM_BYTES = 64 * 1024
MAX_CHAIN = 8
#: Renew when less than this much of the lifetime is left: 30 days of Let's Encrypt's 90,
#: and a third of any shorter lifetime (six-day certificates, a test CA's minutes).
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class Certificate:
    """A served certificate, public parts only: the key never enters the store."""

    #: DNS names of the subjectAltName extension (wildcards as ``*.example.com``).
    hosts: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime
    #: SHA-256 of the leaf's DER, hex: names the files the router reads.
    fingerprint: str
    #: The OCSP responder of the leaf, when it names one (nginx staples only then).
    ocsp_url: str | None
    #: Leaf first, then intermediates, PEM: what nginx sends.
    chain_pem: str
    source: str = UPLOADED

    def days_left(self, now: datetime) -> int:
        return (self.not_after - now).days

    def renew_at(self) -> datetime:
        lifetime = self.not_after - self.not_before
        return self.not_after - min(RENEW_BEFORE, lifetime / 3)


@dataclass(frozen=True)
class AppTls:
    """An app's TLS state: its certificate, and the switches that shape its HTTPS."""

    app: str
    cert: Certificate | None = None
    #: Certificates come from the ACME CA (and renew) instead of uploads.
    auto: bool = False
    #: Plain HTTP to a host the certificate covers answers with a 308 to https.
    redirect: bool = True
    #: Strict-Transport-Security on HTTPS answers (opt-in: it cannot be taken back).
    hsts: bool = False
    #: The last failed ACME attempt, with the CA's reason; cleared by a success.
    last_error: str | None = None
    last_attempt_at: datetime | None = None

    def with_cert(self, cert: Certificate | None) -> AppTls:
        return replace(self, cert=cert)


def file_stem(app: str, fingerprint: str) -> str:
    """How the files of one certificate are named: by app and certificate, so a new one
    is written beside the served one and a refused reload can fall back to it."""
    return f"{app}-{fingerprint[:16]}"


def host_matches(pattern: str, host: str) -> bool:
    """RFC 6125 matching: ``*.example.com`` covers one label (``a.example.com``), not the
    bare ``example.com`` nor ``a.b.example.com``."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def covered(patterns: Iterable[str], hosts: Iterable[str]) -> tuple[str, ...]:
    """The ``hosts`` some pattern covers, in their order."""
    pats = tuple(patterns)
    return tuple(h for h in hosts if any(host_matches(p, h) for p in pats))


def needs_renewal(tls: AppTls, domains: Sequence[str], now: datetime) -> bool:
    """An auto app wants a (new) certificate when it has none, when renewal time came, or
    when a custom domain was added that its certificate does not cover."""
    if not tls.auto or not domains:
        return False
    cert = tls.cert
    if cert is None or cert.source != AUTO:
        return True
    return now >= cert.renew_at() or covered(cert.hosts, domains) != tuple(domains)


def _load_chain(pem: bytes) -> list[x509.Certificate]:
    if len(pem) > MAX_PEM_BYTES:
        raise InvalidInput(f"certificate file is larger than {MAX_PEM_BYTES // 1024} KiB")
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as e:
        raise InvalidInput("certificate file holds no PEM certificate") from e
    if len(chain) > MAX_CHAIN:
        raise InvalidInput(f"certificate chain has {len(chain)} certificates "
                           f"(at most {MAX_CHAIN})")
    return chain


def _load_key(pem: bytes) -> bytes:
    if len(pem) > MAX_PEM_BYTES:
        raise InvalidInput(f"key file is larger than {MAX_PEM_BYTES // 1024} KiB")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError as e:
        raise InvalidInput("private key is encrypted: upload it without a passphrase") from e
    except (ValueError, UnsupportedAlgorithm) as e:
        raise InvalidInput("key file holds no PEM private key") from e
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    sig_hash = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and sig_hash is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       sig_hash)
        elif isinstance(key, ec.EllipticCurvePublicKey) and sig_hash is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(sig_hash))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(n.lower() for n in san.value.get_values_for_type(x509.DNSName))


def _ocsp_url(cert: x509.Certificate) -> str | None:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except x509.ExtensionNotFound:
        return None
    for desc in aia.value:
        if (desc.access_method == AuthorityInformationAccessOID.OCSP
                and isinstance(desc.access_location, x509.UniformResourceIdentifier)):
            return str(desc.access_location.value)
    return None


def _name(name: x509.Name) -> str:
    for attr in name:
        if attr.oid == x509.NameOID.COMMON_NAME:
            return str(attr.value)
    return name.rfc4514_string() or "(empty name)"


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def describe(chain_pem: bytes, source: str = UPLOADED) -> Certificate:
    """The public facts of a PEM chain (leaf first), unchecked."""
    chain = _load_chain(chain_pem)
    leaf = chain[0]
    return Certificate(
        hosts=_dns_names(leaf),
        issuer=_name(leaf.issuer),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint=hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest(),
        ocsp_url=_ocsp_url(leaf),
        chain_pem="".join(_pem(c) for c in chain),
        source=source,
    )


def check_upload(cert_pem: bytes, key_pem: bytes, domains: Sequence[str],
                 trusted_issuers: frozenset[x509.Name], now: datetime | None = None
                 ) -> Certificate:
    """Validate an uploaded bundle for an app with custom ``domains``; its description.

    "Complete chain": each certificate is signed by the next, and the last one is a
    self-signed root or is issued by a CA of ``trusted_issuers`` (the subjects of the
    host's CA bundle), so a client needs nothing nginx does not send.
    """
    now = now or datetime.now(UTC)
    chain = _load_chain(cert_pem)
    leaf = chain[0]
    if _load_key(key_pem) != leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise InvalidInput("the private key does not match the certificate")
    for cert, issuer in pairwise(chain):
        if not _signed_by(cert, issuer):
            raise InvalidInput(f"chain is broken: {_name(cert.subject)} is not signed by "
                               f"the next certificate ({_name(issuer.subject)}); "
                               "order it leaf first, then each issuer")
    last = chain[-1]
    if not (_signed_by(last, last) or last.issuer in trusted_issuers):
        raise InvalidInput(f"chain is incomplete: add the certificate of "
                           f"{_name(last.issuer)}, the issuer of {_name(last.subject)}")
    if now < leaf.not_valid_before_utc:
        raise InvalidInput(f"certificate is not valid yet: valid from "
                           f"{leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    if now >= leaf.not_valid_after_utc:
        raise InvalidInput(f"certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d} UTC")
    for cert in chain[1:]:
        if now >= cert.not_valid_after_utc:
            raise InvalidInput(f"chain certificate {_name(cert.subject)} expired on "
                               f"{cert.not_valid_after_utc:%Y-%m-%d} UTC")
    names = _dns_names(leaf)
    if not domains:
        raise InvalidInput("the app has no custom domain: add one first "
                           "(paas domains:add HOST)")
    missing = [d for d in domains if not covered(names, [d])]
    if missing:
        raise InvalidInput(f"certificate does not cover {', '.join(missing)} "
                           f"(it names {', '.join(names) or 'no DNS name'})")
    return describe(cert_pem)


def trusted_subjects(bundle_pem: bytes) -> frozenset[x509.Name]:
    """Subjects of the CAs in a PEM bundle (the host's ca-certificates)."""
    try:
        return frozenset(c.subject for c in x509.load_pem_x509_certificates(bundle_pem))
    except ValueError:
        return frozenset()
