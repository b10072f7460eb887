"""API endpoints, one module per area; each exports ``ROUTES``."""

from __future__ import annotations

from paas.server.context import Route
from paas.server.routes import addons, apps, formation


def all_routes() -> list[Route]:
    return [*apps.ROUTES, *formation.ROUTES, *addons.ROUTES]
