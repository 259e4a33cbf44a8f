"""The WSGI adapter: read the environ, make one router call, return what it decided.

WSGI hands over everything as "native strings" (PEP 3333): the raw bytes of the request decoded
as latin-1. The path, the query and the header values are turned back into those bytes here, so
the router sees exactly what the ASGI adapter would give it for the same request. The helpers
below are shared with the Django middleware, whose ``request.META`` follows the same rules.
"""

from __future__ import annotations

import os
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Any, Final

from ._app import StaticFiles, open_unchanged, read_at, unchanged
from ._pure import Decision
from .config import ConfigError, Options

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from typing_extensions import Unpack

__all__ = ["FerrostaticWSGI"]

Header = tuple[bytes, bytes]

# The only request fields the router reads; WSGI servers join repeated fields with commas.
_READ_FIELDS: Final = (
    ("HTTP_IF_MATCH", b"if-match"),
    ("HTTP_IF_NONE_MATCH", b"if-none-match"),
    ("HTTP_IF_MODIFIED_SINCE", b"if-modified-since"),
    ("HTTP_IF_UNMODIFIED_SINCE", b"if-unmodified-since"),
    ("HTTP_RANGE", b"range"),
    ("HTTP_IF_RANGE", b"if-range"),
    ("HTTP_ACCEPT_ENCODING", b"accept-encoding"),
)

_NOT_FOUND: Final = b"404 Not Found\n"
_UNAVAILABLE: Final = b"503 Service Unavailable\n"


class FerrostaticWSGI:
    """Serve a directory over WSGI, alone or in front of another WSGI app.

    ``FerrostaticWSGI(directory="static")`` is a standalone app: a miss is 404, a method other
    than GET or HEAD on a file is 405. ``FerrostaticWSGI(app, directory="static")`` is
    middleware: every request that is not a GET or HEAD for an indexed file goes to ``app``
    (Flask, Django's WSGI handler, Pyramid, ...) untouched. The options are those of
    ``ferrostatic.Ferrostatic``; the directory is indexed once, here.
    """

    def __init__(self, app: WSGIApplication | None = None, /, **options: Unpack[Options]) -> None:
        """Validate the options, index the directory and build the router.

        Raises ``ferrostatic.ConfigError`` naming the first wrong option.
        """
        if app is not None and not callable(app):
            raise ConfigError(f"app: expected a WSGI application (a callable), got {app!r}")
        self.app = app
        self._files = StaticFiles(options, standalone=app is None)
        self._resolve = self._files.resolve
        self.config = self._files.config
        self.index = self._files.index
        # Every URL in the table starts with this: as middleware, anything else is the app's
        # without a look at the headers. (The health check may live outside the prefix.)
        self._under = "" if self.config.health_check_path else self.config.prefix.rstrip("/")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a GET/HEAD for an indexed file; hand everything else to the wrapped app."""
        method: str = environ.get("REQUEST_METHOD", "GET")
        # PATH_INFO is already the part below the mount point (SCRIPT_NAME); empty, it is a
        # request for the mount point itself.
        path_info = environ.get("PATH_INFO", "")
        path = request_path(path_info) if path_info or not environ.get("SCRIPT_NAME") else "/"
        app = self.app
        if app is not None and not path.startswith(self._under):
            return app(environ, start_response)
        query = native_bytes(environ.get("QUERY_STRING", ""))
        headers = request_headers(environ)
        decision = self._resolve(method, path, query, headers)
        if decision is None:
            assert app is not None
            return app(environ, start_response)
        if decision.file is None:
            return _respond(start_response, decision.status, decision.headers, decision.body)
        if not unchanged(decision):
            decision = self._files.refresh(decision, method, path, query, headers)
            if decision is None:
                if app is not None:
                    return app(environ, start_response)
                return _plain(start_response, method, 404, _NOT_FOUND)
        if not decision.segments:
            return _respond(start_response, decision.status, decision.headers, decision.body)
        file = open_unchanged(decision)
        if file is None:  # changing under our feet: let the client retry
            return _plain(start_response, method, 503, _UNAVAILABLE, retry_after="1")
        body = file_body(file, decision, self.config.chunk_size)
        start_response(status_line(decision.status), native_headers(decision.headers))
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None and isinstance(body, WholeFileBody):
            return wrapper(body, self.config.chunk_size)  # type: ignore[no-any-return]
        return body


# --- Request: native strings back to the bytes the router reads -------------------------------


def native_bytes(value: str) -> bytes:
    """The bytes a native string stands for (PEP 3333: latin-1).

    A server that broke the rule and passed characters beyond latin-1 decoded UTF-8; its text
    is encoded back the same way. Never raises.
    """
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def request_path(path_info: str) -> str:
    """The decoded URL path from a WSGI ``PATH_INFO``: latin-1 back to bytes, then UTF-8.

    Bytes that are not UTF-8 become lone surrogates (as the ASGI servers do), which no indexed
    name contains: a plain miss.
    """
    try:
        raw = path_info.encode("latin-1")
    except UnicodeEncodeError:  # already text: the server decoded it
        return path_info
    return raw.decode("utf-8", "surrogateescape")


def request_headers(environ: Mapping[str, Any]) -> list[Header]:
    """The request fields the router reads, from ``HTTP_*`` keys, as ``(name, value)`` bytes."""
    return [
        (name, native_bytes(value))
        for key, name in _READ_FIELDS
        if (value := environ.get(key)) is not None and isinstance(value, str)
    ]


# --- Response ---------------------------------------------------------------------------------

# RFC 9110's names where older Pythons still have the RFC 7231/7233 ones.
_STATUS_LINES: dict[int, str] = {
    413: "413 Content Too Large",
    416: "416 Range Not Satisfiable",
    422: "422 Unprocessable Content",
}


def status_line(status: int) -> str:
    """``"206 Partial Content"``: the status code and its reason phrase (RFC 9110 §15)."""
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        line = _STATUS_LINES[status] = f"{status} {phrase}"
    return line


def native_headers(headers: Iterable[Header]) -> list[tuple[str, str]]:
    """Header fields as the native strings WSGI wants (latin-1)."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def _respond(
    start_response: StartResponse, status: int, headers: Iterable[Header], body: bytes
) -> Iterable[bytes]:
    start_response(status_line(status), native_headers(headers))
    return [body] if body else _no_body()


