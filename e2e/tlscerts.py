"""Certificates made on the spot for the HTTPS journeys and the HTTPS bench: a private
root and intermediate, as a commercial CA sells them, and leaves for any host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, hosts: tuple[str, ...] = (),
          days: tuple[int, int] = (-1, 90)) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + timedelta(days=days[0]))
               .not_valid_after(now + timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class PrivateCA:
    """A root and an intermediate, as a commercial CA sells them."""

    def __init__(self) -> None:
        self.root_key = _key()
        self.root = _cert("e2e Root CA", self.root_key, None, self.root_key, ca=True)
        self.inter_key = _key()
        self.inter = _cert("e2e Intermediate CA", self.inter_key, self.root, self.root_key,
                           ca=True)

    def leaf(self, *hosts: str, days: tuple[int, int] = (-1, 90)
             ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = _key()
        return _cert(hosts[0], key, self.inter, self.inter_key, ca=False, hosts=hosts,
                     days=days), key
