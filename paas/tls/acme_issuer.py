"""Certificates from an ACME CA (Let's Encrypt by default) with HTTP-01 through the router.

The protocol is certbot's own ``acme`` library: JWS signing, nonces, polling and
finalization are not ours to get wrong. The router answers challenges from files (see
paas.tls.files), so a challenge costs no reload. The account key is created once,
0600 in the platform home; each certificate gets a fresh P-256 key.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import requests
from acme import challenges, client, crypto_util, errors, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.jwk import JWKRSA

from paas.errors import CertificateNotIssued
from paas.settings import AcmeSettings

#: Seconds an order may take from answering the challenges to the issued certificate.
ORDER_DEADLINE = 120


class Challenges(Protocol):
    def put_challenge(self, token: str, validation: str) -> None: ...
    def drop_challenge(self, token: str) -> None: ...


def _load_or_create_key(path: Path) -> JWKRSA:
    """The account key; created with O_EXCL at 0600, so it is never readable by others."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another thread made it first
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise CertificateNotIssued(f"the ACME account key {path} is not an RSA key")
    return JWKRSA(key=loaded)


def _reason(e: BaseException) -> str:
    """The CA's own words: the failed challenge's error, or the problem document."""
    if isinstance(e, errors.ValidationError):
        parts = []
        for authzr in e.failed_authzrs:
            for chall in authzr.body.challenges:
                if chall.error is not None:
                    err = chall.error
                    parts.append(f"{authzr.body.identifier.value}: "
                                 f"{err.detail or err.title or err.typ}")
        return "; ".join(parts) or "the CA refused the authorization"
    if isinstance(e, messages.Error):
        return f"{e.detail or e.title or e.typ} ({e.typ.rsplit(':', 1)[-1]})"
    if isinstance(e, errors.TimeoutError):
        return "the CA did not finish validating in time"
    if isinstance(e, requests.RequestException):
        return f"cannot reach the ACME server: {type(e).__name__}: {e}"
    return f"{type(e).__name__}: {e}"


class AcmeIssuer:
    """Issues one certificate at a time (an ACME client's nonces are not thread-safe)."""

    def __init__(self, settings: AcmeSettings, account_key: Path, answers: Challenges) -> None:
        self.settings = settings
        self.account_key = account_key
        self.answers = answers
        self._client: client.ClientV2 | None = None
        self._lock = threading.Lock()

    def _connect(self) -> client.ClientV2:
        key = _load_or_create_key(self.account_key)
        # requests takes a CA bundle path where acme forwards ``verify_ssl``.
        verify: bool | str = str(self.settings.ca_bundle) if self.settings.ca_bundle else True
        net = client.ClientNetwork(key, user_agent="paas",
                                   verify_ssl=verify)  # type: ignore[arg-type]
        directory = client.ClientV2.get_directory(self.settings.directory, net)
        acme = client.ClientV2(directory, net)
        registration = messages.NewRegistration.from_data(
            email=self.settings.email, terms_of_service_agreed=True)
        try:
            acme.new_account(registration)
        except errors.ConflictError as e:  # this key has an account: use it
            net.account = messages.RegistrationResource(uri=e.location,
                                                        body=messages.Registration())
        return acme

    def issue(self, hosts: Sequence[str]) -> tuple[str, bytes]:
        """A certificate for ``hosts``: (chain PEM, key PEM); CertificateNotIssued with the
        CA's reason otherwise."""
        with self._lock:
            tokens: list[str] = []
            try:
                acme = self._client = self._client or self._connect()
                key = ec.generate_private_key(ec.SECP256R1())
                key_pem = key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
                order = acme.new_order(crypto_util.make_csr(key_pem, list(hosts)))
                for authz in order.authorizations:
                    if authz.body.status == messages.STATUS_VALID:
                        continue
                    challb = next((c for c in authz.body.challenges
                                   if isinstance(c.chall, challenges.HTTP01)), None)
                    if challb is None:
                        raise CertificateNotIssued(
                            f"the CA offers no http-01 challenge for "
                            f"{authz.body.identifier.value}")
                    response, validation = challb.response_and_validation(acme.net.key)
                    token = challb.chall.encode("token")
                    self.answers.put_challenge(token, validation)
                    tokens.append(token)
                    acme.answer_challenge(challb, response)
                deadline = datetime.datetime.now() + datetime.timedelta(seconds=ORDER_DEADLINE)
                done = acme.poll_and_finalize(order, deadline)
                return done.fullchain_pem, key_pem
            except CertificateNotIssued:
                raise
            except (errors.Error, messages.Error, requests.RequestException, OSError,
                    ValueError) as e:
                self._client = None  # reconnect (fresh nonces, directory) next time
                raise CertificateNotIssued(_reason(e)) from e
            finally:
                for token in tokens:
                    self.answers.drop_challenge(token)
