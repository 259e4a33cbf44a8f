"""ASGI: the static files in front of Django's handler, with get_static_application()."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.project.settings")

from ferrostatic.django import get_static_application

application = get_static_application()
