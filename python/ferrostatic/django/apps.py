"""The ``ferrostatic.django`` app: system checks, and ``runserver`` without Django's static
handler (the middleware serves the files, in development as in production)."""

from __future__ import annotations

from django.apps import AppConfig


class FerrostaticConfig(AppConfig):
    """Put ``"ferrostatic.django"`` before ``"django.contrib.staticfiles"`` in INSTALLED_APPS
    so that its ``runserver`` is the one Django runs."""

    name = "ferrostatic.django"
    label = "ferrostatic"
    verbose_name = "ferrostatic"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
