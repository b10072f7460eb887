"""Certificates made on the spot for the TLS tests: a root, an intermediate, leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(k: ec.EllipticCurvePrivateKey) -> bytes:
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def cert(subject, k, issuer, issuer_key, *, ca=False, hosts=(), start=NOW - timedelta(days=1),
         end=NOW + timedelta(days=90), ocsp=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer.subject if issuer is not None else name)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if hosts:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]),
                            critical=False)
    if ocsp:
        b = b.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]),
            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


class CA:
    def __init__(self, name: str = "Test") -> None:
        self.root_key = key()
        self.root = cert(f"{name} Root", self.root_key, None, self.root_key, ca=True,
                         start=NOW - timedelta(days=3650), end=NOW + timedelta(days=3650))
        self.inter_key = key()
        self.inter = cert(f"{name} Intermediate", self.inter_key, self.root, self.root_key,
                          ca=True, start=NOW - timedelta(days=365),
                          end=NOW + timedelta(days=3650))

    def leaf(self, *hosts, **kw):
        k = key()
        return cert(hosts[0] if hosts else "nohost", k, self.inter, self.inter_key,
                    hosts=hosts, **kw), k
