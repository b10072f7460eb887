"""Django settings for the celery example project."""

import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Celery settings: the broker is the app's Redis add-on when there is one.
CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"

DEBUG = True

ALLOWED_HOSTS = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(BASE_DIR, "db.sqlite3"),
    }
}

TIME_ZONE = "UTC"
USE_TZ = True

# Make this unique, and don't share it with anybody.
SECRET_KEY = "django-insecure-x5$b4+8kf2cz4q#t1x%0fzj3y_r9m!u0c)wm^q6v7k-e@n2#pd"

ROOT_URLCONF = "proj.urls"

WSGI_APPLICATION = "proj.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "demoapp",
]
