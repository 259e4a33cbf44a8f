"""The WSGI adapter: read the environ, make one router call, return what it decided.

WSGI hands over everything as "native strings" (PEP 3333): the raw bytes of the request decoded
as latin-1. The path, the query and the header values are turned back into those bytes here, so
the router sees exactly what the ASGI adapter would give it for the same request. The helpers
below are shared with the Django middleware, whose ``request.META`` follows the same rules.
"""

from __future__ import annotations

import os
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Any, Final

from ._app import Roots, StaticFiles, open_unchanged, read_at, read_to_hold, unchanged
from ._observe import Hooks, RequestInfo
from ._pure import Decision
from ._request_id import request_id as make_request_id
from .config import ConfigError, Options

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from typing_extensions import Unpack

__all__ = ["CORS_FIELDS", "READ_FIELDS", "FerrostaticWSGI"]

Header = tuple[bytes, bytes]

# The only request fields the router reads; WSGI servers join repeated fields with commas.
READ_FIELDS: Final = (
    ("HTTP_IF_MATCH", b"if-match"),
    ("HTTP_IF_NONE_MATCH", b"if-none-match"),
    ("HTTP_IF_MODIFIED_SINCE", b"if-modified-since"),
    ("HTTP_IF_UNMODIFIED_SINCE", b"if-unmodified-since"),
    ("HTTP_RANGE", b"range"),
    ("HTTP_IF_RANGE", b"if-range"),
    ("HTTP_ACCEPT_ENCODING", b"accept-encoding"),
)

# Read as well when CORS, the SPA page or a request id is configured.
_OPTIONAL_FIELDS: Final = (
    ("HTTP_ORIGIN", b"origin"),
    ("HTTP_ACCEPT", b"accept"),
    ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", b"access-control-request-method"),
    ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", b"access-control-request-headers"),
)
CORS_FIELDS: Final = READ_FIELDS + _OPTIONAL_FIELDS
"""Every field the router and the CORS, SPA and error options read."""


