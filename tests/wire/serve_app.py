"""The ASGI app the wire tests' servers load (``serve_app:app``), built from the environment.

``FERROSTATIC_TEST_ROOT``   the folder to serve.
``FERROSTATIC_TEST_MODE``   ``standalone`` (the default); ``middleware``, in front of an app that
                            answers everything with ``{"app": true, "method": ..., "path": ...}``;
                            ``mounted``, under ``/static`` in a Starlette app; or ``operator``,
                            in front of an app answering only ``/api/...`` (404 elsewhere), with
                            a second root, the SPA page, CORS, request ids and a report hook.
``FERROSTATIC_TEST_REPORTS`` (``operator``) the file the ``on_request`` hook appends
                            ``{"status", "bytes_sent", "path", "request_id"}`` lines to.
``FERROSTATIC_BACKEND``     ``rust`` or ``python``, read by ferrostatic itself; checked here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import ferrostatic
from ferrostatic import Ferrostatic

Message = MutableMapping[str, Any]


async def inner_app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Answer every HTTP request with 200 JSON naming its method and path."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":  # startup
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    body = json.dumps({"app": True, "method": scope["method"], "path": scope["path"]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def api_app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """``inner_app`` for ``/api/...``; a short 404 for every other path."""
    if scope["type"] != "http" or scope["path"].startswith("/api/"):
        await inner_app(scope, receive, send)
        return
    body = b"app: no such page"
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def operator(root: str) -> Ferrostatic:
    """The operator features together, reporting each response to a file."""
    reports = os.environ["FERROSTATIC_TEST_REPORTS"]

    def report(info: ferrostatic.RequestInfo) -> None:
        line = {
            "status": info.status,
            "bytes_sent": info.bytes_sent,
            "path": info.path,
            "request_id": info.request_id,
        }
        with open(reports, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    return Ferrostatic(
        api_app,
        directory=root,
        directories={"/media/": os.path.join(root, "data")},
        spa_fallback="index.html",
        cors_allow_origins=["https://app.example.com"],
        request_id_header="X-Request-ID",
        health_check_path="/healthz",
        on_request=report,
    )


def build() -> Any:
    """The app for this process's mode, on the backend the environment asks for."""
    root = os.environ["FERROSTATIC_TEST_ROOT"]
    mode = os.environ.get("FERROSTATIC_TEST_MODE", "standalone")
    wanted = os.environ.get("FERROSTATIC_BACKEND", "auto")
    if wanted != "auto" and ferrostatic.backend != wanted:
        raise RuntimeError(f"FERROSTATIC_BACKEND={wanted}, but the {ferrostatic.backend} one runs")
    if mode == "standalone":
        return Ferrostatic(directory=root)
    if mode == "middleware":
        return Ferrostatic(inner_app, directory=root)
    if mode == "operator":
        return operator(root)
    if mode == "mounted":
        from starlette.applications import Starlette
        from starlette.routing import Mount

        return Starlette(routes=[Mount("/static", app=Ferrostatic(directory=root))])
    raise RuntimeError(
        f"FERROSTATIC_TEST_MODE={mode!r}: expected standalone, middleware, mounted or operator"
    )


app = build()
