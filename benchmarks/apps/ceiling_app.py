"""The ceiling: constant in-memory answers shaped like a static file server's.

For every file under ``BENCH_ROOT`` the app holds a constant body as large as the
representation a browser would get (the smallest of the file and its ``.br``/``.gz``
siblings) and about the same header fields a static server sends. A request carrying
``If-None-Match`` gets a ``304``, one carrying ``Range`` a ``206`` with 64 KiB (the size the
range scenario asks for); any other path goes to the wrapped app. No file is touched, nothing
is parsed beyond one pass over the header names: what is left is the server's own cost.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from bench_types import Receive, Scope, Send
from inner_app import app as inner

Header = tuple[bytes, bytes]
RANGE_BODY = b"r" * 65536
LAST_MODIFIED = b"Sat, 01 Jun 2024 12:00:00 GMT"


class Entry:
    """The constant answers about one URL."""

    __slots__ = ("body", "full", "not_modified", "partial", "size")

    def __init__(self, path: Path) -> None:
        """Size the body after the smallest representation of ``path``; build the headers."""
        sizes: dict[str | None, int] = {None: path.stat().st_size}
        for name, suffix in (("br", ".br"), ("gzip", ".gz")):
            sibling = path.with_name(path.name + suffix)
            if sibling.is_file():
                sizes[name] = sibling.stat().st_size
        coding = min(sizes, key=lambda key: sizes[key])
        self.size = sizes[None]
        self.body = b"x" * sizes[coding]
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        validators: list[Header] = [
            (b"etag", b'"c0ffee0123456789abcdef01"'),
            (b"last-modified", LAST_MODIFIED),
            (b"cache-control", b"public, max-age=60"),
            (b"accept-ranges", b"bytes"),
        ]
        if len(sizes) > 1:
            validators.append((b"vary", b"accept-encoding"))
        self.not_modified = validators
        self.full = [
            (b"content-type", media_type.encode()),
            (b"content-length", b"%d" % len(self.body)),
            *validators,
        ]
        if coding is not None:
            self.full.append((b"content-encoding", coding.encode()))
        self.partial = [(b"content-type", media_type.encode()), *validators]


def _table(root: Path) -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in (".br", ".gz"):
            continue
        url = "/" + path.relative_to(root).as_posix()
        table[url] = Entry(path)
        if path.name == "index.html":
            table[url[: -len("index.html")]] = table[url]
    return table


TABLE = _table(Path(os.environ["BENCH_ROOT"]))


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a known URL from the table (200, 304 or 206); anything else goes to the app."""
    entry = TABLE.get(scope["path"]) if scope["type"] == "http" else None
    if entry is None:
        await inner(scope, receive, send)
        return
    status, headers, body = 200, entry.full, entry.body
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            status, headers, body = 304, entry.not_modified, b""
            break
        if name == b"range":
            content_range = b"bytes %s/%d" % (value[6:], entry.size)
            status, body = 206, RANGE_BODY
            headers = [
                *entry.partial,
                (b"content-range", content_range),
                (b"content-length", b"65536"),
            ]
            break
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
