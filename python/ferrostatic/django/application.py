"""``get_static_application()``: the static files in front of Django's ASGI application.

    # asgi.py
    from ferrostatic.django import get_static_application
    application = get_static_application()

The fastest way to serve them under ASGI: a request for a static file never becomes a Django
request. It serves ``STATIC_ROOT`` (run ``collectstatic``) at the path of ``STATIC_URL``; for
development without ``collectstatic``, use ``FerrostaticMiddleware`` (and ``runserver``).
"""

from __future__ import annotations

import os
from typing import Any, cast

from ..asgi import ASGIApp, Ferrostatic
from ..config import ConfigError
from .conf import options_from_settings, setting_error

__all__ = ["get_static_application"]


def get_static_application(application: ASGIApp | None = None) -> Ferrostatic:
    """``application`` (Django's ``get_asgi_application()`` by default) behind ``Ferrostatic``
    serving ``STATIC_ROOT`` at ``STATIC_URL``'s path, configured by the ``FERROSTATIC_*``
    settings. Raises ``ImproperlyConfigured`` naming a wrong setting.

    The ASGI server's ``root_path`` is removed from request paths before the lookup, and so is
    ``FORCE_SCRIPT_NAME`` from the front of ``STATIC_URL``'s path: give ``STATIC_URL`` below
    the script name (``"static/"``) when the app is mounted.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if application is None:
        from django.core.asgi import get_asgi_application

        application = cast("ASGIApp", get_asgi_application())
    options: dict[str, Any] = options_from_settings(
        settings, script_name=getattr(settings, "FORCE_SCRIPT_NAME", None)
    )
    _security_from_django(options, settings)
    try:
        return Ferrostatic(application, **options)
    except (ConfigError, TypeError) as error:
        message = setting_error(error, settings)
        if "STATIC_ROOT" in message:
            message += "; run manage.py collectstatic first"
        raise ImproperlyConfigured(message) from error


def _security_from_django(options: dict[str, Any], settings: Any) -> None:
    """The headers Django's SecurityMiddleware would add to these responses, which no longer
    pass through it: ``X-Content-Type-Options`` and ``Referrer-Policy``, unless configured."""
    if "security_headers" not in options and "FERROSTATIC_SECURITY_HEADERS" not in os.environ:
        options["security_headers"] = bool(getattr(settings, "SECURE_CONTENT_TYPE_NOSNIFF", True))
    policy = getattr(settings, "SECURE_REFERRER_POLICY", None)
    if "referrer_policy" not in options and "FERROSTATIC_REFERRER_POLICY" not in os.environ:
        if isinstance(policy, (list, tuple)):
            policy = ",".join(policy)
        if isinstance(policy, str) and policy:
            options["referrer_policy"] = policy
