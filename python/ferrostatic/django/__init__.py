"""Django integration: the middleware, the ASGI application, storages, checks, runserver.

    INSTALLED_APPS = ["ferrostatic.django", "django.contrib.staticfiles", ...]
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "ferrostatic.django.FerrostaticMiddleware",
        ...
    ]

``FerrostaticMiddleware`` serves ``STATIC_ROOT`` at ``STATIC_URL`` under WSGI and ASGI;
``get_static_application()`` does the same in front of Django's ASGI application (for
``asgi.py``); ``ferrostatic.django.storage`` compresses during ``collectstatic``. Settings:
``FERROSTATIC_<OPTION>`` for every option, see ``ferrostatic.django.conf``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .application import get_static_application
    from .middleware import FerrostaticMiddleware

__all__ = ["FerrostaticMiddleware", "get_static_application"]


def __getattr__(name: str) -> Any:
    # Imported on first use: Django imports this package while it loads its apps, before the
    # modules these need may be imported.
    if name == "FerrostaticMiddleware":
        from .middleware import FerrostaticMiddleware

        return FerrostaticMiddleware
    if name == "get_static_application":
        from .application import get_static_application

        return get_static_application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