def _no_body() -> Iterator[bytes]:
    # Not a list: a server that can measure the iterable (wsgiref) would add a Content-Length
    # of 0, which a 304 must not carry (RFC 9110 §8.6) and a HEAD has already set right.
    return iter((b"",))


def _plain(
    start_response: StartResponse,
    method: str,
    status: int,
    body: bytes,
    retry_after: str | None = None,
) -> Iterable[bytes]:
    """A short text response the router did not decide (a file vanished or keeps changing)."""
    headers = [("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body)))]
    if retry_after is not None:
        headers.append(("retry-after", retry_after))
    start_response(status_line(status), headers)
    return _no_body() if method == "HEAD" else [body]


# --- Bodies read from disk --------------------------------------------------------------------


def file_body(file: IO[bytes], decision: Decision, chunk_size: int) -> FileBody:
    """The body the decision describes, read from ``file`` (already checked unchanged)."""
    segments = decision.segments
    if (
        decision.status == 200
        and len(segments) == 1
        and not segments[0][0]
        and segments[0][1] == 0
        and segments[0][2] == decision.size
        and not decision.body
    ):
        return WholeFileBody(file, segments, b"", chunk_size)
    return FileBody(file, segments, decision.body, chunk_size)


class FileBody:
    """A response body read from an open file: each segment's prefix and bytes, then a tail.

    It is the WSGI iterable (blocks of at most ``chunk_size`` bytes) and a file-like object with
    ``read(size)`` for ``wsgi.file_wrapper`` and Django's ``FileResponse``. The file is closed
    when the body is exhausted, when ``close()`` is called (WSGI servers do, also when the
    client went away), and at the latest when the body is garbage-collected. It never has more
    than the decision's bytes to give: a file that grew meanwhile does not overrun the
    Content-Length; one that shrank raises instead of sending a short body.
    """

    def __init__(
        self,
        file: IO[bytes],
        segments: Iterable[tuple[bytes, int, int]],
        tail: bytes,
        chunk_size: int,
    ) -> None:
        self._file = file
        self._chunk_size = chunk_size
        # Each piece is bytes to send as they are, or [offset, length] of the file to read.
        self._pieces: deque[bytes | list[int]] = deque()
        for prefix, offset, length in segments:
            if prefix:
                self._pieces.append(prefix)
            if length:
                self._pieces.append([offset, length])
        if tail:
            self._pieces.append(tail)
        self._closer = weakref.finalize(self, file.close)

    def read(self, size: int | None = -1) -> bytes:
        """The next bytes of the body, at most ``size`` (``chunk_size`` if negative or None);
        ``b""`` at the end, after which the file is closed."""
        if size is None or size < 0:
            size = self._chunk_size
        elif size == 0:
            return b""
        pieces = self._pieces
        if not pieces:
            self._release()
            return b""
        piece = pieces[0]
        if isinstance(piece, bytes):
            if len(piece) <= size:
                pieces.popleft()
                return piece
            pieces[0] = piece[size:]
            return piece[:size]
        offset, length = piece
        data = _pread(self._file, offset, min(size, length))
        if not data:
            self._release()
            raise RuntimeError(f"{getattr(self._file, 'name', 'a file')!r} shrank while sent")
        if len(data) == length:
            pieces.popleft()
        else:
            piece[0] += len(data)
            piece[1] -= len(data)
        return data

    def next_bytes(self) -> bytes | None:
        """The next piece if it needs no read (a multipart prefix or tail), else None."""
        piece = self._pieces[0] if self._pieces else None
        if isinstance(piece, bytes):
            self._pieces.popleft()
            return piece
        return None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        data = self.read(self._chunk_size)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._release()

    def _release(self) -> None:
        # Not through close(): Django replaces a FileResponse's close() with the response's,
        # which must run once, when the server is done.
        self._pieces.clear()
        self._closer()

    @property
    def closed(self) -> bool:
        """Whether the file has been closed."""
        return not self._closer.alive


class WholeFileBody(FileBody):
    """A whole file from its start: servers may hand it to ``sendfile`` by its ``fileno``.

    Only whole files expose ``fileno``: a server that sendfiles to the end of the file would
    send too much for a range. (gunicorn sends ``Content-Length`` bytes from the current
    position, which for a whole file is all of it.)
    """

    def fileno(self) -> int:
        """The open file's descriptor."""
        return self._file.fileno()


_HAS_PREAD: Final = hasattr(os, "pread")


def _pread(file: IO[bytes], offset: int, length: int) -> bytes:
    if _HAS_PREAD:
        # One positioned read: no shared file position, so nothing can move under a server
        # that sendfiles from the descriptor, and nothing races a close() from another thread.
        return os.pread(file.fileno(), length, offset)
    return read_at(file, offset, length)  # pragma: no cover - Windows
