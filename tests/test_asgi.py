"""The ASGI adapter, in-process: scopes, root_path, pathsend, streaming, disconnects, HEAD."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import Ferrostatic

from .conftest import Response, call, write_tree

MakeApp = Callable[..., Ferrostatic]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BIG = bytes(range(256)) * 4096  # 1 MiB
MEDIUM = bytes(range(251)) * 42  # 10542 bytes, not a multiple of the chunk size


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with an index, a small file, a 1 MiB file and a 10542-byte file."""
    return write_tree(
        tmp_path / "root",
        {
            "index.html": "<!doctype html><title>home</title>",
            "app.js": "console.log(1);\n",
            "style.css": "body{}",
            "tyle.css": "WRONG",
            "docs/index.html": "docs",
            "big.bin": BIG,
            "medium.bin": MEDIUM,
        },
    )


def http_scope(path: str) -> Message:
    """A minimal HTTP GET scope (ASGI 3, spec 2.4) for a request without a body."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "extensions": {},
    }


def _bodies(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m["type"] == "http.response.body"]


# --- Lifespan and websocket scopes ----------------------------------------------------------


@pytest.mark.asgi_only
def test_lifespan_standalone(make_app: MakeApp, root: Path) -> None:
    """Standalone, the app answers lifespan startup and shutdown and returns."""
    app = make_app(directory=root)
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app({"type": "lifespan"}, receive, send), 5))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


@pytest.mark.asgi_only
def test_websocket_standalone_is_closed(make_app: MakeApp, root: Path) -> None:
    """Standalone, a websocket is refused with a close (the server turns it into 403)."""
    app = make_app(directory=root)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app({"type": "websocket", "path": "/app.js", "headers": []}, receive, send))
    assert [m["type"] for m in sent] == ["websocket.close"]


@pytest.mark.asgi_only
@pytest.mark.parametrize("kind", ["lifespan", "websocket"])
def test_middleware_passes_other_scopes_untouched(make_app: MakeApp, root: Path, kind: str) -> None:
    """As middleware, lifespan and websocket scopes reach the wrapped app as the same objects."""
    seen: list[tuple[Any, Any, Any]] = []

    async def inner(scope: Message, receive: Receive, send: Send) -> None:
        seen.append((scope, receive, send))

    async def receive() -> Message:
        raise AssertionError("the middleware must not read the wrapped app's messages")

    async def send(message: Message) -> None:
        raise AssertionError("the middleware must not answer for the wrapped app")

    app = make_app(inner, directory=root)
    scope: Message = {"type": kind, "path": "/app.js", "headers": [], "asgi": {"version": "3.0"}}
    snapshot = dict(scope)
    asyncio.run(app(scope, receive, send))
    assert len(seen) == 1
    assert seen[0][0] is scope and seen[0][1] is receive and seen[0][2] is send
    assert scope == snapshot


# --- root_path ------------------------------------------------------------------------------


def test_root_path_is_stripped(make_app: MakeApp, root: Path) -> None:
    """A mounted app sees ``path`` with ``root_path`` in front (ASGI 2.4): it is removed."""
    app = make_app(directory=root)
    response = call(app, path="/static/app.js", root_path="/static")
    assert (response.status, response.body) == (200, b"console.log(1);\n")
    assert call(app, path="/static/", root_path="/static").body.startswith(b"<!doctype")
    assert call(app, path="/static", root_path="/static").body.startswith(b"<!doctype")


def test_path_outside_root_path_is_used_as_is(make_app: MakeApp, root: Path) -> None:
    """A path that does not start with ``root_path`` (an older server) is looked up whole."""
    response = call(make_app(directory=root), path="/app.js", root_path="/static")
    assert (response.status, response.body) == (200, b"console.log(1);\n")


def test_root_path_is_not_stripped_mid_segment(make_app: MakeApp, root: Path) -> None:
    """``root_path="/s"`` does not turn ``/style.css`` into ``tyle.css``."""
    response = call(make_app(directory=root), path="/style.css", root_path="/s")
    assert (response.status, response.body) == (200, b"body{}")


def test_middleware_root_path_scope_untouched(make_app: MakeApp, root: Path) -> None:
    """A miss goes to the wrapped app with the original path and root_path."""
    seen: list[tuple[str, str]] = []

    async def inner(scope: Message, receive: Receive, send: Send) -> None:
        seen.append((scope["path"], scope["root_path"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    response = call(make_app(inner, directory=root), path="/static/nope", root_path="/static")
    assert response.status == 204
    assert seen == [("/static/nope", "/static")]


# --- http.response.pathsend -----------------------------------------------------------------

PATHSEND = {"http.response.pathsend": {}}


@pytest.mark.asgi_only
def test_pathsend_for_a_full_disk_file(make_app: MakeApp, root: Path) -> None:
    """A whole file read from disk is handed to the server by its absolute path."""
    response = call(make_app(directory=root), path="/big.bin", extensions=PATHSEND)
    assert [m["type"] for m in response.messages] == [
        "http.response.start",
        "http.response.pathsend",
    ]
    path = response.messages[1]["path"]
    assert os.path.isabs(path)
    assert Path(path).resolve() == (root / "big.bin").resolve()
    assert response.status == 200
    assert response.header("content-length") == str(len(BIG))


@pytest.mark.asgi_only
def test_no_pathsend_for_a_range(make_app: MakeApp, root: Path) -> None:
    """A 206 sends its bytes itself: pathsend can only send a whole file."""
    headers = [(b"range", b"bytes=10-19")]
    response = call(make_app(directory=root), path="/big.bin", headers=headers, extensions=PATHSEND)
    assert response.status == 206
    assert "http.response.pathsend" not in [m["type"] for m in response.messages]
    assert response.body == BIG[10:20]


@pytest.mark.asgi_only
def test_no_pathsend_for_an_in_memory_file(make_app: MakeApp, root: Path) -> None:
    """A file held in memory is sent as a body message."""
    response = call(make_app(directory=root), path="/app.js", extensions=PATHSEND)
    assert [m["type"] for m in response.messages] == ["http.response.start", "http.response.body"]
    assert response.body == b"console.log(1);\n"


# --- Streaming from disk --------------------------------------------------------------------


def test_disk_body_is_sent_in_chunks(make_app: MakeApp, root: Path) -> None:
    """No body message is larger than ``chunk_size``; the last one ends the body."""
    app = make_app(directory=root, max_memory_file_size=0, chunk_size=1000)
    response = call(app, path="/medium.bin")
    bodies = _bodies(response.messages)
    assert response.body == MEDIUM
    assert all(len(m["body"]) <= 1000 for m in bodies)
    assert len([m for m in bodies if m["body"]]) == 11
    assert [m.get("more_body", False) for m in bodies] == [True] * (len(bodies) - 1) + [False]


def test_multipart_from_disk_equals_in_memory(make_app: MakeApp, root: Path) -> None:
    """A multipart/byteranges body (RFC 9110 §14.6) streamed from disk is byte for byte the
    one rendered from memory, and each part holds the right bytes."""
    headers = [(b"range", b"bytes=0-9,2000-2999,-100")]
    from_disk = make_app(directory=root, max_memory_file_size=0, chunk_size=300)
    disk = call(from_disk, "GET", "/medium.bin", headers)
    memory = call(make_app(directory=root), "GET", "/medium.bin", headers)
    assert disk.status == memory.status == 206
    assert disk.headers == memory.headers
    assert disk.body == memory.body
    assert all(len(m["body"]) <= 300 or b"content-range" in m["body"] for m in disk.messages[1:])
    for first, last in ((0, 9), (2000, 2999), (10442, 10541)):
        part = (
            f"content-range: bytes {first}-{last}/10542\r\n\r\n".encode() + MEDIUM[first : last + 1]
        )
        assert part in disk.body


def _run(app: Ferrostatic, scope: Message, receive: Receive, send: Send) -> None:
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))


@pytest.mark.asgi_only
@pytest.mark.parametrize(
    "failure",
    [BlockingIOError(11, "not in the page cache"), OSError(95, "no RWF_NOWAIT here"), None],
    ids=["not-cached", "unsupported", "cached"],
)
def test_streamed_chunks_are_read_in_a_thread_when_not_cached(
    make_app: MakeApp, root: Path, monkeypatch: pytest.MonkeyPatch, failure: OSError | None
) -> None:
    """A chunk the page cache does not hold (or where the OS cannot tell) is read in a worker
    thread; one it holds is read on the loop. The body is the file either way."""
    from ferrostatic import asgi

    if asgi._NOWAIT is None:
        pytest.skip("no preadv with RWF_NOWAIT on this platform")
    with open(root / "big.bin", "rb") as probe:
        cached = asgi.read_if_cached(probe.fileno(), 0, 1)
    if failure is None and cached is None:
        pytest.skip("this filesystem does not tell what the page cache holds (RWF_NOWAIT)")
    threads: list[int] = []
    real_read_at = asgi.read_at

    def read_at(*args: Any) -> bytes:
        threads.append(1)
        return real_read_at(*args)

    def preadv(*args: Any) -> int:
        assert failure is not None
        raise failure

    monkeypatch.setattr(asgi, "read_at", read_at)
    if failure is not None:
        monkeypatch.setattr(os, "preadv", preadv)
    app = make_app(directory=root, max_memory_file_size=0, chunk_size=64 * 1024)
    response = call(app, path="/big.bin")
    assert (response.status, response.body) == (200, BIG)
    chunks = -(-len(BIG) // asgi.MIN_STREAM_CHUNK)
    assert len(threads) == (0 if failure is None else chunks)


@pytest.mark.asgi_only
def test_disconnect_stops_the_stream(
    make_app: MakeApp, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the client has gone (``http.disconnect``), no more of the file is read or sent
    after the stream's next turn (``YIELD_EVERY`` bytes when it reads on the loop)."""
    from ferrostatic import asgi

    monkeypatch.setattr(asgi, "YIELD_EVERY", 2048)
    app = make_app(directory=root, max_memory_file_size=0, chunk_size=1024)
    sent: list[Message] = []

    async def main() -> None:
        first_chunk = asyncio.Event()
        calls = 0

        async def receive() -> Message:
            nonlocal calls
            calls += 1
            if calls == 1:
                return {"type": "http.request", "body": b"", "more_body": False}
            await first_chunk.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message.get("body"):
                first_chunk.set()

        await asyncio.wait_for(app(http_scope("/big.bin"), receive, send), 10)

    asyncio.run(main())
    chunks = [m for m in _bodies(sent) if m["body"]]
    assert sent[0]["status"] == 200
    assert 1 <= len(chunks) <= 5, len(chunks)  # the whole file is 1024 chunks


