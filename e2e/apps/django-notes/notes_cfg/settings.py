"""A Django app whose data lives in the PostgreSQL add-on (DATABASE_URL)."""

import dj_database_url

SECRET_KEY = "e2e-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "notes"]
ROOT_URLCONF = "notes_cfg.urls"
WSGI_APPLICATION = "notes_cfg.wsgi.application"
# Health checks: a kept connection that the database dropped (a restart) is replaced
# before a request uses it, instead of failing that request.
DATABASES = {"default": dj_database_url.config(conn_max_age=60, conn_health_checks=True)}
USE_TZ = True
