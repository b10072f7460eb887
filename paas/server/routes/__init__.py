"""API endpoints, one module per area; each exports ``ROUTES``."""

from __future__ import annotations

from paas.server.context import Route
from paas.server.routes import (
    addons,
    apps,
    backups,
    formation,
    lifecycle,
    logs,
    openapi,
    run,
    users,
)


def all_routes() -> list[Route]:
    return [*apps.ROUTES, *lifecycle.ROUTES, *users.ROUTES, *logs.ROUTES, *run.ROUTES,
            *formation.ROUTES, *addons.ROUTES, *backups.ROUTES, *openapi.ROUTES]
