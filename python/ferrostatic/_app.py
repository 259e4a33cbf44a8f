"""What every adapter (ASGI, WSGI, Django) shares: options, index, router, changed files.

An adapter builds one ``StaticFiles``, calls ``resolve`` once per request, and sends the
``Decision``. For a decision about a file on disk (``decision.file`` set) it first checks the
file with ``unchanged`` and, when that fails, asks ``refresh`` (in a worker thread if it has an
event loop) for a decision about the file as it is now.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import IO, Any

from . import _backend
from ._autocompress import AutoCompressor, candidates
from ._index import Index, build_index, reindex_file
from ._pure import Decision, Router
from .config import Config

__all__ = [
    "INLINE_READ_MAX",
    "StaticFiles",
    "body_length",
    "open_unchanged",
    "read_at",
    "read_small_body",
    "unchanged",
]

Header = tuple[bytes, bytes]


class StaticFiles:
    """The validated options, the start-up index, and the router built from it."""

    def __init__(self, options: Mapping[str, Any], *, standalone: bool) -> None:
        """Validate ``options`` (raising ``ConfigError``), index the directory, build the router.

        ``standalone`` routers answer misses (404) and other methods (405) themselves;
        otherwise they leave them to the wrapped app.
        """
        self.config: Config = Config.from_options(options)
        self.index: Index = build_index(self.config) if self.config.enabled else Index()
        self.standalone = standalone
        self.year = time.gmtime().tm_year
        self.router: Router = _backend.Router(
            self.index.resources,
            self.index.redirects,
            standalone=standalone,
            current_year=self.year,
        )
        self.resolve = self.router.resolve
        """``resolve(method, path, query, headers) -> Decision | None``: one call a request."""
        self.autocompressor: AutoCompressor | None = None
        if self.config.autocompress:
            found = candidates(
                self.index.resources,
                self.config.autocompress_max_size,
                str(self.config.directory),
            )
            self.autocompressor = AutoCompressor(self, found)
            self.resolve = self.autocompressor.resolve
        # The router holds what it needs; the descriptions would double the memory per file.
        self.index.resources.clear()
        self.index.redirects.clear()
        self._refreshed: dict[str, Router] = {}
        self._refreshing = threading.Lock()

    def refresh(
        self, decision: Decision, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """Decide again about a file that changed or vanished since start-up; None if gone.

        Blocking (it may hash the file): call it off the event loop. The fresh description is
        kept, keyed by file, so later requests for the changed file do not re-read it.
        """
        assert decision.file is not None
        source = decision.file
        if decision.coding not in (None, "identity"):
            source = os.path.splitext(source)[0]
        try:
            rel = PurePath(source).relative_to(self.config.directory).as_posix()
        except ValueError:
            return None
        headers = list(headers)
        with self._refreshing:
            cached = self._refreshed.get(rel)
            if cached is not None:
                fresh = cached.resolve(method, path, query, headers)
                if fresh is not None and (fresh.file is None or unchanged(fresh)):
                    return fresh
            resource = reindex_file(self.config, rel)
            if resource is None:
                self._refreshed.pop(rel, None)
                return None
            router = type(self.router)(
                [resource], (), standalone=self.standalone, current_year=self.year
            )
            self._refreshed[rel] = router
        return router.resolve(method, path, query, headers)


def unchanged(decision: Decision) -> bool:
    """Whether the decision's file still has the size and mtime the decision was made with."""
    try:
        st = os.stat(decision.file)  # type: ignore[arg-type]
    except OSError:
        return False
    return st.st_size == decision.size and st.st_mtime_ns == decision.mtime_ns


def open_unchanged(decision: Decision) -> IO[bytes] | None:
    """Open the decision's file if it is still the one indexed; None if it changed or is gone."""
    try:
        file = open(decision.file, "rb", buffering=0)  # type: ignore[arg-type]  # noqa: SIM115
    except OSError:
        return None
    st = os.fstat(file.fileno())
    if st.st_size != decision.size or st.st_mtime_ns != decision.mtime_ns:
        file.close()
        return None
    return file


INLINE_READ_MAX = 128 * 1024
"""Bodies read from disk up to this size are read at once, on the calling thread: from the page
cache that costs less than handing the read to a worker thread and back."""


def read_small_body(decision: Decision) -> bytes | None:
    """The whole body of a decision whose file segments add up to at most ``INLINE_READ_MAX``,
    read now; None if the file changed or vanished since the decision was made."""
    file = open_unchanged(decision)
    if file is None:
        return None
    with file:
        parts = []
        for prefix, offset, length in decision.segments:
            parts.append(prefix)
            parts.append(
                os.pread(file.fileno(), length, offset) if _PREAD else read_at(file, offset, length)
            )
        parts.append(decision.body)
    body = b"".join(parts)
    return body if len(body) == body_length(decision) else None


_PREAD = hasattr(os, "pread")


def body_length(decision: Decision) -> int:
    """How many bytes a decision's body plan sends."""
    return sum(len(prefix) + length for prefix, _, length in decision.segments) + len(decision.body)


def read_at(file: IO[bytes], offset: int, length: int) -> bytes:
    """Up to ``length`` bytes of ``file`` from ``offset`` (fewer only at the end of the file)."""
    file.seek(offset)
    return file.read(length)
