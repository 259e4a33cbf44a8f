"""Django settings → ferrostatic options.

Every option of ``ferrostatic.config.Options`` is a setting ``FERROSTATIC_<OPTION>``
(``FERROSTATIC_CACHE_MAX_AGE``, ``FERROSTATIC_INDEX_FILE``...). ``directory`` and ``prefix``
come from ``STATIC_ROOT`` and the path of ``STATIC_URL`` unless ``FERROSTATIC_DIRECTORY`` /
``FERROSTATIC_PREFIX`` say otherwise. Options set neither way may still come from
``FERROSTATIC_*`` environment variables (a setting wins over the environment). The settings
below exist only for Django.
"""

from __future__ import annotations

import os
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from ..config import Options

__all__ = [
    "DJANGO_SETTINGS",
    "OPTION_SETTINGS",
    "flag",
    "options_from_settings",
    "setting_error",
    "static_url_path",
]

OPTION_SETTINGS: Final = {f"FERROSTATIC_{name.upper()}": name for name in Options.__annotations__}
"""Setting name → option name, for every option."""

DJANGO_SETTINGS: Final = {
    "FERROSTATIC_USE_FINDERS": "serve files found by Django's finders (app static/ folders, "
    "STATICFILES_DIRS) without collectstatic; default: DEBUG",
    "FERROSTATIC_AUTOREFRESH": "pick up files added or changed after start-up, and hold none in "
    "memory; default: DEBUG",
    "FERROSTATIC_KEEP_ONLY_HASHED_FILES": "CompressedManifestStaticFilesStorage deletes the "
    "unhashed copies after collectstatic; default: False",
    "FERROSTATIC_MANIFEST_STRICT": "a reference to a missing file (typically a source map) "
    "fails collectstatic; False leaves the reference unchanged, with a warning; default: True",
    "FERROSTATIC_COMPRESS_FORMATS": "what the storages compress to, e.g. ['br', 'gzip']; "
    "default: br, zstd and gzip",
}
"""The settings that are not options of the core, with what they do."""


def static_url_path(static_url: str | None, script_name: str | None = None) -> str | None:
    """The decoded path of ``STATIC_URL`` (which may be a full URL on a CDN), without
    ``script_name`` in front; None when there is no STATIC_URL."""
    if not static_url:
        return None
    path = unquote(urlsplit(static_url).path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    if script_name:
        mount = script_name.rstrip("/")
        if mount and path.startswith(mount + "/"):
            path = path[len(mount) :]
    return path if path.endswith("/") else path + "/"


def options_from_settings(settings: Any, *, script_name: str | None = None) -> dict[str, Any]:
    """The options the settings give, unvalidated (``Config.from_options`` validates them).

    ``script_name`` is removed from the front of STATIC_URL's path (for apps that see request
    paths below it, as the ASGI app does under ``FORCE_SCRIPT_NAME``).
    """
    options: dict[str, Any] = {}
    for setting, option in OPTION_SETTINGS.items():
        if hasattr(settings, setting):
            options[option] = getattr(settings, setting)
    if "directory" not in options:
        options["directory"] = getattr(settings, "STATIC_ROOT", None)
    if "prefix" not in options:
        prefix = static_url_path(getattr(settings, "STATIC_URL", None), script_name)
        if prefix is not None:
            options["prefix"] = prefix
    if "manifest_path" not in options:
        manifest = manifest_file()
        if manifest is not None:
            # The manifest lists exactly the names Django hashed: those, and only those, are
            # immutable (a source merely named like a hashed file is not).
            options["manifest_path"] = manifest
            if "FERROSTATIC_IMMUTABLE_PATTERN" not in os.environ:
                options.setdefault("immutable_pattern", None)
    return options


def setting_error(error: Exception, settings: Any) -> str:
    """A ``ConfigError`` (``"option: what is wrong"``) restated with the setting to fix."""
    text = str(error)
    option, sep, rest = text.partition(":")
    if not sep or option not in Options.__annotations__:
        return text  # already names an environment variable, or is not about one option
    setting = f"FERROSTATIC_{option.upper()}"
    if not hasattr(settings, setting):
        setting = {"directory": "STATIC_ROOT", "prefix": "STATIC_URL"}.get(option, setting)
    return f"{setting}:{rest}"


def flag(settings: Any, name: str, default: bool) -> bool:
    """A boolean Django-only setting; a value of another type is reported by the checks."""
    value = getattr(settings, name, default)
    return value if isinstance(value, bool) else default


def manifest_file() -> str | None:
    """The staticfiles manifest (``staticfiles.json``) of a ``ManifestStaticFilesStorage``, if
    the static files storage keeps one on this disk and collectstatic has written it."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    try:
        storage = storages["staticfiles"]
        if not isinstance(storage, ManifestFilesMixin):
            return None
        path = storage.manifest_storage.path(storage.manifest_name)
    except Exception:  # a storage that cannot be built, or is not on this disk: no manifest
        return None
    return path if isinstance(path, str) and os.path.isfile(path) else None
