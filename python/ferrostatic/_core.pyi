"""The compiled router (``rust/py``): the same decisions as ``ferrostatic._pure``, faster."""

from collections.abc import Iterable, Sequence
from typing import Literal, final

from ._types import Redirect, Resource

__all__ = ["Decision", "Router", "Scan", "compress", "scan"]

@final
class Decision:
    """How to answer one request: status, headers, and where the body comes from.

    Each ``(prefix, offset, length)`` of ``segments`` is sent as ``prefix`` then ``length``
    bytes of ``file`` from ``offset``, and ``body`` follows last (all of it, when there are no
    segments). ``file`` is set whenever the response is about a representation read from disk;
    ``size`` and ``mtime_ns`` are what the index saw of it. ``coding`` is the content coding of
    the selected representation, if any.

    ``holdable`` is true for a 200 with the whole of a file that the router would keep in
    memory from now on: the adapter that reads those bytes hands them over with ``hold``.
    """

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """A fresh list for each decision: the caller may append to it."""

    @property
    def body(self) -> bytes: ...
    @property
    def file(self) -> str | None: ...
    @property
    def segments(self) -> tuple[tuple[bytes, int, int], ...]: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...
    @property
    def coding(self) -> str | None: ...
    @property
    def holdable(self) -> bool:
        """Whether ``hold`` would keep this file's bytes in memory."""

    def hold(self, body: bytes) -> bool:
        """Keep ``body``, the whole file this decision is about, for the responses to come.

        False when it is not kept: the decision is not holdable, the length is not the one
        indexed, or the memory budget has been spent meanwhile.
        """

@final
class Router:
    """Maps a request to a ``Decision``, or to None when the request is not ours to answer."""

    def __new__(
        cls,
        resources: Sequence[Resource],
        redirects: Sequence[Redirect] = (),
        *,
        standalone: bool,
        current_year: int,
        memory_budget: int = 0,
        max_memory_file_size: int = 0,
    ) -> Router:
        """Build the lookup table; a malformed record raises TypeError or ValueError naming it.

        ``standalone`` answers misses with 404 and other methods with 405; otherwise both are
        left to the wrapped app. ``current_year`` resolves two-digit years in rfc850 dates.
        Files of at most ``max_memory_file_size`` bytes are held in memory once read for a
        response (``Decision.hold``), until ``memory_budget`` bytes are held in all.
        """

    @staticmethod
    def from_scan(
        scan: Scan,
        prefix: str,
        content_types: Sequence[bytes],
        cache_controls: Sequence[bytes | None],
        headers: Sequence[tuple[bytes, bytes]],
        file_headers: Sequence[Sequence[tuple[bytes, bytes]]] | None,
        resources: Sequence[Resource],
        redirects: Sequence[Redirect],
        *,
        standalone: bool,
        current_year: int,
        memory_budget: int = 0,
        max_memory_file_size: int = 0,
    ) -> Router:
        """Build the table from what ``scan()`` found (the scan is used up).

        Python passes what depends on its options, one item per file of ``scan.files``:
        ``content_types``, ``cache_controls``, and ``file_headers`` unless every file gets
        ``headers``; then ``resources`` (the health check) and ``redirects``.
        """

    def __len__(self) -> int:
        """The number of table entries: URLs and redirects."""

    def resolve(
        self, method: str, path: str, query: bytes, headers: Iterable[tuple[bytes, bytes]]
    ) -> Decision | None:
        """Decide the answer to ``method path?query`` with the given request headers.

        ``path`` is the decoded URL path relative to the mount point. None means "not ours":
        a miss, or a method other than GET/HEAD, when not standalone.
        """

@final
class Scan:
    """What the walk of one root found, until a router takes it (``Router.from_scan``)."""

    @property
    def files(self) -> list[str]:
        """The relative path of every servable file, in walk order."""

    @property
    def index_dirs(self) -> list[str]:
        """Directories (``""`` for the root) holding the index file."""

    @property
    def hidden(self) -> list[str]: ...
    @property
    def outside_symlinks(self) -> list[str]: ...
    @property
    def stale_variants(self) -> list[str]:
        """Pre-compressed siblings older than their source."""

    @property
    def unreadable(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]:
        """What the walk would log, in order."""

def scan(
    root: str,
    *,
    allow_hidden: bool,
    follow_symlinks_outside: bool,
    index_file: str | None,
    html_extension_fallback: bool,
    hash_max_file_size: int,
    threads: int,
) -> Scan:
    """Walk ``root`` (absolute, resolved) with the index options, hashing on ``threads``
    threads without the GIL; the same rules as ``_index.build_index``. Raises OSError when
    ``root`` itself cannot be read."""

def compress(data: bytes, format: Literal["br", "zstd", "gzip"], level: int | None = None) -> bytes:
    """Compress ``data`` into ``format`` at ``level`` (the densest if None), releasing the GIL.

    Levels: br 0-11 (default 11), zstd 1-22 (default 19; above 19 the window is capped at
    8 MiB, RFC 9659 §3), gzip 0-9 (default 9). The output depends only on the input, format
    and level: gzip has no name, mtime 0 and OS 255 (unknown), zstd one frame with the content
    size and no checksum. Raises ValueError for an unknown format or a level out of range.
    """
