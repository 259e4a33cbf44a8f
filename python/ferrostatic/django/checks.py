"""System checks (``manage.py check``): settings, STATIC_ROOT, and where the middleware sits.

ferrostatic.E001  a FERROSTATIC_* setting (or STATIC_URL) has a wrong type or value
ferrostatic.W001  an unknown FERROSTATIC_* setting (a typo?)
ferrostatic.W002  STATIC_ROOT is not set
ferrostatic.W003  STATIC_ROOT does not exist (collectstatic has not run)
ferrostatic.W004  the middleware comes after GZipMiddleware
ferrostatic.W005  the middleware comes before SecurityMiddleware
ferrostatic.W006  the middleware comes after CommonMiddleware or ConditionalGetMiddleware
ferrostatic.W007  "ferrostatic.django" comes after "django.contrib.staticfiles"
ferrostatic.W008  the app is installed but the middleware is not
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from ..config import Config, ConfigError
from .conf import DJANGO_SETTINGS, OPTION_SETTINGS, setting_error, static_url_path

__all__ = ["check_middleware", "check_settings", "check_static_root"]

_BOOLEAN_SETTINGS = (
    "FERROSTATIC_USE_FINDERS",
    "FERROSTATIC_AUTOREFRESH",
    "FERROSTATIC_KEEP_ONLY_HASHED_FILES",
    "FERROSTATIC_MANIFEST_STRICT",
)
MIDDLEWARE_PATH = "ferrostatic.django.middleware.FerrostaticMiddleware"


@register(Tags.staticfiles)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every ``FERROSTATIC_*`` setting, validated as the middleware will validate it."""
    messages: list[CheckMessage] = []
    known = {*OPTION_SETTINGS, *DJANGO_SETTINGS}
    for name in dir(settings):
        if name.startswith("FERROSTATIC_") and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"Did you mean {close[0]}?" if close else f"Known: {', '.join(sorted(known))}."
            messages.append(
                Warning(f"{name} is not a ferrostatic setting.", hint=hint, id="ferrostatic.W001")
            )
    directory = getattr(settings, "FERROSTATIC_DIRECTORY", None) or getattr(
        settings, "STATIC_ROOT", None
    )
    if not isinstance(directory, (str, os.PathLike)) or not os.path.isdir(directory):
        directory = None  # reported by check_static_root
    for setting, option in OPTION_SETTINGS.items():
        if option == "directory" or not hasattr(settings, setting):
            continue
        if option == "manifest_path" and directory is None:
            continue  # relative to a folder that is not there yet
        messages += _validate(setting, option, getattr(settings, setting), directory)
    if not hasattr(settings, "FERROSTATIC_PREFIX"):
        prefix = static_url_path(getattr(settings, "STATIC_URL", None))
        if prefix is not None:
            messages += _validate("STATIC_URL", "prefix", prefix, None)
    given = getattr(settings, "FERROSTATIC_DIRECTORY", None)
    if given is not None and not isinstance(given, (str, os.PathLike)):
        messages.append(
            Error(
                f"FERROSTATIC_DIRECTORY: expected a path (str or os.PathLike), got {given!r}",
                id="ferrostatic.E001",
            )
        )
    for setting in _BOOLEAN_SETTINGS:
        value = getattr(settings, setting, False)
        if not isinstance(value, bool):
            messages.append(
                Error(f"{setting}: expected True or False, got {value!r}", id="ferrostatic.E001")
            )
    formats = getattr(settings, "FERROSTATIC_COMPRESS_FORMATS", None)
    if formats is not None:
        from ..compress import normalize_formats

        try:
            if isinstance(formats, str) or not all(isinstance(f, str) for f in formats):
                raise ValueError("expected a list of format names such as ['br', 'gzip']")
            normalize_formats(formats)
        except (TypeError, ValueError) as error:
            messages.append(Error(f"FERROSTATIC_COMPRESS_FORMATS: {error}", id="ferrostatic.E001"))
    return messages


def _validate(setting: str, option: str, value: Any, directory: Any) -> list[CheckMessage]:
    try:
        Config.from_options({"directory": directory or os.curdir, option: value}, environ={})
    except (ConfigError, TypeError) as error:
        text = setting_error(error, settings)
        if setting == "STATIC_URL":
            text = f"STATIC_URL: its path {value!r} cannot be served: {text.partition(': ')[2]}"
        return [Error(text, id="ferrostatic.E001")]
    return []


