"""Which Cache-Control each file gets, decided once per file at start-up.

In order, the first that applies:

1. a ``cache_control`` rule whose pattern matches the file (first match wins);
2. ``public, max-age=31536000, immutable`` for a file listed in the build manifest
   (``manifest_path``) or whose URL matches ``immutable_pattern`` (a content hash in its name);
3. ``no-cache`` for HTML, so a deploy is visible at once;
4. ``public, max-age=<cache_max_age>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["IMMUTABLE", "NO_CACHE", "compile_rules", "manifest_paths", "read_manifest"]

IMMUTABLE = b"public, max-age=31536000, immutable"
NO_CACHE = b"no-cache"


def compile_rules(rules: Mapping[str, str]) -> tuple[tuple[re.Pattern[str], bytes], ...]:
    """Compile ``{"pattern": "cache-control value"}`` rules, keeping their order.

    A pattern starting with ``/`` matches the whole URL path (prefix included); any other
    pattern matches the file name. ``*`` matches within one path segment, ``**`` across
    segments, ``?`` one character; everything else is literal.
    """
    return tuple((_glob(pattern), value.encode("latin-1")) for pattern, value in rules.items())


def _glob(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/")
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    translated = "".join(
        {"**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part)) for part in parts
    )
    return re.compile(translated if anchored else r"(?:^|.*/)" + translated, re.DOTALL)


def read_manifest(path: Path) -> Any:
    """The parsed JSON of a build manifest; ``ValueError`` (with the reason) if unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read {str(path)!r} as JSON: {error}") from None


def manifest_paths(manifest: Any) -> set[str]:
    """The hashed output files a manifest lists, as paths relative to the served folder, or as
    absolute URL paths (starting with ``/``) when the manifest writes them that way.

    - Django (``ManifestStaticFilesStorage``, versions 1.0/1.1): ``{"paths": {name: hashed}}``.
    - Vite: ``{source: {"file": ..., "css": [...], "assets": [...]}}``.
    - webpack (``webpack-manifest-plugin``): ``{name: output}``, outputs possibly carrying the
      public path (``/static/…``, ``auto/…`` or a full URL).
    """
    if not isinstance(manifest, dict):
        raise ValueError("expected a JSON object")
    paths = manifest.get("paths")
    if isinstance(paths, dict) and "version" in manifest:
        return {_relative(value) for value in paths.values() if isinstance(value, str)}
    found: set[str] = set()
    for entry in manifest.values():
        if isinstance(entry, str):
            found.add(_relative(entry))
        elif isinstance(entry, dict):
            found.update(_relative(value) for value in _vite_outputs(entry))
    return found


def _vite_outputs(entry: Mapping[str, Any]) -> Iterable[str]:
    if isinstance(entry.get("file"), str):
        yield entry["file"]
    for key in ("css", "assets"):
        values = entry.get(key)
        if isinstance(values, list):
            yield from (value for value in values if isinstance(value, str))


def _relative(output: str) -> str:
    if "://" in output or output.startswith("//"):
        return urlsplit(output).path
    if output.startswith("auto/"):  # webpack's publicPath "auto"
        return output[len("auto/") :]
    return output.removeprefix("./")
