"""ASGI: Django's handler, FerrostaticMiddleware inside it (async)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.project.settings")
application = get_asgi_application()
