"""On-the-fly compression (``autocompress=True``) for files without pre-built variants.

The first request for a compressible file is answered as usual (identity) and queues the file
for compression on a worker thread: no request, and no event loop, ever waits for a codec. The
result is a snapshot held in memory: the bytes read, and each variant that is at most 95% of
them, each with the ETag of its own bytes. Later requests for the file are decided against that
snapshot, exactly as for a file held in memory from start-up. Snapshots are kept in a cache
bounded in bytes, least recently used first out; a file that does not shrink is remembered
and never compressed again. Pre-built variants on disk always win: a file that has any is not
a candidate.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from ._index import etag_of_bytes, reindex_file
from ._types import Resource, Variant
from .compress import MAX_RATIO, SKIP_EXTENSIONS, find_codecs

if TYPE_CHECKING:
    from ._app import StaticFiles
    from ._pure import Decision, Router

__all__ = ["AutoCompressor", "candidates"]

logger = logging.getLogger("ferrostatic")

# Cheaper than the build-time levels (br 11, zstd 19): the work happens while serving.
LEVELS = {"br": 8, "zstd": 12, "gzip": 9}

# Below this, the headers of a compressed response outweigh what compression saves.
_MIN_SIZE = 256

Header = tuple[bytes, bytes]


def candidates(resources: Iterable[Resource], max_size: int, root: str) -> dict[str, str]:
    """URL path → relative file path, for the files worth compressing on the fly."""
    found: dict[str, str] = {}
    for resource in resources:
        if len(resource.variants) != 1:
            continue
        identity = resource.variants[0]
        extension = identity.path.rpartition(".")[2].lower()
        if not _MIN_SIZE <= identity.size <= max_size or extension in SKIP_EXTENSIONS:
            continue
        rel = os.path.relpath(identity.path, root).replace(os.sep, "/")
        for url in resource.urls:
            found[url] = rel
    return found


class AutoCompressor:
    """Decides requests for candidate files against their compressed snapshot, once made."""

    def __init__(self, files: StaticFiles, candidate_urls: Mapping[str, str]) -> None:
        """``candidate_urls`` maps URL paths to the relative paths of the files behind them."""
        self._files = files
        self._candidates = dict(candidate_urls)
        self._budget = files.config.autocompress_cache_size
        self._ready: OrderedDict[str, tuple[Router, int]] = OrderedDict()
        self._held = 0
        self._pending: set[str] = set()
        self.incompressible: set[str] = set()
        """Relative paths of files that did not shrink: never compressed again."""
        self._lock = threading.Lock()
        self._codecs, _ = find_codecs()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ferrostatic-compress")

    def resolve(
        self, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """The router's decision, from the compressed snapshot when there is one."""
        rel = self._candidates.get(path)
        if rel is None:
            return self._files.router.resolve(method, path, query, headers)
        with self._lock:
            ready = self._ready.get(rel)
            if ready is not None:
                self._ready.move_to_end(rel)
            elif rel not in self._pending and rel not in self.incompressible:
                self._pending.add(rel)
                self._pool.submit(self._compress, rel)
        if ready is not None:
            return ready[0].resolve(method, path, query, headers)
        return self._files.router.resolve(method, path, query, headers)

    def wait(self) -> None:
        """Block until every queued compression is done (for tests and graceful shutdown)."""
        self._pool.submit(lambda: None).result()

    def _compress(self, rel: str) -> None:
        try:
            router, size = self._snapshot(rel)
        except Exception:  # a failure only means the file keeps being sent as it is
            logger.warning("ferrostatic: could not compress %r on the fly", rel, exc_info=True)
            router, size = None, 0
        with self._lock:
            self._pending.discard(rel)
            if router is None:
                self.incompressible.add(rel)
                return
            if size > self._budget:
                return
            self._ready[rel] = (router, size)
            self._held += size
            while self._held > self._budget:
                _, (_, evicted) = self._ready.popitem(last=False)
                self._held -= evicted

    def _snapshot(self, rel: str) -> tuple[Router | None, int]:
        """A router for the file as it is now, with its compressed variants; None if no codec
        makes it smaller."""
        resource = reindex_file(self._files.config, rel)
        if resource is None or len(resource.variants) != 1:
            return None, 0
        identity = resource.variants[0]
        with open(identity.path, "rb") as file:
            data = file.read()
        variants = [
            Variant(
                "identity", identity.path, len(data), identity.mtime_ns, etag_of_bytes(data), data
            )
        ]
        for coding, codec in self._codecs.items():
            compressed = codec.function(data, LEVELS[coding])
            if len(compressed) <= len(data) * MAX_RATIO:
                variants.append(
                    Variant(
                        coding,
                        identity.path,
                        len(compressed),
                        identity.mtime_ns,
                        etag_of_bytes(compressed),
                        compressed,
                    )
                )
        if len(variants) == 1:
            return None, 0
        snapshot = resource._replace(variants=tuple(variants))
        router = type(self._files.router)(
            [snapshot], (), standalone=self._files.standalone, current_year=self._files.year
        )
        return router, sum(variant.size for variant in variants)
