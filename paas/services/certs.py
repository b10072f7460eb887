"""HTTPS for an app: uploaded certificates, automatic ones from an ACME CA, and renewal.

Every change (a certificate added, renewed or removed, a switch flipped) is a router
reload through ``Runtime.update_routes``, with the same drain guarantees as a deploy. A
change nginx refuses leaves the previous state in the store and the previous files in
place. Keys go to files only (0600) and never come back out of this service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509

from paas.domain.certs import (
    AUTO,
    AppTls,
    Certificate,
    check_upload,
    covered,
    describe,
    file_stem,
    needs_renewal,
)
from paas.errors import CertificateNotIssued, Conflict, InvalidInput, NotFound, PaasError
from paas.router.tls import CERT_ROOT, TlsSite
from paas.runtime.port import Runtime
from paas.services.deploy import AppLocks
from paas.store.port import Store

log = logging.getLogger("paas.certs")


class CertFileStore(Protocol):
    """Where the router reads certificate and key files (paas.tls.files)."""

    def write(self, app: str, fingerprint: str, chain_pem: str, key_pem: bytes) -> str: ...
    def has(self, stem: str) -> bool: ...
    def prune(self, keep: Sequence[str]) -> None: ...


class Issuer(Protocol):
    """An ACME CA: (chain PEM, key PEM) for the hosts, or CertificateNotIssued."""

    def issue(self, hosts: Sequence[str]) -> tuple[str, bytes]: ...


def stem(app: str, cert: Certificate) -> str:
    return file_stem(app, cert.fingerprint)


def router_sites(store: Store, files: CertFileStore) -> dict[str, TlsSite]:
    """What the router serves over TLS, read from the store at every reload."""
    sites: dict[str, TlsSite] = {}
    for tls in store.list_tls():
        cert = tls.cert
        name = stem(tls.app, cert) if cert is not None else None
        if name is not None and not files.has(name):
            name = None  # the key is gone (a moved home): serve plain HTTP, not fail
        sites[tls.app] = TlsSite(
            app=tls.app,
            patterns=cert.hosts if cert is not None else (),
            cert_file=f"{CERT_ROOT}/{name}.crt" if name else None,
            key_file=f"{CERT_ROOT}/{name}.key" if name else None,
            redirect=tls.redirect,
            hsts=tls.hsts,
            stapling=bool(cert is not None and cert.ocsp_url),
            acme=tls.auto,
        )
    return sites


@dataclass(frozen=True)
class TlsPorts:
    """What HTTPS needs on the docker runtime; built by the composition root."""

    files: CertFileStore
    #: None when the server has no HTTPS listener (automatic certificates need one).
    issuer: Issuer | None
    #: Subjects of the host's trusted CAs (an uploaded chain may end at one of them).
    trusted: Callable[[], frozenset[x509.Name]]
    #: Seconds between renewal checks (and retries of a failed issuance).
    interval: float = 3600.0


class CertService:
    def __init__(self, store: Store, runtime: Runtime, locks: AppLocks, ports: TlsPorts,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.runtime = runtime
        self.locks = locks
        self.ports = ports
        self.clock = clock
        #: One issuance at a time: the loop and an enable may meet, and the ACME client
        #: is one account's session.
        self._issuing = threading.Lock()

    # reading ------------------------------------------------------------------------
    def view(self, app: str) -> AppTls:
        return self.store.get_tls(app)

    # uploads ------------------------------------------------------------------------
    def add(self, app: str, cert_pem: bytes, key_pem: bytes) -> AppTls:
        with self.locks.hold(app):
            current = self.store.get_app(app)
            before = self.store.get_tls(app)
            if before.auto:
                raise Conflict(f"{app} has automatic certificates: run "
                               "`paas certs:auto:disable` before uploading one")
            cert = check_upload(cert_pem, key_pem, current.domains, self.ports.trusted(),
                                self.clock())
            self.ports.files.write(app, cert.fingerprint, cert.chain_pem, key_pem)
            return self._apply(before, before.with_cert(cert))

    def remove(self, app: str) -> AppTls:
        with self.locks.hold(app):
            before = self.store.get_tls(app)
            if before.cert is None:
                raise NotFound(f"{app} has no certificate")
            return self._apply(before, replace(before, cert=None, auto=False,
                                               last_error=None))

    def set_switches(self, app: str, *, redirect: bool | None = None,
                     hsts: bool | None = None) -> AppTls:
        with self.locks.hold(app):
            before = self.store.get_tls(app)
            after = replace(before,
                            redirect=before.redirect if redirect is None else redirect,
                            hsts=before.hsts if hsts is None else hsts)
            return self._apply(before, after)

    # automatic certificates ---------------------------------------------------------
    def enable_auto(self, app: str) -> AppTls:
        """Turn ACME on and try to issue now; a failure is recorded (and retried by the
        loop), so the answer carries ``last_error`` rather than raising."""
        if self.ports.issuer is None:
            raise InvalidInput("automatic certificates need the router's HTTPS listener: "
                               "start the server with --router-https-port")
        with self.locks.hold(app):
            if not self.store.get_app(app).domains:
                raise InvalidInput(f"{app} has no custom domain: add one first "
                                   "(paas domains:add HOST)")
            before = self.store.get_tls(app)
            # The challenge location must be routed before the CA comes asking.
            self._apply(before, replace(before, auto=True, last_error=None))
        return self.renew(app)

    def disable_auto(self, app: str) -> AppTls:
        """Stop renewing; the current certificate keeps serving until removed."""
        with self.locks.hold(app):
            before = self.store.get_tls(app)
            return self._apply(before, replace(before, auto=False, last_error=None))

    def renew(self, app: str, force: bool = False) -> AppTls:
        """Issue a certificate for the app's custom domains when due (or ``force``)."""
        with self._issuing:
            tls = self.store.get_tls(app)
            domains = self.store.get_app(app).domains
            if not tls.auto or not (force or needs_renewal(tls, domains, self.clock())):
                return tls
            attempt = self.clock()
            try:
                issuer = self.ports.issuer
                if issuer is None:
                    raise CertificateNotIssued("no ACME issuer configured")
                chain_pem, key_pem = issuer.issue(domains)
                cert = describe(chain_pem.encode(), source=AUTO)
                if covered(cert.hosts, domains) != tuple(domains):
                    raise CertificateNotIssued("the CA issued a certificate for "
                                               f"{', '.join(cert.hosts)}, not all of "
                                               f"{', '.join(domains)}")
                self.ports.files.write(app, cert.fingerprint, cert.chain_pem, key_pem)
            except CertificateNotIssued as e:
                log.warning("certificate for %s not issued: %s", app, e.message)
                with self.locks.hold(app):
                    now = self.store.get_tls(app)
                    return self.store.put_tls(replace(now, last_error=e.message,
                                                      last_attempt_at=attempt))
            with self.locks.hold(app):
                before = self.store.get_tls(app)
                if not before.auto:  # disabled meanwhile: keep what serves
                    return before
                return self._apply(before, replace(before, cert=cert, last_error=None,
                                                   last_attempt_at=attempt))

    def renew_due(self) -> None:
        """One pass of the loop: every automatic app whose certificate is due."""
        for tls in self.store.list_tls():
            if not tls.auto:
                continue
            try:
                self.renew(tls.app)
            except PaasError as e:  # a reload nginx refused, an app gone: next pass
                log.warning("renewing %s: %s", tls.app, e.message)
        self._prune()

    def run(self, stop: threading.Event) -> None:
        """The server's renewal loop (a background of the docker platform)."""
        while not stop.is_set():
            try:
                self.renew_due()
            except Exception:  # the loop must outlive one bad pass
                log.exception("certificate renewal pass failed")
            stop.wait(self.ports.interval)

    # --------------------------------------------------------------------------------
    def _apply(self, before: AppTls, after: AppTls) -> AppTls:
        """Store ``after`` and reload the router; on a refused reload, ``before`` again."""
        self.store.put_tls(after)
        try:
            self.runtime.update_routes(self.store.get_app(after.app))
        except PaasError:
            self.store.put_tls(before)
            raise
        self._prune()
        return after

    def _prune(self) -> None:
        """Drop files no stored certificate names (replaced, removed, apps destroyed)."""
        self.ports.files.prune([stem(t.app, t.cert) for t in self.store.list_tls()
                                if t.cert is not None])
