"""The matrix of apps every generated object is validated for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy, Metric
from paas.domain.health import HealthCheck
from paas.domain.limits import AppLimits
from paas.domain.release import Build, Release, StaticMount, WebProtocol
from paas.runtime.kubernetes.settings import KubernetesSettings

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def build(**kw: Any) -> Build:
    values: dict[str, Any] = {
        "image": "registry.example:5000/paas/shop:abc123",
        "commit": "abc123",
        "processes": {"web": "gunicorn shop.wsgi --bind 0.0.0.0:$PORT"},
    }
    values.update(kw)
    return Build(**values)


def release(app: str = "shop", version: int = 2, b: Build | None = None, **config: str) -> Release:
    return Release(app, version, b or build(), config=config or {"SECRET_KEY": "s3cret"})


@dataclass
class Case:
    id: str
    app: App
    release: Release
    formation: dict[str, int] = field(default_factory=dict)
    policies: tuple[AutoscalePolicy, ...] = ()
    settings: KubernetesSettings = field(
        default_factory=lambda: KubernetesSettings(domain="apps.example.com")
    )


FULL = build(
    processes={
        "web": "gunicorn shop.wsgi",
        "worker": "celery -A shop worker -l info",
        "beat": "celery -A shop beat",
        "release": "python manage.py migrate --noinput",
    },
    release_command="python manage.py migrate --noinput",
    static=(StaticMount("/static/", "/app/staticfiles"), StaticMount("/media", "/app/media")),
)

CASES = [
    Case("web-only", App("shop", WHEN), release()),
    Case(
        "web-worker-beat-release",
        App("shop", WHEN, formation={"web": 3, "worker": 2, "beat": 1}),
        release(b=FULL, CELERY_BROKER_URL="redis://:pw@redis.shop:6379/1"),
        {"web": 3, "worker": 2, "beat": 1},
    ),
    Case(
        "autoscaled",
        App("shop", WHEN, formation={"web": 2, "worker": 1}),
        release(b=FULL, CELERY_BROKER_URL="redis://:pw@redis.shop:6379/0"),
        {"web": 2, "worker": 1},
        (
            AutoscalePolicy("web", 2, 10, Metric.CPU, cpu_percent=80),
            AutoscalePolicy("worker", 0, 20, Metric.QUEUE, queue="celery", per_replica=10),
        ),
    ),
    Case(
        "autoscaled-rabbitmq",
        App("shop", WHEN, formation={"worker": 1}),
        release(b=FULL, CELERY_BROKER_URL="amqp://guest:guest@rabbit:5672/shop"),
        {"worker": 1},
        (AutoscalePolicy("worker", 1, 5, Metric.QUEUE, queue="emails", per_replica=5),),
    ),
    Case(
        "tls",
        App("shop", WHEN),
        release(),
        settings=KubernetesSettings(domain="apps.example.com", cluster_issuer="letsencrypt"),
    ),
    Case(
        "custom-domains-uwsgi",
        App("shop", WHEN, domains=("shop.example.org", "www.shop.example.org")),
        release(b=build(web_protocol=WebProtocol.UWSGI, port=8000)),
        settings=KubernetesSettings(
            domain="apps.example.com", cluster_issuer="letsencrypt", image_pull_secret="regcred"
        ),
    ),
    Case(
        "health-checked-data-folder",
        App("shop", WHEN, formation={"web": 2}),
        release(b=build(health=HealthCheck("/health", 200, 30.0), data_dirs=("/app/instance",),
                        release_command="flask --app flaskr init-db")),
        {"web": 2},
    ),
    Case(
        "sized-writable-root",
        App("shop", WHEN, formation={"web": 2, "worker": 1},
            sizes={"web": "performance-m", "worker": "basic"},
            limits=AppLimits(writable_root=True)),
        release(b=FULL, CELERY_BROKER_URL="redis://:pw@redis.shop:6379/1"),
        {"web": 2, "worker": 1},
        (AutoscalePolicy("web", 2, 10, Metric.CPU, cpu_percent=80),),
    ),
]