@pytest.mark.asgi_only
def test_send_failure_ends_the_response(make_app: MakeApp, root: Path) -> None:
    """A ``send`` that fails with OSError mid-body (the connection broke) ends the response
    quietly: no exception escapes, and nothing more is sent."""
    app = make_app(directory=root, max_memory_file_size=0, chunk_size=1024)
    attempts: list[Message] = []

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        attempts.append(message)
        if len(_bodies(attempts)) > 1:
            raise OSError("connection reset by peer")

    _run(app, http_scope("/big.bin"), receive, send)
    assert len(_bodies(attempts)) == 2


# --- HEAD -------------------------------------------------------------------------------------


def _head_and_get(
    app: Ferrostatic, path: str, headers: list[tuple[bytes, bytes]], get_headers: Any = None
) -> tuple[Response, Response]:
    head = call(app, "HEAD", path, headers)
    get = call(app, "GET", path, headers if get_headers is None else get_headers)
    return head, get


@pytest.mark.parametrize("max_memory_file_size", [0, 1 << 20], ids=["disk", "memory"])
@pytest.mark.parametrize(
    ("path", "status"),
    [("/big.bin", 200), ("/", 200), ("/nope", 404), ("/docs", 301)],
)
def test_head_has_the_headers_of_get(
    make_app: MakeApp, root: Path, max_memory_file_size: int, path: str, status: int
) -> None:
    """HEAD gets the headers GET would get and no body (RFC 9110 §9.3.2)."""
    app = make_app(directory=root, max_memory_file_size=max_memory_file_size)
    head, get = _head_and_get(app, path, [])
    assert (head.status, get.status) == (status, status)
    assert head.headers == get.headers
    assert head.body == b""
    assert all(m["type"] != "http.response.pathsend" for m in head.messages)


