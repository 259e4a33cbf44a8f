"""``FerrostaticMiddleware``: STATIC_ROOT at STATIC_URL, inside Django, under WSGI and ASGI.

It answers GET and HEAD for the static files itself (the same router, index and HTTP behaviour
as the ASGI and WSGI apps) and hands every other request to the next handler. Place it right
after ``SecurityMiddleware``: the middleware above it see its responses, those below never do.

Under WSGI a file read from disk is a ``FileResponse`` (Django hands it to the server's
``wsgi.file_wrapper``, which may sendfile it); under ASGI it is a ``StreamingHttpResponse`` over
an asynchronous iterator whose blocks are read in the loop's executor, so there is no thread per
file and no "must consume synchronous iterators" warning. Files held in memory are plain
``HttpResponse`` bytes in both.

In development (``FERROSTATIC_USE_FINDERS``, ``FERROSTATIC_AUTOREFRESH``; both default to
``DEBUG``) files are also found through Django's finders, without ``collectstatic``, and files
added or edited after start-up are picked up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase, ResponseHeaders

from .._app import StaticFiles, open_unchanged, read_to_hold, unchanged
from .._pure import Decision
from ..config import Config, ConfigError
from ..wsgi import (
    CORS_FIELDS,
    READ_FIELDS,
    FileBody,
    file_body,
    native_bytes,
    native_headers,
    request_headers,
    status_line,
)
from .conf import flag, options_from_settings, setting_error

__all__ = ["FerrostaticMiddleware"]

logger = logging.getLogger("ferrostatic")

Header = tuple[bytes, bytes]
Found = tuple[StaticFiles, Decision]

_UNAVAILABLE: Final = b"503 Service Unavailable\n"


class FerrostaticMiddleware:
    """Serve ``STATIC_ROOT`` at ``STATIC_URL`` from inside Django (WSGI or ASGI).

    Configured by the ``FERROSTATIC_*`` settings (see ``ferrostatic.django.conf``); the files
    are indexed once, when Django builds its middleware chain.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        self.static = DjangoStatic.from_settings()

    def __call__(self, request: Any) -> Any:
        """Answer a GET/HEAD for a static file; hand everything else to the next handler."""
        if self.async_mode:
            return self.__acall__(request)
        static = self.static
        path = static.path_of(request)
        if path is None:
            return self.get_response(request)
        method, query, headers = _request(request, static.fields)
        found = static.find(method, path, query, headers)
        if found is None:
            return self.get_response(request)
        files, decision = found
        held = read_to_hold(decision)
        if held is not None:
            return _bytes_response(decision, held)
        if decision.file is not None and not unchanged(decision):
            refreshed = files.refresh(decision, method, path, query, headers)
            if refreshed is None:
                return self.get_response(request)
            decision = refreshed
        if not decision.segments:
            return _bytes_response(decision)
        file = open_unchanged(decision)
        if file is None:  # changing under our feet: let the client retry
            return _unavailable(method)
        body = file_body(file, decision, files.config.chunk_size)
        response = FileResponse(body, status=decision.status)
        # Django's WSGI handler hands ``file_to_stream`` to wsgi.file_wrapper in blocks of this.
        response.block_size = files.config.chunk_size
        return _with_headers(response, decision)

    async def __acall__(self, request: Any) -> Any:
        """The same, for an async middleware chain: disk reads go to the loop's executor."""
        get_response: Callable[[Any], Awaitable[Any]] = self.get_response
        static = self.static
        path = static.path_of(request)
        if path is None:
            return await get_response(request)
        method, query, headers = _request(request, static.fields)
        loop = asyncio.get_running_loop()
        if static.dynamic:  # development: finders and re-indexing touch the disk
            found = await loop.run_in_executor(None, static.find, method, path, query, headers)
        else:
            found = static.find(method, path, query, headers)
        if found is None:
            return await get_response(request)
        files, decision = found
        # Read inline: once per file, and no larger than max_memory_file_size.
        held = read_to_hold(decision)
        if held is not None:
            return _bytes_response(decision, held)
        if decision.file is not None and not unchanged(decision):
            refreshed = await loop.run_in_executor(
                None, files.refresh, decision, method, path, query, headers
            )
            if refreshed is None:
                return await get_response(request)
            decision = refreshed
        if not decision.segments:
            return _bytes_response(decision)
        file = await loop.run_in_executor(None, open_unchanged, decision)
        if file is None:
            return _unavailable(method)
        body = file_body(file, decision, files.config.chunk_size)
        response = StreamingHttpResponse(AsyncFileBody(body, files.config.chunk_size))
        response.status_code = decision.status
        # Django does not close an iterator it abandons when the client goes away; the body
        # closes its file then, at the latest when it is collected.
        cast(Any, response)._resource_closers.append(body.close)
        return _with_headers(response, decision)


