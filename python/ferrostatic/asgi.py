"""The ASGI adapter: read the scope, make one router call, send what it decided.

This module and the WSGI one are the only code that does I/O on the request path.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import PurePath
from typing import Any

from . import _backend
from ._index import build_index, reindex_file
from ._pure import Decision, Router
from .config import Config

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

    def __init__(
        self,
        app: ASGIApp | None = None,
        /,
        *,
        directory: str | os.PathLike[str] | None = None,
        prefix: str = Config.prefix,
        index_file: str | None = Config.index_file,
        allow_hidden: bool = Config.allow_hidden,
        follow_symlinks_outside: bool = Config.follow_symlinks_outside,
        cache_max_age: int = Config.cache_max_age,
        immutable_pattern: str | re.Pattern[str] | None = Config.immutable_pattern,
        charset: str | None = Config.charset,
        mime_types: Mapping[str, str] | None = Config.mime_types,
        max_memory_file_size: int = Config.max_memory_file_size,
        memory_budget: int = Config.memory_budget,
        hash_max_file_size: int = Config.hash_max_file_size,
        chunk_size: int = Config.chunk_size,
    ) -> None:
        """Validate the options, index the directory and build the router.

        Raises ``ferrostatic.ConfigError`` naming the first wrong option.
        """
        if app is not None and not callable(app):
            from .config import ConfigError

            raise ConfigError(f"app: expected an ASGI application (a callable), got {app!r}")
        options = dict(locals())
        del options["self"], options["app"]
        self.app = app
        self.config = Config.from_options(options)
        self.index = build_index(self.config)
        self._year = time.gmtime().tm_year
        self._router = _backend.Router(
            self.index.resources,
            self.index.redirects,
            standalone=app is None,
            current_year=self._year,
        )
        # The router holds what it needs; the descriptions would double the memory per file.
        self.index.resources.clear()
        self.index.redirects.clear()
        self._refreshed: dict[str, Router] = {}

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
        decision = self._router.resolve(
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
        if not _unchanged(decision):
            replacement = await loop.run_in_executor(None, self._refresh, scope, decision, path)
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
        file = await loop.run_in_executor(None, _open_unchanged, decision)
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
                        None, _read_at, file, offset, min(chunk_size, length)
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

    def _refresh(self, scope: Scope, decision: Decision, path: str) -> Decision | None:
        """Re-index a file that changed or vanished since start-up, and decide again.

        Runs in a worker thread. The fresh description is kept, keyed by file, so that later
        requests for the changed file do not re-read it: the next request finds it unchanged.
        """
        assert decision.file is not None
        source = decision.file
        if decision.coding not in (None, "identity"):
            source = os.path.splitext(source)[0]
        try:
            rel = PurePath(source).relative_to(self.config.directory).as_posix()
        except ValueError:
            return None
        cached = self._refreshed.get(rel)
        if cached is not None:
            fresh = cached.resolve(
                scope["method"], path, scope.get("query_string", b""), scope["headers"]
            )
            if fresh is not None and (fresh.file is None or _unchanged(fresh)):
                return fresh
        resource = reindex_file(self.config, rel)
        if resource is None:
            self._refreshed.pop(rel, None)
            return None
        router = type(self._router)(
            [resource], (), standalone=self.app is None, current_year=self._year
        )
        self._refreshed[rel] = router
        return router.resolve(
            scope["method"], path, scope.get("query_string", b""), scope["headers"]
        )


def _unchanged(decision: Decision) -> bool:
    """Whether the decision's file still has the size and mtime the decision was made with."""
    try:
        st = os.stat(decision.file)  # type: ignore[arg-type]
    except OSError:
        return False
    return st.st_size == decision.size and st.st_mtime_ns == decision.mtime_ns


def _open_unchanged(decision: Decision) -> Any:
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


def _read_at(file: Any, offset: int, length: int) -> bytes:
    file.seek(offset)
    data: bytes = file.read(length)
    return data


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