@pytest.mark.parametrize("max_memory_file_size", [0, 1 << 20], ids=["disk", "memory"])
def test_head_ignores_range(make_app: MakeApp, root: Path, max_memory_file_size: int) -> None:
    """Range applies to GET only (RFC 9110 §14.2): HEAD with a Range is the 200 of a GET."""
    app = make_app(directory=root, max_memory_file_size=max_memory_file_size)
    head, get = _head_and_get(app, "/big.bin", [(b"range", b"bytes=0-9")], [])
    assert (head.status, get.status) == (200, 200)
    assert head.headers == get.headers
    assert head.header("content-length") == str(len(BIG))
    assert head.body == b""


@pytest.mark.parametrize("max_memory_file_size", [0, 1 << 20], ids=["disk", "memory"])
def test_head_not_modified(make_app: MakeApp, root: Path, max_memory_file_size: int) -> None:
    """A conditional HEAD is 304 like the GET (RFC 9110 §13.1.2), with the same headers."""
    app = make_app(directory=root, max_memory_file_size=max_memory_file_size)
    etag = call(app, path="/big.bin").header("etag")
    assert etag is not None
    head, get = _head_and_get(app, "/big.bin", [(b"if-none-match", etag.encode())])
    assert (head.status, get.status) == (304, 304)
    assert head.headers == get.headers
    assert (head.body, get.body) == (b"", b"")


@pytest.mark.asgi_only
def test_small_range_from_disk_is_read_inline(
    make_app: MakeApp, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range that fits in one chunk is read at once, without a worker thread, and sent as
    one message (RFC 9110 §14.4: the bytes and Content-Range of that range)."""

    def no_threads(*args: object) -> None:
        raise AssertionError("a small read went to a worker thread")

    monkeypatch.setattr(asyncio.BaseEventLoop, "run_in_executor", no_threads)
    app = make_app(directory=root, max_memory_file_size=0)
    response = call(app, path="/big.bin", headers=[(b"range", b"bytes=65536-131071")])
    assert response.status == 206
    assert response.header("content-range") == f"bytes 65536-131071/{len(BIG)}"
    assert response.body == BIG[65536:131072]
    assert len(_bodies(response.messages)) == 1
