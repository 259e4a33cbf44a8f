"""The ASGI adapter: read the scope, make one router call, send what it decided.

This module and the WSGI one are the only code that does I/O on the request path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ._app import (
    INLINE_READ_MAX,
    StaticFiles,
    body_length,
    open_unchanged,
    read_at,
    read_small_body,
    unchanged,
)
from ._pure import Decision
from .config import ConfigError, Options

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Ferrostatic"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Ferrostatic:
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
        self._resolve = self._files.resolve
        self.config = self._files.config
        self.index = self._files.index
        # A body that fits in one chunk is read at once, inline (see INLINE_READ_MAX).
        self._inline_max = min(INLINE_READ_MAX, self.config.chunk_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a GET/HEAD for an indexed file; hand everything else to the wrapped app."""
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        path = scope["path"]
        root_path = scope.get("root_path")
        if root_path and path.startswith(root_path):
            rest = path[len(root_path) :]
            if not rest or rest[0] == "/":
                path = rest or "/"
        decision = self._resolve(
            scope["method"], path, scope.get("query_string", b""), scope["headers"]
        )
        if decision is None:
            assert self.app is not None
            await self.app(scope, receive, send)
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
            await self._send_file(scope, receive, send, decision, path)

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
        self, scope: Scope, receive: Receive, send: Send, decision: Decision, path: str
    ) -> None:
        """Answer about a file on disk, after checking it is still the one indexed.

        Every response about it is checked, HEAD and 304 included: a changed file is described
        again (in a worker thread) and the request decided afresh; a vanished one is a miss.
        """
        loop = asyncio.get_running_loop()
        if decision.segments and body_length(decision) <= self._inline_max:
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
                return
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
                if self.app is not None:
                    await self.app(scope, receive, send)
                else:
                    await _send_plain(send, scope, 404, b"404 Not Found\n")
                return
            decision = replacement
        start = {
            "type": "http.response.start",
            "status": decision.status,
            "headers": decision.headers,
        }
        if not decision.segments:
            await send(start)
            await send({"type": "http.response.body", "body": decision.body})
            return
        if decision.status == 200 and "http.response.pathsend" in (scope.get("extensions") or {}):
            await send(start)
            await send({"type": "http.response.pathsend", "path": decision.file})
            return
        file = await loop.run_in_executor(None, open_unchanged, decision)
        if file is None:  # changing under our feet: let the client retry
            await _send_plain(send, scope, 503, b"503 Service Unavailable\n", b"1")
            return
        with file:
            await self._stream(receive, send, start, decision, file)

    async def _stream(
        self, receive: Receive, send: Send, start: Message, decision: Decision, file: Any
    ) -> None:
        """Send the decision's file segments in chunks read off the event loop.

        Stops reading as soon as the client goes away: ``http.disconnect`` arrives, or a send
        fails.
        """
        loop = asyncio.get_running_loop()
        chunk_size = self.config.chunk_size
        watcher = loop.create_task(_wait_for_disconnect(receive))
        try:
            await send(start)
            for prefix, offset, length in decision.segments:
                if prefix:
                    await send({"type": "http.response.body", "body": prefix, "more_body": True})
                while length > 0:
                    if watcher.done():
                        return
                    data = await loop.run_in_executor(
                        None, read_at, file, offset, min(chunk_size, length)
                    )
                    if not data:
                        raise RuntimeError(f"{decision.file!r} shrank while it was being sent")
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                    offset += len(data)
                    length -= len(data)
            await send({"type": "http.response.body", "body": decision.body, "more_body": False})
        except OSError:
            return  # the client went away mid-send
        finally:
            watcher.cancel()


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_plain(
    send: Send, scope: Scope, status: int, body: bytes, retry_after: bytes | None = None
) -> None:
    """A short text response the router did not decide (a file vanished or keeps changing)."""
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"%d" % len(body)),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
