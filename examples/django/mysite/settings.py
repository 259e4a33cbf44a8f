"""A minimal Django project whose static files ferrostatic serves.

pip install "ferrostatic[django]" gunicorn uvicorn
python manage.py runserver                        # development: no collectstatic needed
python manage.py collectstatic --noinput          # production: hashed and compressed
gunicorn mysite.wsgi                              # WSGI: the middleware serves them
uvicorn mysite.asgi:application                   # ASGI: in front of Django
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    # Before django.contrib.staticfiles: its runserver serves files with the middleware.
    "ferrostatic.django",
    "django.contrib.staticfiles",
    "mysite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware: the middleware above sees its responses, none below.
    "ferrostatic.django.FerrostaticMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
    }
]
WSGI_APPLICATION = "mysite.wsgi.application"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names (cached for a year), .br/.zst/.gz variants written by collectstatic.
        "BACKEND": "ferrostatic.django.storage.CompressedManifestStaticFilesStorage",
    },
}

# Every option of ferrostatic is a setting; these are examples, not needed.
FERROSTATIC_CACHE_MAX_AGE = 300
