"""/v1/apps/<name>/certs: the app's HTTPS certificate and its switches.

Answers never carry a private key: an uploaded key goes to the router's key file and no
endpoint reads it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from paas.domain.certs import MAX_PEM_BYTES, AppTls
from paas.errors import InvalidInput
from paas.server import fields
from paas.server.context import ApiContext, Route, json_response, read_body
from paas.services.certs import CertService


def _service(ctx: ApiContext) -> CertService:
    if ctx.services.certs is None:
        raise InvalidInput(f"the platform does not manage certificates on the "
                           f"{ctx.settings.runtime} runtime (on Kubernetes, cert-manager "
                           "does)")
    return ctx.services.certs


def tls_json(ctx: ApiContext, tls: AppTls) -> dict[str, Any]:
    cert = tls.cert
    now = datetime.now(UTC)
    return {
        "app": tls.app,
        "certificate": None if cert is None else {
            "hosts": list(cert.hosts),
            "issuer": cert.issuer,
            "not_before": cert.not_before.isoformat(),
            "not_after": cert.not_after.isoformat(),
            "days_left": cert.days_left(now),
            "source": cert.source,
            "fingerprint": cert.fingerprint,
            "ocsp_stapling": cert.ocsp_url is not None,
        },
        "auto": tls.auto,
        "redirect": tls.redirect,
        "hsts": tls.hsts,
        "last_error": tls.last_error,
        "last_attempt_at": tls.last_attempt_at.isoformat() if tls.last_attempt_at else None,
        "https_port": ctx.settings.router_https_port,
    }


def get_certs(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    return json_response(tls_json(ctx, _service(ctx).view(name)))


def add_cert(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    body = read_body(request)
    fields.only(body, ("certificate", "key"))
    cert = fields.required_text(body, "certificate", max_length=MAX_PEM_BYTES)
    key = fields.required_text(body, "key", max_length=MAX_PEM_BYTES)
    tls = _service(ctx).add(name, cert.encode(), key.encode())
    return json_response(tls_json(ctx, tls), 201)


def remove_cert(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    return json_response(tls_json(ctx, _service(ctx).remove(name)))


def update_certs(ctx: ApiContext, request: Request, name: str) -> Response:
    ctx.app_for(request, name)
    body = read_body(request)
    fields.only(body, ("auto", "redirect", "hsts"))
    if not body:
        raise InvalidInput("give at least one of: auto, redirect, hsts (true or false)")
    service = _service(ctx)
    switches = {k: fields.flag(body, k) for k in ("redirect", "hsts") if k in body}
    tls = service.set_switches(name, **switches) if switches else None
    if "auto" in body:
        tls = service.enable_auto(name) if fields.flag(body, "auto") \
            else service.disable_auto(name)
    assert tls is not None  # the body named a switch or auto: one of them ran
    return json_response(tls_json(ctx, tls))


ROUTES = [
    Route("/v1/apps/<name>/certs", ("GET",), get_certs),
    Route("/v1/apps/<name>/certs", ("POST",), add_cert),
    Route("/v1/apps/<name>/certs", ("DELETE",), remove_cert),
    Route("/v1/apps/<name>/certs", ("PATCH",), update_certs),
]
