"""The router's HTTPS: a TLS listener, one TLS server per app with a certificate.

nginx terminates TLS 1.2 and 1.3 with HTTP/2 and Mozilla's "intermediate" ciphers
(ECDHE with AES-GCM or ChaCha20 only, forward secret). Sessions resume from a cache
shared by the workers, which survives reloads (same zone name and size); session tickets
stay off, because nginx would make fresh random ticket keys at every reload (a deploy
reloads) and never rotate them while it runs, which buys nothing but a weaker forward
secrecy. OCSP responses are stapled only for a certificate that names a responder:
nginx warns at every reload otherwise (Let's Encrypt certificates carry none since 2025).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from paas.domain.certs import covered
from paas.router.nginxconf import Block, Directive

#: Port nginx terminates TLS on inside the router container.
HTTPS_LISTEN_PORT = 8443
#: Where the router container reads certificates and keys, and ACME challenge answers.
CERT_ROOT = "/etc/paas-router/certs"
ACME_ROOT = "/etc/paas-router/acme"
#: The ACME HTTP-01 path (RFC 8555, 8.3).
ACME_PREFIX = "/.well-known/acme-challenge/"
#: Mozilla intermediate (v5.7) without the DHE suites, which need a dhparam file.
CIPHERS = ":".join([
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
])
HSTS_MAX_AGE = 63072000  # two years, as hstspreload.org asks
#: Docker's embedded DNS on a user-defined network: how nginx reaches OCSP responders.
DOCKER_DNS = "127.0.0.11"


def host_resolver(resolv_conf: str) -> str | None:
    """The first IPv4 nameserver of the host's resolv.conf: what nginx on the host's
    network asks for OCSP responders (Docker's embedded DNS is not there)."""
    for line in resolv_conf.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver" and ":" not in words[1]:
            return words[1]
    return None


@dataclass(frozen=True)
class TlsSite:
    """What the router serves over TLS for one app."""

    app: str
    #: The certificate's DNS names (wildcards allowed); empty before the first one.
    patterns: tuple[str, ...] = ()
    #: Paths inside the router container, or None without a certificate.
    cert_file: str | None = None
    key_file: str | None = None
    redirect: bool = True
    hsts: bool = False
    #: Staple OCSP responses (the certificate names a responder).
    stapling: bool = False
    #: Answer ACME HTTP-01 challenges for the app's hosts from ACME_ROOT.
    acme: bool = False


@dataclass(frozen=True)
class Https:
    """The TLS listener: published on ``public_port``, with the apps' sites."""

    public_port: int
    sites: Mapping[str, TlsSite] = field(default_factory=dict)
    #: What nginx's TLS ``listen`` says: a port inside a bridged router container, or
    #: ``address:port`` for a router on the host's network.
    listen: str = str(HTTPS_LISTEN_PORT)
    #: The DNS server nginx asks for OCSP responders' addresses: Docker's embedded DNS
    #: in a bridged container, the host's own resolver on the host's network.
    resolver: str = DOCKER_DNS


def tls_hosts(hosts: Sequence[str], site: TlsSite | None, https: Https | None
              ) -> tuple[str, ...]:
    """The app's hosts served over TLS: those its certificate covers."""
    if https is None or site is None or site.cert_file is None or site.key_file is None:
        return ()
    return covered(site.patterns, hosts)


def acme_challenge() -> Block:
    """Challenge answers are files the platform writes: no reload per challenge."""
    return Block("location", ["^~", ACME_PREFIX], [
        Directive("alias", [ACME_ROOT + "/"]),
        Directive("default_type", ["text/plain"]),
        Directive("access_log", ["off"]),
    ])


def hsts_headers(site: TlsSite) -> list[Directive]:
    if not site.hsts:
        return []
    return [Directive("add_header", ["Strict-Transport-Security",
                                     f"max-age={HSTS_MAX_AGE}", "always"])]


def tls_defaults(https: Https) -> list[Directive | Block]:
    """http-level TLS settings, and a default TLS server that refuses unknown names
    (no certificate to show them), so no app's certificate leaks to another's host."""
    out: list[Directive | Block] = [
        Directive("ssl_protocols", ["TLSv1.2", "TLSv1.3"]),
        Directive("ssl_ciphers", [CIPHERS]),
        Directive("ssl_prefer_server_ciphers", ["off"]),
        Directive("ssl_session_cache", ["shared:paas_tls:10m"]),
        Directive("ssl_session_timeout", ["1d"]),
        Directive("ssl_session_tickets", ["off"]),
    ]
    if any(s.stapling and s.cert_file for s in https.sites.values()):
        out.append(Directive("resolver", [https.resolver, "valid=300s", "ipv6=off"]))
        out.append(Directive("resolver_timeout", ["5s"]))
    out.append(Block("server", [], [
        Directive("listen", [https.listen, "ssl", "http2", "default_server"]),
        Directive("ssl_reject_handshake", ["on"]),
    ]))
    return out


def tls_server(site: TlsSite, hosts: Sequence[str], locations: Sequence[Block],
               head: Sequence[Directive] = (), listen: str = str(HTTPS_LISTEN_PORT)
               ) -> Block:
    """``head``: server-level directives of the app (the ``$paas_app`` its access lines
    start with); ``listen``: the TLS listener's ``Https.listen``."""
    assert site.cert_file is not None and site.key_file is not None
    stapling: list[Directive] = []
    if site.stapling:
        stapling = [Directive("ssl_stapling", ["on"]),
                    Directive("ssl_stapling_verify", ["on"]),
                    Directive("ssl_trusted_certificate", [site.cert_file])]
    return Block("server", [], [
        Directive("listen", [listen, "ssl", "http2"]),
        Directive("server_name", list(hosts)),
        *head,
        Directive("ssl_certificate", [site.cert_file]),
        Directive("ssl_certificate_key", [site.key_file]),
        *stapling,
        *locations,
    ])