class FerrostaticWSGI(Roots):
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
        self.config = self._files.config
        self.index = self._files.index
        config = self.config
        self._request_id = config.request_id_header if config.enabled else None
        self._fields: tuple[tuple[str, bytes], ...] = READ_FIELDS
        if self._files.cors is not None or self._files.spa is not None or self._request_id:
            self._fields = CORS_FIELDS
        if self._request_id:
            key = "HTTP_" + self._request_id.upper().replace("-", "_")
            self._fields += ((key, self._request_id.encode("ascii")),)
        self._observed = self._request_id is not None or self._files.hooks is not None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a GET/HEAD for an indexed file; hand everything else to the wrapped app."""
        if self._observed:
            return self._observe(environ, start_response)
        return self._answer(environ, start_response, None)

    def _answer(
        self, environ: WSGIEnvironment, start_response: StartResponse, report: _Report | None
    ) -> Iterable[bytes]:
        """Answer one request; ``report`` (when observed) learns what ferrostatic sent."""
        method: str = environ.get("REQUEST_METHOD", "GET")
        # PATH_INFO is already the part below the mount point (SCRIPT_NAME); empty, it is a
        # request for the mount point itself.
        path_info = environ.get("PATH_INFO", "")
        path = request_path(path_info) if path_info or not environ.get("SCRIPT_NAME") else "/"
        app = self.app
        files = self._files
        if app is not None and not path.startswith(files.under):
            return app(environ, start_response)
        query = native_bytes(environ.get("QUERY_STRING", ""))
        headers = request_headers(environ, self._fields)
        decision = files.resolve(method, path, query, headers)
        if decision is None:
            return self._to_app(environ, start_response, method, path, query, headers, report)
        if decision.file is None and report is None:  # from memory: nothing to check or count
            return _respond(start_response, decision.status, decision.headers, decision.body)
        return self._send(environ, start_response, decision, method, path, query, headers, report)

    def _send(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        decision: Decision,
        method: str,
        path: str,
        query: bytes,
        headers: list[Header],
        report: _Report | None,
        *,
        to_app: bool = True,
    ) -> Iterable[bytes]:
        """Send a decision, after checking that a file it is about is still the one indexed."""
        held = read_to_hold(decision)
        if held is not None:
            if report is None:
                return _respond(start_response, decision.status, decision.headers, held)
            start_response(status_line(decision.status), native_headers(decision.headers))
            return _ReportedBody(held, report.finisher(decision))
        if decision.file is not None and not unchanged(decision):
            fresh = self._files.refresh(decision, method, path, query, headers)
            if fresh is None:
                if self.app is not None and to_app:
                    return self._to_app(
                        environ, start_response, method, path, query, headers, report
                    )
                fresh = self._files.error(404, method)
            decision = fresh
        if decision.file is None or not decision.segments:
            return _in_memory(start_response, decision, report)
        file = open_unchanged(decision)
        if file is None:  # changing under our feet: let the client retry
            return _in_memory(start_response, self._files.error(503, method, b"1"), report)
        body = file_body(file, decision, self.config.chunk_size)
        start_response(status_line(decision.status), native_headers(decision.headers))
        if report is not None:
            body.on_close = report.finisher(decision)
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None and isinstance(body, WholeFileBody):
            return wrapper(body, self.config.chunk_size)  # type: ignore[no-any-return]
        return body

    def _to_app(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        method: str,
        path: str,
        query: bytes,
        headers: list[Header],
        report: _Report | None,
    ) -> Iterable[bytes]:
        """Hand the request to the wrapped app; with ``spa_fallback``, a 404 it gives to a
        navigation request is replaced by the SPA page."""
        app = self.app
        assert app is not None
        files = self._files
        if not files.spa_after_app or not files.spa or not files.spa.applies(method, path, headers):
            return app(environ, start_response)
        refused = False

        def start_unless_not_found(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            nonlocal refused
            if status[:3] == "404":
                refused = True
                return lambda data: None
            return start_response(status, response_headers, exc_info)

        result = app(environ, start_unless_not_found)
        chunks = iter(result)
        first = next(chunks, None)  # a generator app calls start_response when first pulled
        if not refused:
            return _Rejoined(first, chunks, result)
        _close(result)
        page = files.spa_page(method, path, query, headers) or files.error(404, method)
        return self._send(
            environ, start_response, page, method, path, query, headers, report, to_app=False
        )

    def _observe(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """``_answer`` with a request id and the ``on_request`` report."""
        report = _Report(self._files.hooks, environ)
        name = self._request_id
        if name is not None:
            key = "HTTP_" + name.upper().replace("-", "_")
            incoming = environ.get(key)
            report.request_id = make_request_id(
                native_bytes(incoming) if isinstance(incoming, str) else None
            )
            environ[key] = report.request_id
            start_response = _with_header(start_response, name, report.request_id)
        return self._answer(environ, start_response, report)


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


def request_headers(
    environ: Mapping[str, Any], fields: tuple[tuple[str, bytes], ...] = READ_FIELDS
) -> list[Header]:
    """The request fields the router reads (or ``fields``), from ``HTTP_*`` keys, as
    ``(name, value)`` bytes."""
    return [
        (name, native_bytes(value))
        for key, name in fields
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


def _in_memory(
    start_response: StartResponse, decision: Decision, report: _Report | None
) -> Iterable[bytes]:
    if report is None:
        return _respond(start_response, decision.status, decision.headers, decision.body)
    start_response(status_line(decision.status), native_headers(decision.headers))
    return _ReportedBody(decision.body, report.finisher(decision))


class _ReportedBody:
    """A body held in memory that reports what was sent when the server closes it."""

    def __init__(self, body: bytes, finished: Callable[[int], None]) -> None:
        self._body = body
        self._finished: Callable[[int], None] | None = finished
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        body, self._body = self._body, b""
        if not body:
            raise StopIteration
        self._sent = len(body)
        return body

    def close(self) -> None:
        """Report, once."""
        finished, self._finished = self._finished, None
        if finished is not None:
            finished(self._sent)


class _Report:
    """What the ``on_request`` report of one WSGI request needs, gathered as it goes."""

    def __init__(self, hooks: Hooks | None, environ: WSGIEnvironment) -> None:
        self._hooks = hooks
        self._environ = environ
        self._started = time.perf_counter()
        self._start_ns = time.time_ns()
        self.request_id: str | None = None

    def finisher(self, decision: Decision) -> Callable[[int], None]:
        """The callback a body calls, with the bytes it sent, when the server closes it."""
        return lambda sent: self._finished(decision, sent)

    def _finished(self, decision: Decision, sent: int) -> None:
        if self._hooks is None:
            return
        environ = self._environ
        self._hooks.report(
            RequestInfo(
                method=environ.get("REQUEST_METHOD", "GET"),
                path=request_path(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
                status=decision.status,
                bytes_sent=sent,
                elapsed=time.perf_counter() - self._started,
                start_time_ns=self._start_ns,
                encoding=decision.coding,
                request_id=self.request_id,
                scheme=environ.get("wsgi.url_scheme", "http"),
                http_version=environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
                client=environ.get("REMOTE_ADDR") or None,
                headers=_all_headers(environ),
            )
        )


def _all_headers(environ: WSGIEnvironment) -> tuple[Header, ...]:
    """The request's header fields from ``HTTP_*`` keys (and the two CGI ones)."""
    found = [
        (key[5:].lower().replace("_", "-").encode("latin-1"), native_bytes(value))
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    ]
    for key, name in (("CONTENT_TYPE", b"content-type"), ("CONTENT_LENGTH", b"content-length")):
        if environ.get(key):
            found.append((name, native_bytes(environ[key])))
    return tuple(found)


