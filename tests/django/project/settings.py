"""A small Django project (the admin and one app with static files) for ferrostatic's tests.

Environment variables set by the tests:
    FSTEST_STATIC_ROOT  where collectstatic writes and the server reads (default: none)
    FSTEST_STORAGE      ``manifest`` (hashed names, default) or ``plain``: ferrostatic's
                        compressing storages
    FSTEST_EXTRA_STATIC a folder added to STATICFILES_DIRS (files made by the tests)
    FSTEST_DEBUG        ``1`` for DEBUG
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "not-a-secret: this project only runs in tests"
DEBUG = os.environ.get("FSTEST_DEBUG") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "ferrostatic.django",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tests.django.project.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ferrostatic.django.FerrostaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.django.project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("FSTEST_STATIC_ROOT") or None
STATICFILES_DIRS = [path] if (path := os.environ.get("FSTEST_EXTRA_STATIC")) else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": {
            "manifest": "ferrostatic.django.storage.CompressedManifestStaticFilesStorage",
            "plain": "ferrostatic.django.storage.CompressedStaticFilesStorage",
        }[os.environ.get("FSTEST_STORAGE", "manifest")]
    },
}
# Fewer formats than the default keeps collectstatic quick in the tests.
FERROSTATIC_COMPRESS_FORMATS = ["br", "gzip"]
