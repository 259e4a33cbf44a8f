"""The wrapped app every middleware passes misses to: ``200 ok`` for any request.

``app`` is the ASGI version (it also answers lifespan), ``wsgi_app`` the WSGI one (for
WhiteNoise). Run alone, ``app`` is the ceiling of the pass-through scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bench_types import Receive, Scope, Send

BODY = b"ok"
HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with ``200 ok``; complete lifespan; close websockets."""
    kind = scope["type"]
    if kind == "http":
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif kind == "websocket":
        await send({"type": "websocket.close", "code": 1000})


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The same answer over WSGI."""
    start_response(
        "200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")]
    )
    return [BODY]
