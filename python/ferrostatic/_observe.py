"""``on_request`` hooks: what ferrostatic answered, reported once the response is sent.

A hook is called with a ``RequestInfo`` for every response ferrostatic itself produces (the
wrapped app's responses are the app's to report) once the last byte has been handed to the
server. A hook may be a plain function or a coroutine function. A coroutine runs as a task of
its own: a slow one never holds up a response. An exception in a hook is logged on the
``ferrostatic`` logger and swallowed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Hooks", "RequestInfo", "hooks_from_option"]

logger = logging.getLogger("ferrostatic")

Header = tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """One response ferrostatic produced, as reported to ``on_request`` hooks.

    - ``method``, ``path``: as received (``path`` is the decoded URL path, mount point
      included).
    - ``status``: the status code sent.
    - ``bytes_sent``: body bytes handed to the server; 0 for HEAD, 304 and 204, and fewer than
      the Content-Length when the client went away mid-body. A body the server sends from the
      file itself (``http.response.pathsend``, ``wsgi.file_wrapper``) counts as handed over
      whole.
    - ``elapsed``: seconds from the request's arrival to the last byte handed over.
    - ``start_time_ns``: the arrival, as ``time.time_ns()`` (wall clock, for tracing).
    - ``encoding``: the content coding of the file representation sent (``"br"``, ``"zstd"``,
      ``"gzip"``, ``"identity"``), None for a response that is not about a file.
    - ``request_id``: the request id (``request_id_header``), None when not configured.
    - ``scheme``, ``http_version``: ``"https"``, ``"1.1"``.
    - ``client``: the peer's address, None when the server does not say.
    - ``headers``: the request's header fields, names lower-case, as received.
    """

    method: str
    path: str
    status: int
    bytes_sent: int
    elapsed: float
    start_time_ns: int
    encoding: str | None = None
    request_id: str | None = None
    scheme: str = "http"
    http_version: str = "1.1"
    client: str | None = None
    headers: tuple[Header, ...] = ()


Hook = Callable[[RequestInfo], Any]


class Hooks:
    """The hooks of one app, called in the order given."""

    def __init__(self, hooks: Sequence[Hook]) -> None:
        self._hooks = tuple(hooks)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._thread_lock = threading.Lock()

    def report(self, info: RequestInfo) -> None:
        """Call every hook with ``info``; coroutines are scheduled, never awaited here."""
        for hook in self._hooks:
            try:
                result = hook(info)
            except Exception:
                logger.exception("ferrostatic: on_request hook %r failed", hook)
                continue
            if inspect.isawaitable(result):
                self._schedule(hook, result)

    def _schedule(self, hook: Hook, awaitable: Any) -> None:
        coroutine = _guarded(hook, awaitable)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # WSGI: no loop on this thread; run it on ferrostatic's own
            asyncio.run_coroutine_threadsafe(coroutine, self._background_loop())
            return
        task = loop.create_task(coroutine)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    def _background_loop(self) -> asyncio.AbstractEventLoop:
        with self._thread_lock:
            if self._thread_loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="ferrostatic-hooks", daemon=True
                ).start()
                self._thread_loop = loop
            return self._thread_loop


async def _guarded(hook: Hook, awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("ferrostatic: on_request hook %r failed", hook)


def hooks_from_option(value: object) -> tuple[Hook, ...]:
    """The ``on_request`` option as a tuple of callables: one callable, or a list of them."""
    from .config import ConfigError

    if value is None:
        return ()
    candidates: Iterable[object] = (
        value if isinstance(value, (list, tuple)) and not callable(value) else (value,)
    )
    hooks = tuple(candidates)
    for hook in hooks:
        if not callable(hook):
            raise ConfigError(
                "on_request: expected a function taking a RequestInfo (or a list of them), "
                f"got {hook!r}"
            )
    return hooks  # type: ignore[return-value]