def _request(
    request: Any, fields: tuple[tuple[str, bytes], ...]
) -> tuple[str, bytes, list[Header]]:
    meta = request.META
    # The method as sent: Django upper-cases request.method, and methods are case-sensitive.
    method = meta.get("REQUEST_METHOD", request.method)
    query = native_bytes(meta.get("QUERY_STRING", ""))
    return method, query, request_headers(meta, fields)


# --- Responses --------------------------------------------------------------------------------


def _with_headers(response: HttpResponseBase, decision: Decision) -> HttpResponseBase:
    """Our exact header fields and reason phrase, replacing whatever Django set.

    Django's response classes add ``Content-Type`` (and ``FileResponse`` guesses more);
    replacing the whole set keeps every field ours, once.
    """
    response.headers = ResponseHeaders(dict(native_headers(decision.headers)))
    response.reason_phrase = status_line(decision.status)[4:]
    return response


def _bytes_response(decision: Decision, body: bytes | None = None) -> HttpResponseBase:
    response = HttpResponse(decision.body if body is None else body, status=decision.status)
    return _with_headers(response, decision)


def _unavailable(method: str) -> HttpResponseBase:
    response = HttpResponse(
        b"" if method == "HEAD" else _UNAVAILABLE,
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Content-Length"] = str(len(_UNAVAILABLE))
    response.headers["Retry-After"] = "1"
    return response


class AsyncFileBody:
    """An asynchronous iterator over a ``FileBody``: each block read in the loop's executor.

    What needs no read (a multipart part's head, its closing boundary) is given at once. If the
    task is cancelled while a block is being read (the client went away), the file is closed.
    """

    def __init__(self, body: FileBody, chunk_size: int) -> None:
        self._body = body
        self._chunk_size = chunk_size

    def __aiter__(self) -> AsyncFileBody:
        return self

    async def __anext__(self) -> bytes:
        data = self._body.next_bytes()
        if data is None:
            loop = asyncio.get_running_loop()
            try:
                data = await loop.run_in_executor(None, self._body.read, self._chunk_size)
            except BaseException:
                self._body.close()
                raise
        if not data:
            raise StopAsyncIteration
        return data

    async def aclose(self) -> None:
        """Close the file."""
        self._body.close()


# --- Where the files come from ------------------------------------------------------------------


_NOT_IN_DJANGO = {
    "on_request": "wrap Django's ASGI or WSGI application in ferrostatic.Ferrostatic or "
    "FerrostaticWSGI to report requests, or use Django's request_finished signal",
    "request_id_header": "wrap Django's ASGI or WSGI application in ferrostatic.Ferrostatic "
    "or FerrostaticWSGI, or use a request-id middleware",
    "spa_fallback": "a single-page app is served by a Django view (or by Ferrostatic in front "
    "of the application)",
    "path_resolver": "Django's finders already find files outside STATIC_ROOT "
    "(FERROSTATIC_USE_FINDERS)",
}


class DjangoStatic:
    """The static files of a Django project: STATIC_ROOT's index, and in development the
    folders Django's finders know.

    In production (neither finders nor autorefresh) this is one ``StaticFiles`` indexed at
    start-up, and a request never touches the filesystem before it is known to be ours.
    """

    def __init__(
        self,
        options: dict[str, Any],
        *,
        use_finders: bool = False,
        autorefresh: bool = False,
    ) -> None:
        for option, instead in _NOT_IN_DJANGO.items():
            if options.get(option) is not None:
                raise ConfigError(f"{option}: not available in the Django middleware; {instead}")
        # Development mode is this class's business (finders, re-indexing per source).
        options = {key: value for key, value in options.items() if key != "autorefresh"}
        directory = options.get("directory")
        root: str | None = None
        if isinstance(directory, (str, os.PathLike)):
            root = str(Path(os.fsdecode(directory)).expanduser().resolve())
        probe = dict(options)
        if directory is None or (root is not None and not os.path.isdir(root)):
            # A missing folder is reported (and checked) but not fatal: the others still are.
            probe["directory"] = os.getcwd()
            probe.pop("manifest_path", None)
        config = Config.from_options(probe)
        # The request fields to read: CORS needs Origin and the preflight's too.
        self.fields = CORS_FIELDS if config.cors_allow_origins else READ_FIELDS
        self.enabled = config.enabled
        self.prefix = config.prefix
        self.use_finders = use_finders and self.enabled
        self.autorefresh = autorefresh and self.enabled
        self.dynamic = self.use_finders or self.autorefresh
        self._options = options
        self._index_file = config.index_file
        self._root: StaticFiles | None = None
        self._sources: dict[tuple[str, str], _Source] = {}
        self._sources_lock = threading.Lock()
        self._root_directory = root if root is not None and os.path.isdir(root) else None
        if not self.enabled:
            return
        if self._root_directory is None and not self.use_finders:
            where = "STATIC_ROOT is not set" if root is None else f"{root!r} does not exist"
            logger.warning(
                "ferrostatic: %s; no static files are served (run collectstatic, or see "
                "manage.py check)",
                where,
            )
        if self._root_directory is not None and not self.dynamic:
            self._root = StaticFiles({**options, "directory": root}, standalone=False)

    @classmethod
    def from_settings(cls) -> DjangoStatic:
        """Built from the Django settings; ImproperlyConfigured names a wrong one."""
        options = options_from_settings(settings)
        debug = bool(settings.DEBUG)
        try:
            return cls(
                options,
                use_finders=flag(settings, "FERROSTATIC_USE_FINDERS", debug),
                autorefresh=flag(settings, "FERROSTATIC_AUTOREFRESH", debug),
            )
        except (ConfigError, TypeError) as error:
            raise ImproperlyConfigured(setting_error(error, settings)) from error

    @property
    def index(self) -> Any:
        """The start-up index of STATIC_ROOT (None in development, when it is built lazily)."""
        return None if self._root is None else self._root.index

    def path_of(self, request: Any) -> str | None:
        """The request's path if it may be a static file (under the prefix), else None.

        ``request.path`` is what the browser asked for (script name included), which is what a
        ``{% static %}`` URL is; ``request.path_info`` is tried too, for a STATIC_URL given
        below the script name.
        """
        if not self.enabled:
            return None
        prefix = self.prefix
        path: str = request.path
        if path.startswith(prefix):
            return path
        path = request.path_info
        if path.startswith(prefix):
            return path
        return None

    def find(self, method: str, path: str, query: bytes, headers: list[Header]) -> Found | None:
        """The files that answer, and their decision; None if not ours."""
        if self._root is not None:
            decision = self._root.resolve(method, path, query, headers)
            return None if decision is None else (self._root, decision)
        if not self.dynamic:
            return None
        rel = path[len(self.prefix) :]
        name = rel
        if (not rel or rel.endswith("/")) and self._index_file is not None:
            name = rel + self._index_file
        if self.use_finders:
            where = _found_in(name)
            if where is not None:
                directory, below = where
                source = self._source(directory, self.prefix + below)
                found = source.find(method, path, query, headers, name[len(below) :])
                if found is not None:
                    return found
        if self._root_directory is not None:
            source = self._source(self._root_directory, self.prefix)
            return source.find(method, path, query, headers, name)
        return None

    def _source(self, directory: str, prefix: str) -> _Source:
        with self._sources_lock:
            source = self._sources.get((directory, prefix))
            if source is None:
                options = {**self._options, "directory": directory, "prefix": prefix}
                if self.autorefresh:
                    options["max_memory_file_size"] = 0  # an edit shows at the next request
                source = self._sources[directory, prefix] = _Source(options, self.autorefresh)
        return source


def _found_in(name: str) -> tuple[str, str] | None:
    """Where Django's finders find ``name`` (the file collectstatic would copy): the folder,
    and the part of ``name`` that is a prefix of that folder's files (``STATICFILES_DIRS``
    entries may be ``(prefix, folder)``), else None."""
    from django.contrib.staticfiles import finders
    from django.core.exceptions import SuspiciousFileOperation

    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return None
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    try:
        found = finders.find(name)
    except (SuspiciousFileOperation, ValueError, OSError):
        return None
    if not isinstance(found, str):
        return None
    for start in range(len(parts)):
        suffix = os.sep + os.sep.join(parts[start:])
        if found.endswith(suffix):
            below = "".join(part + "/" for part in parts[:start])
            return found[: -len(suffix)] or os.sep, below
    return None


class _Source:
    """One folder served in development: indexed when first asked, again when a file that
    exists is not in its index (added since), at most once per name."""

    def __init__(self, options: dict[str, Any], autorefresh: bool) -> None:
        self._options = options
        self._autorefresh = autorefresh
        self._files: StaticFiles | None = None
        self._tried: set[str] = set()
        self._lock = threading.Lock()

    def find(
        self, method: str, path: str, query: bytes, headers: list[Header], name: str
    ) -> Found | None:
        files = self._files or self._build(None)
        decision = files.resolve(method, path, query, headers)
        if (
            decision is None
            and self._autorefresh
            and name not in self._tried
            and self._exists(name)
        ):
            files = self._build(name)
            decision = files.resolve(method, path, query, headers)
        return None if decision is None else (files, decision)

    def _build(self, name: str | None) -> StaticFiles:
        with self._lock:
            if name is not None:
                if name in self._tried:
                    assert self._files is not None
                    return self._files
                self._tried.add(name)
            elif self._files is not None:
                return self._files
            self._files = StaticFiles(self._options, standalone=False)
            return self._files

    def _exists(self, name: str) -> bool:
        if any(part in ("", ".", "..") for part in name.split("/")) or "\\" in name:
            return False
        try:
            return os.path.isfile(os.path.join(self._options["directory"], *name.split("/")))
        except (ValueError, OSError):
            return False
