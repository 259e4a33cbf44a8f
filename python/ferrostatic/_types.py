"""What the start-up index hands to a router: one ``Resource`` per servable URL group.

Both routers (``ferrostatic._core.Router`` and ``ferrostatic._pure.Router``) are built from the
same lists of these tuples, in one call, and never change afterwards.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CODINGS", "Redirect", "Resource", "Variant"]

CODINGS = ("identity", "br", "zstd", "gzip")
"""The content codings a variant may have, in tie-break order when two variants are equal."""


class Variant(NamedTuple):
    """One representation of a resource: the file itself, or a pre-compressed sibling."""

    coding: str
    """``identity``, ``br``, ``zstd`` or ``gzip``."""
    path: str
    """Where the bytes are on disk (absolute)."""
    size: int
    mtime_ns: int
    """The file's modification time when indexed: a changed file is detected by it and size."""
    etag: bytes
    """The strong entity-tag, quotes included, derived from the bytes of this variant."""
    body: bytes | None
    """The whole file, when it is held in memory; None when it is read from disk per request."""


class Resource(NamedTuple):
    """A file and its variants, reachable under one or more URL paths."""

    urls: tuple[str, ...]
    """Decoded URL paths, each starting with ``/`` (``/dir/`` as well as ``/dir/index.html``)."""
    last_modified: int | None
    """Seconds since the epoch (the source file's mtime, floored), or None when unknown."""
    content_type: bytes
    cache_control: bytes | None
    variants: tuple[Variant, ...]
    """The identity variant first, then the pre-compressed ones."""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    """Extra response headers for every response about this file (200, 206, 304, 412, 416)."""


class Redirect(NamedTuple):
    """A URL that answers 301 (``/dir`` when ``/dir/`` has an index file)."""

    url: str
    location: bytes
    """A relative reference (``./dir/``) so it stays on this site under any mount prefix."""
    cache_control: bytes | None
