"""A pre-flight check of a folder before it is deployed and served (``ferrostatic validate``).

``validate(directory, options)`` indexes the folder exactly as the server would and returns a
``Report``: one ``Check`` per topic, each ``ok``, ``warn`` or ``fail``, with the paths
concerned. ``Report.to_json()`` is the stable, documented form (``docs/cli.md``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import _backend
from ._cache_policy import manifest_paths, read_manifest
from ._index import Index, build_index
from ._types import Resource
from .compress import FORMATS, STATE_FILE, find_codecs
from .config import Config, ConfigError

__all__ = [
    "EXPECTED_HIDDEN",
    "MANIFEST_CANDIDATES",
    "SCHEMA_VERSION",
    "Check",
    "Report",
    "validate",
]

SCHEMA_VERSION = 1

Level = Literal["ok", "warn", "fail"]

EXPECTED_HIDDEN = frozenset({STATE_FILE, ".vite"})
"""Hidden names that belong in a build folder and are not reported: ``ferrostatic compress``'s
state files, and Vite's ``.vite/`` (its manifest)."""

MANIFEST_CANDIDATES = ("staticfiles.json", "manifest.json", ".vite/manifest.json")
"""Looked for in the folder, in this order, when no manifest is named."""


@dataclass(frozen=True)
class Check:
    """One line of the report: a stable ``name``, a level, a sentence, and the paths concerned."""

    name: str
    level: Level
    message: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """Every check, in a fixed order, and the facts a deploy script may want to record."""

    directory: str
    strict: bool
    checks: tuple[Check, ...]
    files: int = 0
    bytes: int = 0
    variants: int = 0
    router: str = ""
    codecs: dict[str, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No check failed (with ``strict``, no check warned either: warnings count as fails)."""
        return all(check.level != "fail" for check in self.checks)

    def count(self, level: Level) -> int:
        """How many checks are at ``level``."""
        return sum(1 for check in self.checks if check.level == level)

    def to_json(self) -> dict[str, Any]:
        """The report as ``--json`` prints it (schema in ``docs/cli.md``)."""
        return {
            "schema": SCHEMA_VERSION,
            "directory": self.directory,
            "ok": self.ok,
            "strict": self.strict,
            "summary": {level: self.count(level) for level in ("ok", "warn", "fail")},
            "files": {"count": self.files, "bytes": self.bytes, "variants": self.variants},
            "router": self.router,
            "codecs": self.codecs,
            "checks": [
                {
                    "name": check.name,
                    "level": check.level,
                    "message": check.message,
                    "items": list(check.items),
                }
                for check in self.checks
            ],
        }


def validate(
    directory: str | os.PathLike[str],
    options: Mapping[str, Any] | None = None,
    *,
    manifest: str | os.PathLike[str] | None = None,
    strict: bool = False,
) -> Report:
    """Check ``directory`` as ``Ferrostatic(directory=..., **options)`` would serve it.

    ``manifest`` names a build manifest to check against the folder (Django's
    ``staticfiles.json``, a webpack or a Vite manifest); without it, ``MANIFEST_CANDIDATES``
    are looked for in the folder. With ``strict``, every warning is reported as a failure.
    """
    path = Path(directory).expanduser()
    checks: list[Check] = []
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        checks.append(Check("directory", "fail", f"{str(path)!r} {what}"))
        return _finish(str(path), strict, checks)
    try:
        with os.scandir(path) as entries:
            next(entries, None)
    except OSError as error:
        checks.append(Check("directory", "fail", f"{str(path)!r} cannot be read: {error}"))
        return _finish(str(path), strict, checks)
    checks.append(Check("directory", "ok", f"{str(path.resolve())!r} exists and is readable"))

    config, check = _options(path, options or {})
    checks.append(check)
    index = _quiet_index(config) if config.enabled else Index()
    files = _served(config, index)
    total = sum(size for size, _ in files.values())
    variants = sum(count for _, count in files.values())
    checks.append(
        Check(
            "files",
            "ok" if files else "warn",
            f"{len(files)} file{_s(len(files))}, {_human(total)}, "
            f"{variants} pre-compressed variant{_s(variants)}"
            if files
            else "no file would be served",
        )
    )
    checks.append(
        _listing(
            "unreadable",
            "fail",
            index.unreadable,
            ("file", "files"),
            "unreadable or named in bytes that are not UTF-8: not served",
            "every file can be read",
        )
    )
    checks.append(
        _listing(
            "stale_variants",
            "warn",
            index.stale_variants,
            ("variant", "variants"),
            "older than the source: not served (ferrostatic compress rebuilds them)",
            "no variant is older than its source",
        )
    )
    checks.append(
        _listing(
            "larger_variants",
            "warn",
            list(_larger_variants(config, index)),
            ("variant", "variants"),
            "larger than the source (delete them, or run ferrostatic compress)",
            "every variant is smaller than its source",
        )
    )
    hidden = [rel for rel in index.hidden if os.path.basename(rel) not in EXPECTED_HIDDEN]
    checks.append(
        _listing(
            "hidden",
            "warn",
            hidden,
            ("hidden file or folder", "hidden files or folders"),
            "not served (--allow-hidden serves them)",
            "no hidden file (besides " + ", ".join(sorted(EXPECTED_HIDDEN)) + ")",
        )
    )
    checks.append(
        _listing(
            "outside_symlinks",
            "warn",
            index.outside_symlinks,
            ("symlink", "symlinks"),
            "leading out of the folder: not served (--follow-symlinks-outside serves them)",
            "no symlink leads out of the folder",
        )
    )
    checks.append(
        _listing(
            "media_types",
            "warn",
            [
                rel
                for rel, resource_type in _content_types(config, index)
                if resource_type.startswith("application/octet-stream")
            ],
            ("file", "files"),
            "of no known media type: served as application/octet-stream "
            "(--mime-type .ext=type/subtype names one)",
            "every file has a known media type",
        )
    )
    checks.append(_manifest_check(config, set(files), manifest))
    router_check, router = _router()
    checks.append(router_check)
    codecs_check, codecs = _codecs()
    checks.append(codecs_check)
    return _finish(
        str(config.directory), strict, checks, len(files), total, variants, router, codecs
    )


def _finish(
    directory: str,
    strict: bool,
    checks: list[Check],
    files: int = 0,
    total: int = 0,
    variants: int = 0,
    router: str = "",
    codecs: dict[str, str | None] | None = None,
) -> Report:
    if strict:
        checks = [
            Check(c.name, "fail", c.message, c.items) if c.level == "warn" else c for c in checks
        ]
    return Report(directory, strict, tuple(checks), files, total, variants, router, codecs or {})


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError  # pragma: no cover


def _options(path: Path, options: Mapping[str, Any]) -> tuple[Config, Check]:
    try:
        config = Config.from_options({**options, "directory": path})
    except (ConfigError, TypeError) as error:
        # The other checks still run, with the default options, so one run shows everything.
        fallback = Config.from_options({"directory": path}, environ={})
        return fallback, Check("options", "fail", f"{error} (checked with the defaults)")
    if not config.enabled:
        return config, Check("options", "warn", "enabled is false: nothing would be served")
    given = ", ".join(sorted(options)) or "none given, defaults"
    return config, Check("options", "ok", f"valid ({given})")


def _quiet_index(config: Config) -> Index:
    # The index logs what it leaves out; here that is what the report is for.
    logger = logging.getLogger("ferrostatic")
    disabled, logger.disabled = logger.disabled, True
    try:
        return build_index(config)
    finally:
        logger.disabled = disabled


def _rel(config: Config, path: str) -> str:
    return os.path.relpath(path, config.directory).replace(os.sep, "/")


def _files(index: Index) -> Iterator[Resource]:
    """The resources that are files (not the health check, which has no path)."""
    return (resource for resource in index.resources if resource.variants[0].path)


def _served(config: Config, index: Index) -> dict[str, tuple[int, int]]:
    """Each served file (relative path) with its size and number of variants."""
    served: dict[str, tuple[int, int]] = {}
    for resource in _files(index):
        identity = resource.variants[0]
        served[_rel(config, identity.path)] = (identity.size, len(resource.variants) - 1)
    return served


def _larger_variants(config: Config, index: Index) -> Iterator[str]:
    for resource in _files(index):
        identity, *coded = resource.variants
        for variant in coded:
            if variant.size > identity.size:
                yield f"{_rel(config, variant.path)} ({variant.size} > {identity.size} bytes)"


def _content_types(config: Config, index: Index) -> Iterator[tuple[str, str]]:
    for resource in _files(index):
        yield _rel(config, resource.variants[0].path), resource.content_type.decode("latin-1")


def _listing(
    name: str, level: Level, items: list[str], what: tuple[str, str], problem: str, fine: str
) -> Check:
    """A check listing paths: ``fine`` with none, else "<count> <what> <problem>"."""
    if not items:
        return Check(name, "ok", fine)
    noun = what[0] if len(items) == 1 else what[1]
    return Check(name, level, f"{len(items)} {noun} {problem}", tuple(sorted(items)))


# --- Manifests --------------------------------------------------------------------------------


def _manifest_check(
    config: Config, served: set[str], given: str | os.PathLike[str] | None
) -> Check:
    if given is None and config.manifest_path is not None:
        given = config.manifest_path
    if given is not None:
        path = Path(given).expanduser()
        if not path.is_file():
            return Check("manifest", "fail", f"{str(path)!r} does not exist")
    else:
        found = [config.directory / name for name in MANIFEST_CANDIDATES]
        existing = [candidate for candidate in found if candidate.is_file()]
        if not existing:
            listed = ", ".join(MANIFEST_CANDIDATES)
            return Check("manifest", "ok", f"no manifest found ({listed})")
        path = existing[0]
    inside = path.resolve().is_relative_to(config.directory)
    shown = _rel(config, str(path)) if inside else str(path)
    try:
        data = read_manifest(path)
    except ValueError as error:
        return Check("manifest", "fail", f"{shown}: {error}")
    kind = _manifest_kind(data)
    if kind is None:
        level: Level = "ok" if given is None else "fail"
        message = f"{shown}: not a Django, webpack or Vite manifest; not checked"
        return Check("manifest", level, message)
    external = 0
    if kind == "webpack":  # files on another host are not this folder's to serve
        local = {key: url for key, url in data.items() if not _is_external(url)}
        external = len(data) - len(local)
        data = local
    entries = sorted(manifest_paths(data))
    missing = []
    for entry in entries:
        rel = _served_path(entry, config.prefix)
        if rel in served:
            continue
        on_disk = (config.directory / rel).is_file()
        missing.append(f"{entry} ({'on disk but not served' if on_disk else 'missing'})")
    if missing:
        return Check(
            "manifest",
            "fail",
            f"{shown} ({kind}): {len(missing)} of {len(entries)} entries not served",
            tuple(missing),
        )
    elsewhere = f"; {external} on another host, not checked" if external else ""
    return Check(
        "manifest", "ok", f"{shown} ({kind}): all {len(entries)} entries served{elsewhere}"
    )


def _is_external(url: str) -> bool:
    return url.startswith("//") or "://" in url


# Members of a web app manifest (W3C Web Application Manifest), which is also often named
# manifest.json and lists no build output.
_WEB_APP_MEMBERS = frozenset(
    {"start_url", "short_name", "display", "icons", "scope", "theme_color", "background_color"}
)


def _manifest_kind(data: object) -> str | None:
    """Which build manifest this is, or None when it is none of those ferrostatic reads."""
    if not isinstance(data, dict) or not data or _WEB_APP_MEMBERS & set(data):
        return None
    if isinstance(data.get("paths"), dict) and "version" in data:
        return f"Django staticfiles {data['version']}"
    if all(isinstance(v, dict) and isinstance(v.get("file"), str) for v in data.values()):
        return "Vite"
    if all(isinstance(v, str) for v in data.values()):
        return "webpack"
    return None


def _served_path(entry: str, prefix: str) -> str:
    """A manifest entry as a path relative to the served folder (absolute ones lose the
    prefix the folder is served under)."""
    if entry.startswith(prefix):
        return entry[len(prefix) :]
    return entry.lstrip("/")


# --- Environment ------------------------------------------------------------------------------


def _router() -> tuple[Check, str]:
    chosen = os.environ.get("FERROSTATIC_BACKEND", "auto").strip().lower() or "auto"
    if _backend.BACKEND == "rust":
        return Check("router", "ok", "rust (the compiled core)"), "rust"
    if chosen == "python":
        return Check("router", "ok", "python (FERROSTATIC_BACKEND=python)"), "python"
    return (
        Check(
            "router",
            "warn",
            "python: the compiled core is not available (same behaviour, slower); "
            "install a wheel for this platform",
        ),
        "python",
    )


def _codecs() -> tuple[Check, dict[str, str | None]]:
    found, missing = find_codecs()
    codecs: dict[str, str | None] = {
        fmt: found[fmt].implementation if fmt in found else None for fmt in FORMATS
    }
    by_implementation: dict[str, list[str]] = {}
    for fmt, codec in found.items():
        by_implementation.setdefault(codec.implementation, []).append(fmt)
    described = "; ".join(
        f"{', '.join(formats)}: {implementation}"
        for implementation, formats in by_implementation.items()
    )
    if missing:
        items = tuple(f"{fmt}: {reason}" for fmt, reason in missing.items())
        return (
            Check(
                "codecs",
                "warn",
                f"ferrostatic compress would skip {', '.join(missing)}"
                + (f" ({described})" if described else ""),
                items,
            ),
            codecs,
        )
    return Check("codecs", "ok", described), codecs
