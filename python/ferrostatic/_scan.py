"""The start-up walk done by the compiled core, written straight into its router.

``_index.build_index`` describes every file as a Python ``Resource``: at 100,000 files that is
seconds of start-up and hundreds of bytes per file of Python objects that the router copies and
drops. Here the walk, the grouping of pre-compressed siblings and the hashing run in Rust
(``_core.scan``: every core, the GIL released); what depends on Python options is computed
here, once per distinct value where it can be, and handed over as lists:

- Content-Type, from the lower-cased name's suffixes (one lookup per distinct suffix);
- Cache-Control, from the URL (rules, manifest, ``immutable_pattern``) and the Content-Type;
- the extra headers: the security headers, or ``add_headers(path, url)`` per file.

Both walks follow the same rules and must describe every tree alike (``tests/test_scan.py``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from ._cache_policy import IMMUTABLE, NO_CACHE
from ._index import (
    Index,
    _cache_control,
    _directory_redirect,
    _extra_headers,
    prefix_redirect,
)
from ._types import Redirect, Resource
from .config import Config
from .media_types import DEFAULT_MEDIA_TYPES, media_type_for

__all__ = ["available", "scanned_router"]

logger = logging.getLogger("ferrostatic")

try:
    from . import _core
except ImportError:  # pragma: no cover - the pure-Python install
    _core = None  # type: ignore[assignment]

Header = tuple[bytes, bytes]


def available(config: Config, router_class: type) -> bool:
    """Whether this root can be indexed by the compiled walk: the compiled router is the one
    in use, and no option needs the per-file ``Resource`` records (``autocompress`` does)."""
    return _core is not None and router_class is _core.Router and not config.autocompress


def scanned_router(
    config: Config, *, standalone: bool, year: int, extra: Sequence[Resource] = ()
) -> tuple[Any, Index]:
    """Index ``config.directory`` in Rust and build its router; ``extra`` resources (the health
    check) come after the files, as ``build_index`` appends them."""
    assert _core is not None
    root = str(config.directory)
    scan = _core.scan(
        root,
        allow_hidden=config.allow_hidden,
        follow_symlinks_outside=config.follow_symlinks_outside,
        index_file=config.index_file,
        html_extension_fallback=config.html_extension_fallback,
        hash_max_file_size=config.hash_max_file_size,
        threads=min(os.cpu_count() or 1, 8),
    )
    for message in scan.warnings:
        logger.warning("ferrostatic: %s", message)
    index = Index(
        hidden=scan.hidden,
        outside_symlinks=scan.outside_symlinks,
        stale_variants=scan.stale_variants,
        unreadable=scan.unreadable,
    )
    rels: list[str] = scan.files
    index.file_count = len(rels)
    prefix = config.prefix
    urls = [prefix + rel for rel in rels]
    content_types = _content_types(config, rels)
    cache_controls = _cache_controls(config, rels, urls, content_types)
    file_headers = (
        None
        if config.add_headers is None
        else [
            _extra_headers(config, f"{root}/{rel}", url)
            for rel, url in zip(rels, urls, strict=True)
        ]
    )
    redirects: list[Redirect] = []
    for rel_dir in scan.index_dirs:
        redirect = _directory_redirect(config, rel_dir) if rel_dir else prefix_redirect(config)
        if redirect is not None:
            redirects.append(redirect)
    router = _core.Router.from_scan(
        scan,
        prefix,
        [content_type.encode("latin-1") for content_type in content_types],
        cache_controls,
        config.security,
        file_headers,
        extra,
        redirects,
        standalone=standalone,
        current_year=year,
        memory_budget=config.memory_budget,
        max_memory_file_size=config.max_memory_file_size,
    )
    return router, index


def _content_types(config: Config, rels: list[str]) -> list[str]:
    """``media_type_for`` of each file's name, computed once per distinct suffix.

    The lookup keys of a name are the whole lower-cased name, then its dotted suffixes from the
    first dot on; unless the whole name is itself a key, the answer depends on that suffix
    alone, so files sharing it share one computation (and one string).
    """
    overrides = config.mime_types
    whole_names = set(DEFAULT_MEDIA_TYPES)
    if overrides:
        whole_names.update(key.lower() for key in overrides)
    memo: dict[str, str] = {}
    types: list[str] = []
    for rel in rels:
        name = rel.replace("\\", "/").rpartition("/")[2].lower()
        dot = name.find(".", 1)
        key = name if dot == -1 or name in whole_names else name[dot:]
        content_type = memo.get(key)
        if content_type is None:
            content_type = memo[key] = media_type_for(key, overrides, charset=config.charset)
        types.append(content_type)
    return types


def _cache_controls(
    config: Config, rels: list[str], urls: list[str], content_types: list[str]
) -> list[bytes | None]:
    """``_index._cache_control`` of each file; without rules or a manifest, only the immutable
    pattern and the Content-Type matter, and the loop is written out for them."""
    if config.cache_control or config.manifest_files:
        return [
            _cache_control(config, rel, url, content_type)
            for rel, url, content_type in zip(rels, urls, content_types, strict=True)
        ]
    default = b"public, max-age=%d" % config.cache_max_age
    html = {t for t in set(content_types) if t.startswith("text/html")}
    pattern = config.immutable_pattern
    if pattern is None:
        return [NO_CACHE if t in html else default for t in content_types]
    search = pattern.search
    return [
        IMMUTABLE if search(url) else NO_CACHE if t in html else default
        for url, t in zip(urls, content_types, strict=True)
    ]
