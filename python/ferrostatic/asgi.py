"""The ASGI adapter: read the scope, make one router call, send what it decided.

This module and the WSGI one are the only code that does I/O on the request path.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ._app import (
    INLINE_READ_MAX,
    Roots,
    StaticFiles,
    body_length,
    open_unchanged,
    read_at,
    read_small_body,
    unchanged,
)
from ._cors import header_value
from ._observe import RequestInfo
from ._pure import Decision
from ._request_id import request_id as make_request_id
from .config import ConfigError, Options

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Ferrostatic"]

STREAM_MEMORY = 16 * 1024 * 1024
"""What the chunks of all bodies streamed at once by one app may add up to: one download reads
``chunk_size`` at a time, two hundred read less each (never under ``MIN_STREAM_CHUNK``), so that
memory stays near the socket buffers however many clients download at once."""
MIN_STREAM_CHUNK = 64 * 1024

YIELD_EVERY = 1024 * 1024
"""A stream that reads on the event loop yields to the other tasks after this many bytes: a send
may not yield at all (the socket takes it all), and the other connections, and the disconnect
watcher, must have their turn."""

_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None) if hasattr(os, "preadv") else None
_buffers = threading.local()


def read_if_cached(fd: int, offset: int, size: int) -> bytes | None:
    """Up to ``size`` bytes at ``offset``, read on the calling thread only if the page cache
    holds them (``RWF_NOWAIT``); None when the read would wait for the disk, or where that
    cannot be told (another OS, a filesystem without it): then a worker thread reads.

    On the event loop this is the common case of a served file, and it costs a fifth of the hop
    to a worker thread for a 64 KiB chunk (two thirds for 512 KiB), so many concurrent
    downloads no longer queue behind the thread pool. Each thread reads into one reused buffer
    (the bytes returned are a copy), so nothing is allocated per chunk but the chunk itself.
    """
    if _NOWAIT is None:
        return None
    view: memoryview | None = getattr(_buffers, "view", None)
    if view is None or len(view) < size:
        view = _buffers.view = memoryview(bytearray(size))
    try:
        got = os.preadv(fd, [view[:size]], offset, _NOWAIT)
    except OSError:  # BlockingIOError (not cached), or no RWF_NOWAIT on this filesystem
        return None
    return view[:got].tobytes()


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Ferrostatic(Roots):
    """Serve a directory over ASGI, alone or in front of another ASGI app.

    ``Ferrostatic(directory="static")`` is a standalone app: a miss is 404, a method other than
    GET or HEAD on a file is 405. ``Ferrostatic(app, directory="static")`` is middleware: every
    request that is not a GET or HEAD for an indexed file goes to ``app`` untouched, as do
    lifespan and websocket scopes. The directory is indexed once, here.
    """

    def __init__(self, app: ASGIApp | None = None, /, **options: Unpack[Options]) -> None:
        """Validate the options, index the directory and build the router.

        The options are keyword-only and described on ``ferrostatic.config.Config``. Raises
        ``ferrostatic.ConfigError`` naming the first wrong option.
        """
        if app is not None and not callable(app):
            raise ConfigError(f"app: expected an ASGI application (a callable), got {app!r}")
        self.app = app
        self._files = StaticFiles(options, standalone=app is None)
        self.config = self._files.config
        self.index = self._files.index
        # A body that fits in one chunk is read at once, inline (see INLINE_READ_MAX).
        self._inline_max = min(INLINE_READ_MAX, self.config.chunk_size)
        self._request_id = (
            self.config.request_id_header.encode("ascii")
            if self.config.request_id_header and self.config.enabled
            else None
        )
        self._observed = self._request_id is not None or self._files.hooks is not None
        self._streams = 0
        """Bodies being streamed from disk now, in chunks (see STREAM_MEMORY)."""
        self._app_takes_misses = app is not None and not self._files.spa_after_app
        """A miss goes straight to the wrapped app (``_to_app`` only for the SPA page)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a GET/HEAD for an indexed file; hand everything else to the wrapped app."""
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        observed = self._observed
        if observed and type(send) is not _CountingSend:
            await self._observe(scope, receive, send)  # which comes back here, counted
            return
        path = scope["path"]
        root_path = scope.get("root_path")
        if root_path and path.startswith(root_path):
            rest = path[len(root_path) :]
            if not rest or rest[0] == "/":
                path = rest or "/"
        decision = self._files.resolve(
            scope["method"], path, scope.get("query_string", b""), scope["headers"]
        )
        if decision is None:
            if self._app_takes_misses:  # the common case: no frame of ours around the app
                await self.app(scope, receive, send)  # type: ignore[misc]
            else:
                decision = await self._to_app(scope, receive, send, path)
        elif decision.file is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": decision.status,
                    "headers": decision.headers,
                }
            )
            await send({"type": "http.response.body", "body": decision.body})
        else:
            decision = await self._send_file(scope, receive, send, decision, path)
        if observed:
            send.decision = decision  # type: ignore[attr-defined]  # a _CountingSend here

    async def _to_app(
        self, scope: Scope, receive: Receive, send: Send, path: str
    ) -> Decision | None:
        """Hand the request to the wrapped app; with ``spa_fallback``, a 404 it gives to a
        navigation request is replaced by the SPA page."""
        assert self.app is not None
        files = self._files
        spa = files.spa
        if (
            not files.spa_after_app
            or spa is None
            or not spa.applies(scope["method"], path, scope["headers"])
        ):
            await self.app(scope, receive, send)
            return None
        refused = False

        async def send_unless_not_found(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 404:
                refused = True
            if not refused:
                await send(message)

        await self.app(scope, receive, send_unless_not_found)
        if not refused:
            return None
        page = files.spa_page(
            scope["method"], path, scope.get("query_string", b""), scope["headers"]
        )
        if page is None:
            page = files.error(404, scope["method"])
        if page.file is not None:
            return await self._send_file(scope, receive, send, page, path, to_app=False)
        return await _send_decision(send, page)

    async def _observe(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request, through ``__call__`` again with a counting ``send``; then the request
        id and the ``on_request`` report."""
        started = time.perf_counter()
        start_ns = time.time_ns()
        request_id: str | None = None
        name = self._request_id
        if name is not None:
            incoming = header_value(scope["headers"], name)
            request_id = make_request_id(incoming)
            if incoming is None or incoming != request_id.encode("ascii"):
                scope = dict(scope)
                scope["headers"] = [
                    *(h for h in scope["headers"] if h[0].lower() != name),
                    (name, request_id.encode("ascii")),
                ]
        counted = _CountingSend(send, name, request_id)
        await self(scope, receive, counted)
        decision = counted.decision
        hooks = self._files.hooks
        if decision is None or hooks is None:
            return
        client = scope.get("client")
        hooks.report(
            RequestInfo(
                method=scope["method"],
                path=scope["path"],
                status=counted.status,
                bytes_sent=counted.sent,
                elapsed=time.perf_counter() - started,
                start_time_ns=start_ns,
                encoding=decision.coding,
                request_id=request_id,
                scheme=scope.get("scheme", "http"),
                http_version=scope.get("http_version", "1.1"),
                client=client[0] if client else None,
                headers=tuple(scope["headers"]),
            )
        )

    async def _not_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Lifespan and websocket scopes: the wrapped app's business, or answered standalone."""
        if self.app is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _send_file(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        decision: Decision,
        path: str,
        *,
        to_app: bool = True,
    ) -> Decision | None:
        """Answer about a file on disk, after checking it is still the one indexed.

        Every response about it is checked, HEAD and 304 included: a changed file is described
        again (in a worker thread) and the request decided afresh; a vanished one is a miss.
        """
        loop = asyncio.get_running_loop()
        if decision.segments and (body_length(decision) <= self._inline_max or decision.holdable):
            body = read_small_body(decision)
            if body is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": decision.status,
                        "headers": decision.headers,
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return decision
        if not unchanged(decision):
            replacement = await loop.run_in_executor(
                None,
                self._files.refresh,
                decision,
                scope["method"],
                path,
                scope.get("query_string", b""),
                scope["headers"],
            )
            if replacement is None:
                if self.app is not None and to_app:
                    return await self._to_app(scope, receive, send, path)
                return await _send_decision(send, self._files.error(404, scope["method"]))
            decision = replacement
        start = {
            "type": "http.response.start",
            "status": decision.status,
            "headers": decision.headers,
        }
        if not decision.segments:
            await send(start)
            await send({"type": "http.response.body", "body": decision.body})
            return decision
        if decision.status == 200 and "http.response.pathsend" in (scope.get("extensions") or {}):
            await send(start)
            await send({"type": "http.response.pathsend", "path": decision.file})
            return decision
        file = await loop.run_in_executor(None, open_unchanged, decision)
        if file is None:  # changing under our feet: let the client retry
            return await _send_decision(send, self._files.error(503, scope["method"], b"1"))
        with file:
            await self._stream(receive, send, start, decision, file)
        return decision

    async def _stream(
        self, receive: Receive, send: Send, start: Message, decision: Decision, file: Any
    ) -> None:
        """Send the decision's file segments in chunks, read on the event loop when the page
        cache holds them (``read_if_cached``), else in a worker thread.

        Stops reading as soon as the client goes away: ``http.disconnect`` arrives, or a send
        fails.
        """
        loop = asyncio.get_running_loop()
        chunk_size = self.config.chunk_size
        watcher = loop.create_task(_wait_for_disconnect(receive))
        fd = file.fileno()
        unyielded = 0
        self._streams += 1
        try:
            await send(start)
            for prefix, offset, length in decision.segments:
                if prefix:
                    await send({"type": "http.response.body", "body": prefix, "more_body": True})
                while length > 0:
                    if watcher.done():
                        return
                    # Many concurrent streams share STREAM_MEMORY: each chunk read waits in the
                    # server's write buffer until the client takes it.
                    size = min(
                        length,
                        chunk_size,
                        max(MIN_STREAM_CHUNK, STREAM_MEMORY // self._streams),
                    )
                    data = read_if_cached(fd, offset, size)
                    if data is None:
                        data = await loop.run_in_executor(None, read_at, file, offset, size)
                    else:
                        unyielded += len(data)
                        if unyielded >= YIELD_EVERY:
                            unyielded = 0
                            await asyncio.sleep(0)
                    if not data:
                        raise RuntimeError(f"{decision.file!r} shrank while it was being sent")
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                    offset += len(data)
                    length -= len(data)
            await send({"type": "http.response.body", "body": decision.body, "more_body": False})
        except OSError:
            return  # the client went away mid-send
        finally:
            self._streams -= 1
            watcher.cancel()


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_decision(send: Send, decision: Decision) -> Decision:
    """A response with its body in memory, such as those ``StaticFiles.error`` makes."""
    await send(
        {"type": "http.response.start", "status": decision.status, "headers": decision.headers}
    )
    await send({"type": "http.response.body", "body": decision.body})
    return decision


class _CountingSend:
    """``send`` that remembers the status, counts the body bytes handed to the server, and
    adds the request id header to a response that has none."""

    __slots__ = ("_name", "_send", "_value", "decision", "sent", "status")

    def __init__(self, send: Send, name: bytes | None, request_id: str | None) -> None:
        self._send = send
        self._name = name
        self._value = request_id.encode("ascii") if request_id is not None else b""
        self.status = 0
        self.sent = 0
        self.decision: Decision | None = None
        """What ferrostatic answered with; None when the wrapped app did."""

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            name = self._name
            if name is not None and header_value(message.get("headers", ()), name) is None:
                message = {**message, "headers": [*message.get("headers", ()), (name, self._value)]}
        await self._send(message)
        if kind == "http.response.body":
            self.sent += len(message.get("body", b""))
        elif kind == "http.response.pathsend":
            self.sent += os.stat(message["path"]).st_size