@register("ferrostatic")
def check_static_root(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The folder to serve exists, unless the files come from Django's finders (DEBUG)."""
    if getattr(settings, "FERROSTATIC_ENABLED", True) is False:
        return []
    if getattr(settings, "FERROSTATIC_USE_FINDERS", settings.DEBUG) is True:
        return []
    directory = getattr(settings, "FERROSTATIC_DIRECTORY", None)
    setting = "FERROSTATIC_DIRECTORY"
    if directory is None:
        directory, setting = getattr(settings, "STATIC_ROOT", None), "STATIC_ROOT"
    if directory is None:
        return [
            Warning(
                "STATIC_ROOT is not set: ferrostatic has no folder to serve.",
                hint="Set STATIC_ROOT to the folder collectstatic fills, e.g. BASE_DIR / "
                "'staticfiles'.",
                id="ferrostatic.W002",
            )
        ]
    if isinstance(directory, (str, os.PathLike)) and not os.path.isdir(directory):
        return [
            Warning(
                f"{setting} {os.fspath(directory)!r} does not exist: no static files will be "
                "served.",
                hint="Run manage.py collectstatic (before starting the server).",
                id="ferrostatic.W003",
            )
        ]
    return []


@register("ferrostatic")
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The middleware sits where it serves files intact, and is there if the app is."""
    from django.middleware.common import CommonMiddleware
    from django.middleware.gzip import GZipMiddleware
    from django.middleware.http import ConditionalGetMiddleware
    from django.middleware.security import SecurityMiddleware

    from .middleware import FerrostaticMiddleware

    messages: list[CheckMessage] = []
    installed = [config.name for config in apps.get_app_configs()]
    if (
        "ferrostatic.django" in installed
        and "django.contrib.staticfiles" in installed
        and installed.index("ferrostatic.django") > installed.index("django.contrib.staticfiles")
    ):
        messages.append(
            Warning(
                '"ferrostatic.django" comes after "django.contrib.staticfiles" in '
                "INSTALLED_APPS: runserver serves static files with Django's handler.",
                hint='Put "ferrostatic.django" before "django.contrib.staticfiles".',
                id="ferrostatic.W007",
            )
        )
    classes = [_load(path) for path in settings.MIDDLEWARE or ()]
    ours = [i for i, cls in enumerate(classes) if _is(cls, FerrostaticMiddleware)]
    if not ours:
        if "ferrostatic.django" in installed:
            messages.append(
                Warning(
                    "FerrostaticMiddleware is not in MIDDLEWARE: runserver serves no static "
                    "files (its own handler is off), nor does a WSGI deployment.",
                    hint=f'Add "{MIDDLEWARE_PATH}" right after SecurityMiddleware (unless '
                    "asgi.py serves them with get_static_application()).",
                    id="ferrostatic.W008",
                )
            )
        return messages
    position = ours[0]
    above = classes[:position]
    if any(_is(cls, GZipMiddleware) for cls in above):
        messages.append(
            Warning(
                "FerrostaticMiddleware comes after GZipMiddleware, which re-compresses its "
                "responses: ranges and pre-compressed files are garbled, validators lost.",
                hint="Move it above GZipMiddleware, right after SecurityMiddleware.",
                id="ferrostatic.W004",
            )
        )
    if any(_is(cls, SecurityMiddleware) for cls in classes[position + 1 :]):
        messages.append(
            Warning(
                "FerrostaticMiddleware comes before SecurityMiddleware: static files are "
                "served without its security headers (and HTTPS redirect).",
                hint="Move it right after SecurityMiddleware.",
                id="ferrostatic.W005",
            )
        )
    rewriting = [
        cls.__name__ for cls in above if _is(cls, CommonMiddleware, ConditionalGetMiddleware)
    ]
    if rewriting:
        messages.append(
            Warning(
                f"FerrostaticMiddleware comes after {', '.join(rewriting)}, which rewrites "
                "its responses (a Content-Length on 304s, preconditions evaluated again).",
                hint="Move it right after SecurityMiddleware.",
                id="ferrostatic.W006",
            )
        )
    return messages


def _load(path: str) -> Any:
    try:
        return import_string(path)
    except ImportError:
        return None  # Django reports it


def _is(cls: Any, *bases: type) -> bool:
    return isinstance(cls, type) and issubclass(cls, bases)
