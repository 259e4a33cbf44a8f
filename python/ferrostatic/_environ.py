"""Options from environment variables: ``FERROSTATIC_<OPTION>`` for every option.

A variable is read only for an option not passed explicitly (an explicit argument wins). A
value that does not parse is a ``ConfigError`` naming the variable and the expected form,
never silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["ENVIRONMENT_FORMS", "options_from_environ", "variable_name"]

_NONE: Final = frozenset({"", "none"})
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})

# How each option is written in the environment (the validation proper happens in Config).
ENVIRONMENT_FORMS: Final = {
    "directory": "text",
    "prefix": "text",
    "index_file": "text or none",
    "allow_hidden": "boolean",
    "follow_symlinks_outside": "boolean",
    "cache_max_age": "integer",
    "immutable_pattern": "text or none",
    "charset": "text or none",
    "mime_types": "json object",
    "max_memory_file_size": "integer",
    "memory_budget": "integer",
    "hash_max_file_size": "integer",
    "chunk_size": "integer",
    "enabled": "boolean",
    "manifest_path": "text or none",
    "cache_control": "json object",
    "security_headers": "boolean",
    "hsts": "text or none",
    "csp": "text or none",
    "referrer_policy": "text or none",
    "permissions_policy": "text or none",
    "cross_origin_resource_policy": "text or none",
    "html_extension_fallback": "boolean",
    "health_check_path": "text or none",
    "autocompress": "boolean",
    "autocompress_max_size": "integer",
    "autocompress_cache_size": "integer",
    "directories": "json object",
    "spa_fallback": "text or none",
    "spa_fallback_app_first": "boolean",
    "not_found_file": "text or none",
    "error_responses": "json object",
    "cors_allow_origins": "comma list",
    "cors_max_age": "integer",
    "autorefresh": "boolean",
    "request_id_header": "text or none",
}
"""Options not listed (``add_headers``, ``path_resolver``, ``path_resolver_roots``,
``on_request``) are Python objects: they have no environment form."""

_EXAMPLES: Final = {
    "boolean": "1/0, true/false, yes/no or on/off",
    "integer": "a whole number such as 3600",
    "json object": """a JSON object such as {".epub": "application/epub+zip"}""",
    "comma list": "values separated by commas, such as https://a.example,https://b.example",
}


def variable_name(option: str) -> str:
    """The environment variable of an option: ``cache_max_age`` → ``FERROSTATIC_CACHE_MAX_AGE``."""
    return "FERROSTATIC_" + option.upper()


def options_from_environ(environ: Mapping[str, str], explicit: Mapping[str, Any]) -> dict[str, Any]:
    """The options set in ``environ`` and not in ``explicit``, parsed to Python values."""
    from .config import ConfigError

    found: dict[str, Any] = {}
    for option, form in ENVIRONMENT_FORMS.items():
        name = variable_name(option)
        if option in explicit or name not in environ:
            continue
        raw = environ[name]
        value = _parse(raw.strip(), form)
        if value is _INVALID:
            raise ConfigError(f"{name}={raw!r}: expected {_EXAMPLES[form]}")
        found[option] = value
    return found


_INVALID: Final = object()


def _parse(text: str, form: str) -> Any:
    if form == "text":
        return text
    if form == "text or none":
        return None if text.lower() in _NONE else text
    if form == "boolean":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else _INVALID
    if form == "comma list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if form == "integer":
        return int(text) if text.isascii() and text.isdigit() else _INVALID
    try:
        value = json.loads(text)
    except ValueError:
        return _INVALID
    return value if isinstance(value, dict) else _INVALID
