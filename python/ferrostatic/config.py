"""Options of ``Ferrostatic``, validated once at construction.

A wrong option raises ``ConfigError`` naming the option and saying what to do; nothing is
validated later, on the request path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from ._cache_policy import compile_rules, manifest_paths, read_manifest
from ._environ import options_from_environ, variable_name
from ._errors import ErrorBody, load_error_bodies
from ._observe import hooks_from_option

__all__ = ["DEFAULT_IMMUTABLE_PATTERN", "Config", "ConfigError", "Options"]

# A file name that carries a content hash is safe to cache for a year: a new build gets a new
# name. Three schemes are recognised (each needs a digit and a letter in the hash so that dates
# and ordinary words are not mistaken for hashes; a missed hash only costs a revalidation):
#   Django's ManifestStaticFilesStorage  app.3f2a9c1b7d4e.css   (12 hex)
#   webpack / Parcel / Rollup            app.3f2a9c1b.js        (8+ hex)
#   Vite / esbuild                       index-BPvgi06w.js      (8 base64url characters)
DEFAULT_IMMUTABLE_PATTERN = re.compile(
    r"""
    [^/]                                       # the name is not only the hash
    (?:
        \.(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}   # .<hex>  (Django, webpack)
      | -(?=[\w-]{0,7}[0-9])(?=[\w-]{0,7}[A-Za-z])[\w-]{8}   # -<8 chars> (Vite, esbuild)
    )
    \.[A-Za-z0-9]+(?:\.map)?$                  # then the extension
    """,
    re.VERBOSE | re.ASCII,
)

KIB = 1024
MIB = 1024 * KIB


class ConfigError(ValueError):
    """An option has a wrong type or value; the message names it and says how to fix it."""


class Options(TypedDict, total=False):
    """The keyword options of ``Ferrostatic`` (and every other entry point), as passed.

    ``directory`` is required. The defaults, and what each option does, are on ``Config``.
    """

    directory: str | os.PathLike[str]
    prefix: str
    index_file: str | None
    allow_hidden: bool
    follow_symlinks_outside: bool
    cache_max_age: int
    immutable_pattern: str | re.Pattern[str] | None
    charset: str | None
    mime_types: Mapping[str, str] | None
    max_memory_file_size: int
    memory_budget: int
    hash_max_file_size: int
    chunk_size: int
    enabled: bool
    manifest_path: str | os.PathLike[str] | None
    cache_control: Mapping[str, str] | None
    add_headers: Callable[[str, str], Mapping[str, str]] | None
    security_headers: bool
    hsts: str | None
    csp: str | None
    referrer_policy: str | None
    permissions_policy: str | None
    cross_origin_resource_policy: str | None
    html_extension_fallback: bool
    health_check_path: str | None
    autocompress: bool
    autocompress_max_size: int
    autocompress_cache_size: int
    directories: Mapping[str, str | os.PathLike[str]] | None
    spa_fallback: str | None
    spa_fallback_app_first: bool
    not_found_file: str | os.PathLike[str] | None
    error_responses: Mapping[int, str | os.PathLike[str] | bytes] | None
    cors_allow_origins: Sequence[str] | str | None
    cors_max_age: int
    autorefresh: bool
    path_resolver: Callable[[str], str | os.PathLike[str] | None] | None
    path_resolver_roots: Sequence[str | os.PathLike[str]] | None
    request_id_header: str | None
    on_request: Callable[[Any], Any] | Sequence[Callable[[Any], Any]] | None


# option → the header it sets (each precomputed once, on every response about a file)
SECURITY_HEADER_OPTIONS = {
    "hsts": b"strict-transport-security",
    "csp": b"content-security-policy",
    "referrer_policy": b"referrer-policy",
    "permissions_policy": b"permissions-policy",
    "cross_origin_resource_policy": b"cross-origin-resource-policy",
}


@dataclass(frozen=True)
class Config:
    """The validated options, with their defaults.

    - ``directory``: the folder to serve, indexed once at construction.
    - ``prefix``: the URL path it is served under (``/static/``).
    - ``index_file``: served for ``/dir/``; ``/dir`` redirects to it. None turns both off.
    - ``allow_hidden``: serve names starting with ``.`` (``/.well-known/`` always is).
    - ``follow_symlinks_outside``: serve symlinks whose target is outside the folder.
    - ``cache_max_age``: ``max-age`` of ordinary files (hashed names are immutable, HTML
      ``no-cache``).
    - ``immutable_pattern``: a regex on the URL path marking content-hashed names.
    - ``charset``: added to text-like media types; None to omit.
    - ``mime_types``: ``{".ext" or file name: media type}`` overrides.
    - ``max_memory_file_size`` / ``memory_budget``: which files are held in memory.
    - ``hash_max_file_size``: larger files get an ETag from size and mtime, not their bytes.
    - ``chunk_size``: read size when streaming from disk.
    - ``enabled``: False makes the app a pure pass-through (a CDN or nginx serves the files):
      nothing is indexed and the directory need not exist.
    - ``manifest_path``: a Django ``staticfiles.json``, webpack or Vite manifest (relative to
      ``directory`` unless absolute); the files it lists are immutable whatever their names.
      Held here as the set of listed paths, ``manifest_files``.
    - ``cache_control``: ``{"pattern": "value"}`` rules, first match wins, before every default
      (see ``_cache_policy``). Held here compiled.
    - ``add_headers``: ``add_headers(path, url) -> {name: value}``, called once per file at
      start-up; the headers go on every response about that file.
    - ``security_headers``: ``X-Content-Type-Options: nosniff`` on every file response;
      ``hsts``, ``csp``, ``referrer_policy``, ``permissions_policy`` and
      ``cross_origin_resource_policy`` set those headers' values. Held here together as
      ``security``, the encoded header list.
    - ``html_extension_fallback``: ``/about`` also serves ``about.html`` (clean URLs), unless a
      file named ``about`` exists; a directory redirect for ``/about`` wins over it.
    - ``health_check_path``: a URL path (``/healthz``) answering ``200 OK`` with
      ``Cache-Control: no-store``; it takes precedence over a file at that path.
    - ``autocompress``: compress files without pre-built variants on first request, in a
      worker thread, and keep the results in memory (see ``_autocompress``);
      ``autocompress_max_size`` bounds the files, ``autocompress_cache_size`` the bytes held.
    - ``directories``: ``{"/media/": "uploads"}``, more folders served under their own URL
      prefixes beside ``directory`` (see ``_mounts``); ``directory`` may then be omitted.
    - ``spa_fallback``: the file (relative to ``directory``) a navigation request that misses
      gets, with status 200 and ``no-cache`` (see ``_spa``); as middleware, the wrapped app
      answers first unless ``spa_fallback_app_first`` is False.
    - ``not_found_file`` and ``error_responses``: the bodies of the 404s (and 405, 412, 416,
      503s) ferrostatic answers itself (see ``_errors``); held here loaded, as ``error_bodies``.
    - ``cors_allow_origins``: origins (or ``"*"``) allowed to read the files cross-origin;
      ``cors_max_age`` how long a browser may cache a preflight (see ``_cors``).
    - ``autorefresh``: files added, changed or removed after start-up are served as they are
      now, without a restart (see ``_dynamic``); for development.
    - ``path_resolver``: ``path_resolver(url_path) -> file path | None`` for URLs missing from
      the index; what it returns must lie in ``path_resolver_roots`` (default: the folders
      served).
    - ``request_id_header``: a request header (``X-Request-ID``) whose well-formed value is
      echoed on the response, otherwise a generated id (see ``_request_id``).
    - ``on_request``: a function, or a list, called with a ``RequestInfo`` once per response
      ferrostatic produces (see ``_observe``).

    Every option can also come from ``FERROSTATIC_<OPTION>`` in the environment; an explicit
    argument wins.
    """

    directory: Path
    prefix: str = "/"
    index_file: str | None = "index.html"
    allow_hidden: bool = False
    follow_symlinks_outside: bool = False
    cache_max_age: int = 60
    immutable_pattern: re.Pattern[str] | None = DEFAULT_IMMUTABLE_PATTERN
    charset: str | None = "utf-8"
    mime_types: Mapping[str, str] | None = None
    max_memory_file_size: int = 256 * KIB
    memory_budget: int = 64 * MIB
    hash_max_file_size: int = 64 * MIB
    chunk_size: int = 512 * KIB
    enabled: bool = True
    manifest_path: Path | None = None
    manifest_files: frozenset[str] = frozenset()
    cache_control: tuple[tuple[re.Pattern[str], bytes], ...] = ()
    add_headers: Callable[[str, str], Mapping[str, str]] | None = None
    security: tuple[tuple[bytes, bytes], ...] = ()
    html_extension_fallback: bool = False
    health_check_path: str | None = None
    autocompress: bool = False
    autocompress_max_size: int = 1 * MIB
    autocompress_cache_size: int = 32 * MIB
    serve_directory: bool = True
    """False when only ``directories`` were given: ``directory`` is then a placeholder."""
    directories: tuple[tuple[str, Path], ...] = ()
    spa_fallback: str | None = None
    spa_fallback_app_first: bool = True
    error_bodies: Mapping[int, ErrorBody] = field(default_factory=dict)
    cors_allow_origins: frozenset[str] = frozenset()
    cors_max_age: int = 7200
    autorefresh: bool = False
    path_resolver: Callable[[str], str | os.PathLike[str] | None] | None = None
    path_resolver_roots: tuple[Path, ...] = ()
    request_id_header: str | None = None
    on_request: tuple[Callable[[Any], Any], ...] = ()

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> Config:
        """Validate keyword options, completed from ``FERROSTATIC_*`` variables in ``environ``
        (``os.environ`` by default); raise ``ConfigError`` for the first one that is wrong."""
        unknown = sorted(set(options) - set(Options.__annotations__))
        if unknown:
            raise TypeError(
                f"unexpected keyword argument {unknown[0]!r}; "
                f"the options are: {', '.join(Options.__annotations__)}"
            )
        from_environ = options_from_environ(os.environ if environ is None else environ, options)
        try:
            return cls._validated({**from_environ, **options})
        except ConfigError as error:
            option = str(error).split(":", 1)[0]
            if option in from_environ:
                raise ConfigError(f"{variable_name(option)}: {error}") from None
            raise

    @classmethod
    def _validated(cls, options: Mapping[str, Any]) -> Config:
        values = dict(options)
        if "enabled" in values and not isinstance(values["enabled"], bool):
            raise ConfigError(f"enabled: expected True or False, got {values['enabled']!r}")
        if values.get("directories") is not None:
            values["directories"] = _directories(values["directories"], values.get("enabled", True))
        if values.get("directory") is None:
            if values.get("enabled", True) and not values.get("directories"):
                raise ConfigError(
                    "directory: required; pass the folder to serve, e.g. directory='static'"
                )
            values["directory"] = Path()
            values["serve_directory"] = False
        elif values.get("enabled", True):
            values["directory"] = _directory(values["directory"])
        else:
            values["directory"] = Path(os.fsdecode(values["directory"]))
        if "prefix" in values:
            values["prefix"] = _prefix(values["prefix"])
        if "index_file" in values:
            values["index_file"] = _index_file(values["index_file"])
        if values.get("health_check_path") is not None:
            values["health_check_path"] = _health_check_path(values["health_check_path"])
        for name in (
            "allow_hidden",
            "follow_symlinks_outside",
            "html_extension_fallback",
            "autocompress",
            "spa_fallback_app_first",
            "autorefresh",
        ):
            if name in values and not isinstance(values[name], bool):
                raise ConfigError(f"{name}: expected True or False, got {values[name]!r}")
        for name, minimum in (
            ("cache_max_age", 0),
            ("max_memory_file_size", 0),
            ("memory_budget", 0),
            ("hash_max_file_size", 0),
            ("chunk_size", 1),
            ("autocompress_max_size", 0),
            ("autocompress_cache_size", 0),
            ("cors_max_age", 0),
        ):
            if name in values:
                values[name] = _integer(name, values[name], minimum)
        if "immutable_pattern" in values:
            values["immutable_pattern"] = _pattern(values["immutable_pattern"])
        if "charset" in values:
            values["charset"] = _charset(values["charset"])
        if "mime_types" in values:
            values["mime_types"] = _mime_types(values["mime_types"])
        if values.get("manifest_path") is not None:
            values["manifest_path"], values["manifest_files"] = _manifest(
                values["manifest_path"], values["directory"]
            )
        if "cache_control" in values:
            values["cache_control"] = _cache_rules(values["cache_control"])
        if values.get("add_headers") is not None and not callable(values["add_headers"]):
            raise ConfigError(
                "add_headers: expected a function (path, url) -> dict, "
                f"got {values['add_headers']!r}"
            )
        values["security"] = _security_headers(values)
        _later_options(values)
        return cls(**values)


def _directory(value: object) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"directory: expected a path (str or os.PathLike), got {value!r}")
    path = Path(os.fsdecode(value)).expanduser()
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise ConfigError(
            f"directory: {str(path)!r} {what}; create it or pass the folder to serve "
            f"(relative paths are resolved from {os.getcwd()!r})"
        )
    return path.resolve()


def _prefix(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/") or "//" in value:
        raise ConfigError(
            f"prefix: expected a URL path starting with '/', such as '/static/'; got {value!r}"
        )
    if any(part in (".", "..") for part in value.split("/")):
        raise ConfigError(f"prefix: must not contain '.' or '..' segments; got {value!r}")
    return value if value.endswith("/") else value + "/"


def _index_file(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or "/" in value or value in (".", ".."):
        raise ConfigError(
            f"index_file: expected a file name such as 'index.html', or None; got {value!r}"
        )
    return value


def _integer(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return value


def _pattern(value: object) -> re.Pattern[str] | None:
    if value is None or (isinstance(value, re.Pattern) and isinstance(value.pattern, str)):
        return value
    if not isinstance(value, str):
        raise ConfigError(
            f"immutable_pattern: expected a regular expression (str or re.Pattern) or None, "
            f"got {value!r}"
        )
    try:
        return re.compile(value)
    except re.error as error:
        raise ConfigError(f"immutable_pattern: {value!r} is not a valid regex: {error}") from None


def _charset(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9!#$%&'+^_`{}~.-]+", value):
        raise ConfigError(
            f"charset: expected a charset name such as 'utf-8', or None; got {value!r}"
        )
    return value


# type/subtype, then parameters in printable ASCII only: the value becomes a header field.
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+(;[\t\x20-\x7e]*)?", re.ASCII)


def _mime_types(value: object) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"mime_types: expected a dict like {{'.ext': 'type/subtype'}}, got {value!r}"
        )
    checked: dict[str, str] = {}
    for key, media_type in value.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"mime_types: keys are '.ext' or a file name, got {key!r}")
        if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
            raise ConfigError(
                f"mime_types: {key!r} maps to {media_type!r}, which is not a media type "
                "such as 'application/epub+zip'"
            )
        checked[key.lower()] = media_type
    return checked


def _manifest(value: object, directory: Path) -> tuple[Path, frozenset[str]]:
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"manifest_path: expected a path, got {value!r}")
    path = directory / os.fsdecode(value)
    try:
        listed = manifest_paths(read_manifest(path))
    except ValueError as error:
        raise ConfigError(
            f"manifest_path: {error}; give the staticfiles.json, webpack or Vite manifest "
            "(relative to the directory, or absolute)"
        ) from None
    return path, frozenset(listed)


def _cache_rules(value: object) -> tuple[tuple[re.Pattern[str], bytes], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"cache_control: expected a dict like {{'*.html': 'no-cache'}}, got {value!r}"
        )
    for pattern, header in value.items():
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError(f"cache_control: patterns are non-empty strings, got {pattern!r}")
        if not isinstance(header, str) or not re.fullmatch(r"[\x20-\x7e]+", header):
            raise ConfigError(
                f"cache_control: {pattern!r} maps to {header!r}; expected a Cache-Control "
                "value in visible ASCII, such as 'public, max-age=600'"
            )
    return compile_rules(value)


def _security_headers(values: dict[str, Any]) -> tuple[tuple[bytes, bytes], ...]:
    """Pop the security options from ``values`` and encode the headers they set."""
    headers: list[tuple[bytes, bytes]] = []
    enabled = values.pop("security_headers", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"security_headers: expected True or False, got {enabled!r}")
    if enabled:
        headers.append((b"x-content-type-options", b"nosniff"))
    for option, header in SECURITY_HEADER_OPTIONS.items():
        value = values.pop(option, None)
        if value is None:
            continue
        if not isinstance(value, str) or not re.fullmatch(r"[\x20-\x7e]+", value.strip()):
            raise ConfigError(
                f"{option}: expected the {header.decode()} header value as visible ASCII text, "
                f"got {value!r}"
            )
        headers.append((header, value.strip().encode("ascii")))
    return tuple(headers)


def _health_check_path(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"/[\x21-\x7e]*", value):
        raise ConfigError(
            f"health_check_path: expected a URL path such as '/healthz', got {value!r}"
        )
    return value


def _directories(value: object, enabled: object) -> tuple[tuple[str, Path], ...]:
    """``{prefix: folder}`` checked like ``prefix`` and ``directory``, longest prefix first."""
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"directories: expected a dict like {{'/media/': 'uploads'}}, got {value!r}"
        )
    checked: dict[str, Path] = {}
    for prefix, folder in value.items():
        try:
            key = _prefix(prefix)
            path = _directory(folder) if enabled else Path(os.fsdecode(folder))
        except ConfigError as error:
            raise ConfigError(f"directories: {prefix!r}: {str(error).split(': ', 1)[1]}") from None
        except TypeError:
            raise ConfigError(f"directories: {prefix!r} maps to {folder!r}, not a path") from None
        if key in checked:
            raise ConfigError(f"directories: the prefix {key!r} is given twice")
        checked[key] = path
    return tuple(sorted(checked.items(), key=lambda item: -len(item[0])))


def _origins(value: object) -> frozenset[str]:
    """``cors_allow_origins``: ``"*"``, or origins as browsers send them (RFC 6454 §6.2)."""
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise ConfigError(
            f"cors_allow_origins: expected a list such as ['https://app.example.com'] or "
            f"['*'], got {value!r}"
        )
    origins: set[str] = set()
    for origin in items:
        if origin == "*":
            origins.add(origin)
            continue
        if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"cors_allow_origins: {origin!r} is not an origin; write scheme://host[:port] "
                "with no path or trailing slash, such as 'https://app.example.com', or '*'"
            )
        # Browsers leave the default port out of Origin (RFC 6454 §6.2).
        origins.add(re.sub(r"^(https://[^/]*):443$|^(http://[^/]*):80$", r"\1\2", origin.lower()))
    if "*" in origins and len(origins) > 1:
        raise ConfigError("cors_allow_origins: '*' allows every origin; list no others with it")
    return frozenset(origins)


_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9.\[\]:_-]+")


def _header_name(option: str, value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", value):
        raise ConfigError(f"{option}: expected a header name such as 'X-Request-ID', got {value!r}")
    return value.lower()


def _spa_fallback(value: object, directory: Path) -> str:
    if (
        not isinstance(value, str)
        or not value
        or value.startswith("/")
        or any(part in ("", ".", "..") for part in value.split("/"))
    ):
        raise ConfigError(
            f"spa_fallback: expected a file path relative to the directory, such as "
            f"'index.html'; got {value!r}"
        )
    if not (directory / value).is_file():
        raise ConfigError(
            f"spa_fallback: {str(directory / value)!r} is not a file; build the app first or "
            "name the page it serves for every route"
        )
    return value


def _roots(value: object) -> tuple[Path, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"path_resolver_roots: expected a list of folders, got {value!r}")
    roots: list[Path] = []
    for folder in value:
        try:
            roots.append(_directory(folder))
        except ConfigError as error:
            raise ConfigError(f"path_resolver_roots: {str(error).split(': ', 1)[1]}") from None
    return tuple(roots)


def _later_options(values: dict[str, Any]) -> None:
    """Validate, in place, the options of pages, CORS, development mode and observability."""
    directory: Path = values["directory"]
    if not values.get("enabled", True):
        # Switched off, the files are elsewhere (a CDN): nothing to read or check on disk.
        values.pop("error_responses", None)
        values.pop("not_found_file", None)
        values["cors_allow_origins"] = _origins(values.get("cors_allow_origins"))
        values["on_request"] = hooks_from_option(values.get("on_request"))
        return
    if values.get("spa_fallback") is not None:
        if not values.get("serve_directory", True):
            raise ConfigError(
                "spa_fallback: the page is a file of directory; give directory= as well"
            )
        values["spa_fallback"] = _spa_fallback(values["spa_fallback"], directory)
    values["error_bodies"] = load_error_bodies(
        values.pop("error_responses", None),
        values.pop("not_found_file", None),
        directory,
        values.get("charset", "utf-8"),
    )
    values["cors_allow_origins"] = _origins(values.get("cors_allow_origins"))
    resolver = values.get("path_resolver")
    if resolver is not None and not callable(resolver):
        raise ConfigError(
            f"path_resolver: expected a function url_path -> file path or None, got {resolver!r}"
        )
    roots = values.get("path_resolver_roots")
    if roots is not None:
        values["path_resolver_roots"] = _roots(roots)
    elif resolver is not None:
        served = [directory] if values.get("serve_directory", True) else []
        values["path_resolver_roots"] = (*served, *(p for _, p in values.get("directories", ())))
    else:
        values["path_resolver_roots"] = ()
    if values.get("request_id_header") is not None:
        values["request_id_header"] = _header_name("request_id_header", values["request_id_header"])
    values["on_request"] = hooks_from_option(values.get("on_request"))
    if values.get("autorefresh"):
        values["max_memory_file_size"] = 0  # an edit must show at the next request