def _with_header(start_response: StartResponse, name: str, value: str) -> StartResponse:
    """``start_response`` that adds ``name: value`` to a response that has no such header."""

    def start(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if not any(key.lower() == name for key, _ in headers):
            headers = [*headers, (name, value)]
        return start_response(status, headers, exc_info)

    return start


class _Rejoined:
    """The wrapped app's body with its first chunk pulled already; closes the original."""

    def __init__(self, first: bytes | None, rest: Iterator[bytes], result: Iterable[bytes]) -> None:
        self._first = first
        self._rest = rest
        self._result = result

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        first, self._first = self._first, None
        if first is not None:
            return first
        return next(self._rest)

    def close(self) -> None:
        """Close the app's body (WSGI: always, once the server is done)."""
        _close(self._result)


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


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
        self._planned = sum(len(p) if isinstance(p, bytes) else p[1] for p in self._pieces)
        self._sent = 0
        self._handed_whole = False
        self.on_close: Callable[[int], None] | None = None
        """Called once, with the bytes sent, when the body is done (``on_request``)."""

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
            if len(piece) > size:
                pieces[0] = piece[size:]
                piece = piece[:size]
            else:
                pieces.popleft()
            self._sent += len(piece)
            return piece
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
        self._sent += len(data)
        return data

    def next_bytes(self) -> bytes | None:
        """The next piece if it needs no read (a multipart prefix or tail), else None."""
        piece = self._pieces[0] if self._pieces else None
        if isinstance(piece, bytes):
            self._pieces.popleft()
            self._sent += len(piece)
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
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            # A server that sent the file itself (sendfile) read none of it through us.
            on_close(self._planned if self._handed_whole else self._sent)

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
        self._handed_whole = True
        return self._file.fileno()


_HAS_PREAD: Final = hasattr(os, "pread")


def _pread(file: IO[bytes], offset: int, length: int) -> bytes:
    if _HAS_PREAD:
        # One positioned read: no shared file position, so nothing can move under a server
        # that sendfiles from the descriptor, and nothing races a close() from another thread.
        return os.pread(file.fileno(), length, offset)
    return read_at(file, offset, length)  # pragma: no cover - Windows
