"""The WSGI adapter: native strings, SCRIPT_NAME, file_wrapper, closing, and real servers.

The HTTP behaviour itself is tested through both entry points by the shared suite (``make_app``
is parametrised over ASGI and WSGI); this file is about what only WSGI has.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import wsgiref.simple_server
import wsgiref.util
import wsgiref.validate
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import FerrostaticWSGI, wsgi
from ferrostatic.wsgi import FileBody, WholeFileBody

from .conftest import (
    call_wsgi,
    free_port,
    gunicorn_command,
    run_wsgi,
    serving,
    write_tree,
    wsgi_environ,
)
from .wire.support import Connection, descendants, fetch, read_chars

BIG = bytes(range(256)) * 4096  # 1 MiB
MEDIUM = bytes(range(251)) * 42  # 10542 bytes
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
Environ = dict[str, Any]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with small files, a 1 MiB and a 10542-byte file, and a non-ASCII name."""
    return write_tree(
        tmp_path / "root",
        {
            "index.html": "<!doctype html><title>home</title>",
            "app.js": "console.log(1);\n",
            "docs/index.html": "docs",
            "big.bin": BIG,
            "medium.bin": MEDIUM,
            "café/menü.txt": "crème brûlée",
        },
    )


@pytest.fixture
def disk(backend: str, root: Path) -> FerrostaticWSGI:
    """Every file read from disk, in 1000-byte chunks."""
    return FerrostaticWSGI(directory=root, max_memory_file_size=0, chunk_size=1000)


class RecordingWrapper:
    """A ``wsgi.file_wrapper`` that records what it was given (and iterates like wsgiref's)."""

    made: list[RecordingWrapper]

    def __init__(self, filelike: Any, block_size: int = 8192) -> None:
        self.filelike = filelike
        self.block_size = block_size
        self.closed = False
        RecordingWrapper.made.append(self)

    def __iter__(self) -> Iterator[bytes]:
        while data := self.filelike.read(self.block_size):
            yield data

    def close(self) -> None:
        self.closed = True
        self.filelike.close()


@pytest.fixture
def recording() -> type[RecordingWrapper]:
    RecordingWrapper.made = []
    return RecordingWrapper


def _start(app: Callable[..., Any], environ: Environ) -> tuple[list[Any], Iterable[bytes]]:
    """Call the app without iterating its body: ``(started, iterable)``."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))
        return None

    return started, app(environ, start_response)


# --- Native strings ---------------------------------------------------------------------------


def test_non_ascii_name_round_trips_through_latin_1(backend: str, root: Path) -> None:
    """PATH_INFO carries the UTF-8 bytes of the path decoded as latin-1 (PEP 3333); they are
    encoded back and decoded as UTF-8 for the lookup."""
    app = FerrostaticWSGI(directory=root)
    environ = wsgi_environ("GET", "/café/menü.txt")
    assert environ["PATH_INFO"] == "/caf\xc3\xa9/men\xc3\xbc.txt"
    response = run_wsgi(app, environ)
    assert (response.status, response.body) == (200, "crème brûlée".encode())


@pytest.mark.parametrize(
    "path_info", ["/\xff", "/caf\xe9/men\xfc.txt", "/\xc0\xae\xc0\xae/", "/\x00", "/%ff"]
)
def test_undecodable_path_is_a_plain_miss(backend: str, root: Path, path_info: str) -> None:
    """Bytes that are not UTF-8 (here a Latin-1 encoded name) are a miss: 404 standalone, the
    wrapped app as middleware; never an exception."""
    environ = {**wsgi_environ(), "PATH_INFO": path_info}
    assert run_wsgi(FerrostaticWSGI(directory=root), environ).status == 404
    seen: list[str] = []

    def inner(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"inner"]

    response = run_wsgi(FerrostaticWSGI(inner, directory=root), dict(environ))
    assert (response.status, response.body, seen) == (200, b"inner", [path_info])


def test_server_that_decoded_the_path_already(backend: str, root: Path) -> None:
    """A server breaking PEP 3333 with characters beyond latin-1 has decoded the path already:
    it is looked up as it is, rather than failing."""
    environ = {**wsgi_environ(), "PATH_INFO": "/café/menü.txt\u2603"}
    assert run_wsgi(FerrostaticWSGI(directory=root), environ).status == 404


def test_header_values_are_latin_1_bytes(backend: str, root: Path) -> None:
    """Header values go back to the exact bytes sent: an ETag with a byte above 0x7f (allowed
    as obs-text, RFC 9110 §8.8.3) compares byte for byte."""
    app = FerrostaticWSGI(directory=root)
    etag = call_wsgi(app, path="/app.js").header("etag")
    assert etag is not None
    environ = wsgi_environ("GET", "/app.js")
    environ["HTTP_IF_NONE_MATCH"] = f'"\xff", {etag}'
    assert run_wsgi(app, environ).status == 304
    environ["HTTP_IF_NONE_MATCH"] = "\u2603"  # not latin-1: a broken server; no exception
    assert run_wsgi(app, environ).status == 200


def test_status_lines_have_reason_phrases(backend: str, root: Path) -> None:
    """``start_response`` gets ``"206 Partial Content"`` and the like (PEP 3333)."""
    app = FerrostaticWSGI(directory=root)
    lines = {}
    for headers in ([], [(b"range", b"bytes=0-0")], [(b"range", b"bytes=999999-")]):
        started, body = _start(app, wsgi_environ("GET", "/medium.bin", headers))
        lines[started[0][0]] = None
        getattr(body, "close", lambda: None)()
    assert list(lines) == ["200 OK", "206 Partial Content", "416 Range Not Satisfiable"]
    started, _ = _start(app, wsgi_environ("GET", "/docs"))
    assert started[0][0] == "301 Moved Permanently"
    started, _ = _start(app, wsgi_environ("POST", "/app.js"))
    assert started[0][0] == "405 Method Not Allowed"


# --- SCRIPT_NAME --------------------------------------------------------------------------------


def test_mounted_under_script_name(backend: str, root: Path) -> None:
    """PATH_INFO is the path below the mount point (SCRIPT_NAME): it alone is looked up."""
    app = FerrostaticWSGI(directory=root)
    environ = {**wsgi_environ(), "SCRIPT_NAME": "/static", "PATH_INFO": "/app.js"}
    assert run_wsgi(app, environ).body == b"console.log(1);\n"
    environ["PATH_INFO"] = ""  # the mount point itself
    assert run_wsgi(app, dict(environ)).body == b"<!doctype html><title>home</title>"
    environ["PATH_INFO"] = "/static/app.js"  # SCRIPT_NAME is never looked up again
    assert run_wsgi(app, dict(environ)).status == 404


def test_middleware_passes_the_environ_untouched(backend: str, root: Path) -> None:
    """A miss and another method reach the wrapped app with the same environ and
    start_response, and its iterable is returned as it is."""
    seen: list[tuple[Environ, Any]] = []
    result = [b"inner"]

    def inner(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append((environ, start_response))
        start_response("200 OK", [("content-type", "text/plain")])
        return result

    app = FerrostaticWSGI(inner, directory=root)
    for method, path in (("GET", "/nope"), ("POST", "/app.js"), ("OPTIONS", "/app.js")):
        environ = {**wsgi_environ(method), "SCRIPT_NAME": "/s", "PATH_INFO": path}
        snapshot = dict(environ)

        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            return None

        assert app(environ, start_response) is result
        assert seen[-1][0] is environ and seen[-1][1] is start_response
        assert environ == snapshot


# --- Bodies: memory, file_wrapper, chunks, multipart ---------------------------------------------


def test_file_wrapper_for_a_whole_file_from_disk(
    disk: FerrostaticWSGI, recording: type[RecordingWrapper]
) -> None:
    """A full 200 from disk goes to ``wsgi.file_wrapper`` with ``chunk_size`` blocks, as a file
    with a ``fileno`` (so a server can sendfile it), and is closed by the wrapper's close()."""
    environ = wsgi_environ("GET", "/big.bin")
    environ["wsgi.file_wrapper"] = recording
    started, body = _start(disk, environ)
    assert started[0][0] == "200 OK"
    assert [type(w) for w in recording.made] == [recording] and body is recording.made[0]
    wrapper = recording.made[0]
    assert wrapper.block_size == 1000
    assert isinstance(wrapper.filelike, WholeFileBody)
    assert os.fstat(wrapper.filelike.fileno()).st_size == len(BIG)
    assert b"".join(wrapper) == BIG
    wrapper.close()
    assert wrapper.filelike.closed


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", [(b"range", b"bytes=10-19")]),
        ("GET", [(b"range", b"bytes=0-0,-1")]),
        ("HEAD", []),
        ("GET", [(b"range", b"bytes=99999999-")]),
    ],
    ids=["206", "multipart", "HEAD", "416"],
)
def test_no_file_wrapper_otherwise(
    disk: FerrostaticWSGI,
    recording: type[RecordingWrapper],
    method: str,
    headers: list[tuple[bytes, bytes]],
) -> None:
    """Ranges are sent by our own iterable (which has no ``fileno``: a sendfile would send the
    whole file); bodiless answers are not files at all."""
    environ = wsgi_environ(method, "/big.bin", headers)
    environ["wsgi.file_wrapper"] = recording
    started, body = _start(disk, environ)
    assert recording.made == []
    if started[0][0].startswith("206"):
        assert isinstance(body, FileBody) and not hasattr(body, "fileno")
    else:
        assert not isinstance(body, FileBody)
    getattr(body, "close", lambda: None)()


def test_in_memory_file_is_a_one_item_list(backend: str, root: Path) -> None:
    """A file held in memory is one bytes object: no file, no wrapper."""
    environ = wsgi_environ("GET", "/app.js")
    _, body = _start(FerrostaticWSGI(directory=root), environ)
    assert body == [b"console.log(1);\n"]


def test_without_file_wrapper_blocks_of_chunk_size(disk: FerrostaticWSGI) -> None:
    """Without ``wsgi.file_wrapper``, the body is read in ``chunk_size`` blocks, and the file
    is closed once the body is exhausted (even before the server's close())."""
    _, body = _start(disk, wsgi_environ("GET", "/medium.bin", file_wrapper=False))
    assert isinstance(body, WholeFileBody)
    blocks = list(body)
    assert b"".join(blocks) == MEDIUM
    assert [len(b) for b in blocks] == [1000] * 10 + [542]
    assert body.closed


def test_multipart_is_streamed_part_by_part(disk: FerrostaticWSGI, root: Path) -> None:
    """multipart/byteranges from disk: each part's head, then its bytes in chunks, then the
    closing boundary; byte for byte what the in-memory rendering is."""
    headers = [(b"range", b"bytes=0-9,2000-4999,-100")]
    _, body = _start(disk, wsgi_environ("GET", "/medium.bin", headers))
    blocks = list(body)
    getattr(body, "close", lambda: None)()
    memory = call_wsgi(FerrostaticWSGI(directory=root), "GET", "/medium.bin", headers)
    assert b"".join(blocks) == memory.body
    assert blocks[0].startswith(b"--ferrostatic-") and blocks[0].endswith(b"\r\n\r\n")
    assert blocks[1] == MEDIUM[:10]
    assert [len(b) for b in blocks[3:6]] == [1000, 1000, 1000]
    assert blocks[-1].startswith(b"\r\n--ferrostatic-") and blocks[-1].endswith(b"--\r\n")


def test_head_and_not_modified_have_no_body(disk: FerrostaticWSGI) -> None:
    """HEAD and 304 return no body, in an iterable no server can measure (a 304 must not get
    a Content-Length of 0)."""
    head = call_wsgi(disk, "HEAD", "/big.bin")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", str(len(BIG)))
    etag = str(head.header("etag"))
    _, body = _start(disk, wsgi_environ("GET", "/big.bin", [(b"if-none-match", etag.encode())]))
    assert not hasattr(body, "__len__") and b"".join(body) == b""


# --- Closing: the client goes away ---------------------------------------------------------------


@pytest.mark.parametrize("file_wrapper", [False, True], ids=["iterable", "file_wrapper"])
@pytest.mark.parametrize("range_", [None, b"bytes=0-499999", b"bytes=0-9,500-299999"])
def test_close_after_the_first_block_closes_the_file(
    disk: FerrostaticWSGI, file_wrapper: bool, range_: bytes | None
) -> None:
    """A server calls close() when the client goes away mid-body: the file is closed at once,
    nothing more is read, and no ResourceWarning follows (warnings are errors here)."""
    headers = [(b"range", range_)] if range_ else []
    environ = wsgi_environ("GET", "/big.bin", headers, file_wrapper=file_wrapper)
    _, body = _start(disk, environ)
    iterator = iter(body)
    assert next(iterator)
    filelike = getattr(body, "filelike", body)
    assert isinstance(filelike, FileBody) and not filelike.closed
    body.close()  # type: ignore[attr-defined]
    assert filelike.closed
    with pytest.raises((StopIteration, ValueError)):
        next(iterator)
    del body, iterator, filelike
    gc.collect()


def test_forgotten_body_closes_its_file_when_collected(disk: FerrostaticWSGI) -> None:
    """A server that never calls close() (a bug) still does not leak the handle: the file is
    closed when the body is collected, without a ResourceWarning."""
    _, body = _start(disk, wsgi_environ("GET", "/big.bin", file_wrapper=False))
    assert isinstance(body, FileBody)
    fd = body.fileno()  # type: ignore[attr-defined]
    next(iter(body))
    del body
    gc.collect()
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)


def test_file_that_shrank_while_sent_raises(disk: FerrostaticWSGI, root: Path) -> None:
    """A file truncated between the check and the read cannot be sent whole: the iterable
    raises (the server then drops the connection) instead of ending the body short."""
    _, body = _start(disk, wsgi_environ("GET", "/medium.bin", file_wrapper=False))
    assert isinstance(body, FileBody)
    next(iter(body))
    (root / "medium.bin").write_bytes(b"short")
    with pytest.raises(RuntimeError, match="shrank"):
        list(body)
    assert body.closed


def test_file_changing_under_our_feet_is_503(
    disk: FerrostaticWSGI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the file changes between the check and the open, the answer is 503 with
    ``Retry-After: 1`` (as over ASGI)."""
    monkeypatch.setattr(wsgi, "open_unchanged", lambda decision: None)
    response = call_wsgi(disk, "GET", "/big.bin")
    assert (response.status, response.body) == (503, b"503 Service Unavailable\n")
    assert response.header("retry-after") == "1"
    assert response.header("content-length") == "24"


# --- PEP 3333 conformance: wsgiref.validate -------------------------------------------------------


@pytest.mark.parametrize("file_wrapper", [False, True], ids=["iterable", "file_wrapper"])
@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/app.js", [], 200),
        ("GET", "/big.bin", [], 200),
        ("HEAD", "/big.bin", [], 200),
        ("GET", "/big.bin", [(b"range", b"bytes=5-10")], 206),
        ("GET", "/big.bin", [(b"range", b"bytes=5-10,20-30")], 206),
        ("GET", "/big.bin", [(b"if-match", b'"nope"')], 412),
        ("GET", "/big.bin", [(b"range", b"bytes=99999999-")], 416),
        ("GET", "/nope", [], 404),
        ("DELETE", "/app.js", [], 405),
    ],
)
def test_pep_3333_validator(
    backend: str,
    root: Path,
    file_wrapper: bool,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    status: int,
) -> None:
    """The standard library's WSGI validator finds nothing to object to."""
    app = wsgiref.validate.validator(
        FerrostaticWSGI(directory=root, max_memory_file_size=1000, chunk_size=4096)
    )
    environ = wsgi_environ(method, path, headers, file_wrapper=file_wrapper)
    assert run_wsgi(app, environ).status == status


# --- Flask (examples/flask) -----------------------------------------------------------------------


def _flask_example() -> Any:
    sys.path.insert(0, str(EXAMPLES / "flask"))
    try:
        import app as example  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLES / "flask"))
        sys.modules.pop("app", None)
    return example.app


def test_flask_example(backend: str) -> None:
    """The Flask example: ferrostatic answers /static/, Flask everything else."""
    client = _flask_example().test_client()
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.data.startswith(b"body {")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    etag = css.headers["ETag"]
    assert client.get("/static/style.css", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/static/app.js", headers={"Range": "bytes=0-7"}).data == b"document"
    assert b"Hello from Flask" in client.get("/").data
    assert "now" in client.get("/api/time").get_json()
    assert client.get("/static/missing.css").status_code == 404  # Flask's 404
    assert client.post("/static/style.css").status_code == 404  # Flask's: no such route


# --- Real servers ---------------------------------------------------------------------------------


@dataclass
class WireServer:
    """A WSGI server serving ``wire_root`` on ``port``; ``pid`` when it is a subprocess."""

    name: str
    port: int
    pid: int | None


@pytest.fixture(scope="module")
def wire_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree the real servers serve: memory, disk, and a name in UTF-8."""
    root = tmp_path_factory.mktemp("wsgi-wire") / "site"
    return write_tree(
        root,
        {
            "app.js": "console.log('wire');\n" * 100,
            "medium.bin": os.urandom(600 * 1024),
            "big.bin": os.urandom(24 * 1024 * 1024),
            "café/menü.txt": "crème brûlée\n",
            "docs/index.html": "<!doctype html><title>docs</title>",
        },
    )


GUNICORN = ["gunicorn-sync", "gunicorn-gthread"]


@pytest.fixture(scope="module", params=[*GUNICORN, "wsgiref"])
def wsgi_server(
    request: pytest.FixtureRequest, wire_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WireServer]:
    """The standalone app under gunicorn (a subprocess, stopped by its PID; sync or threaded
    worker) or wsgiref (a thread of this process)."""
    name = str(request.param)
    port = free_port()
    if name == "wsgiref":
        app = FerrostaticWSGI(directory=wire_root)
        server = wsgiref.simple_server.make_server("127.0.0.1", port, app, handler_class=_Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield WireServer(name, port, None)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
        return
    factory = f"ferrostatic:FerrostaticWSGI(directory={str(wire_root)!r})"
    worker = name.removeprefix("gunicorn-")
    command = gunicorn_command(port, factory, "--worker-class", worker, "--threads", "2")
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with serving(command, port=port, log=log, cwd=wire_root) as process:
        yield WireServer(name, port, process.pid)


class _ServerHandler(wsgiref.simple_server.ServerHandler):
    http_version = "1.1"


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    """wsgiref's handler, quiet, answering with HTTP/1.1 status lines (one request per
    connection, as wsgiref always does)."""

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        handler = _ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ())
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "path", "range_", "status"),
    [
        ("GET", "/app.js", None, 200),
        ("GET", "/medium.bin", None, 200),
        ("GET", "/big.bin", None, 200),
        ("GET", "/medium.bin", "bytes=1000-1999", 206),
        ("GET", "/big.bin", "bytes=20000000-20999999", 206),
        ("GET", "/medium.bin", "bytes=0-9,100-199,-5", 206),
        ("GET", "/medium.bin", "bytes=99999999-", 416),
        ("HEAD", "/big.bin", None, 200),
        ("HEAD", "/medium.bin", "bytes=0-1", 200),
        ("GET", "/missing", None, 404),
    ],
)
def test_wire_content_length_is_the_bytes_sent(
    wsgi_server: WireServer,
    wire_root: Path,
    method: str,
    path: str,
    range_: str | None,
    status: int,
) -> None:
    """RFC 9112 §6.3: the bytes up to the server's close are exactly Content-Length (checked by
    ``fetch``), for whole files (gunicorn sendfiles them), ranges, multipart, 416 and HEAD."""
    response = fetch(wsgi_server.port, method, path, [("Range", range_)] if range_ else [])
    assert response.status == status
    if status == 200 and method == "GET":
        assert response.body == (wire_root / path[1:]).read_bytes()
    if status == 206 and "," not in str(range_):
        first, last = map(int, str(range_).removeprefix("bytes=").split("-"))
        assert response.body == (wire_root / path[1:]).read_bytes()[first : last + 1]


@pytest.mark.parametrize("path", ["/app.js", "/big.bin"])
def test_wire_not_modified(wsgi_server: WireServer, path: str) -> None:
    """RFC 9110 §15.4.5: a 304 with no body, and no Content-Length unless it is the 200's."""
    full = fetch(wsgi_server.port, "GET", path)
    etag = str(full.header("etag"))
    response = fetch(wsgi_server.port, "GET", path, [("If-None-Match", etag)])
    assert response.status == 304
    assert response.header("content-length") in (None, full.header("content-length"))


def test_wire_non_ascii_name(wsgi_server: WireServer) -> None:
    """A percent-encoded UTF-8 name crosses PEP 3333's latin-1 and back; Latin-1 bytes in
    the target are not UTF-8: a miss."""
    response = fetch(wsgi_server.port, "GET", "/caf%C3%A9/men%C3%BC.txt")
    assert (response.status, response.body) == (200, "crème brûlée\n".encode())
    assert fetch(wsgi_server.port, "GET", "/caf%E9/men%FC.txt").status == 404


@pytest.mark.parametrize("wsgi_server", ["gunicorn-gthread"], indirect=True)
def test_wire_keep_alive(wsgi_server: WireServer) -> None:
    """On a persistent connection (gunicorn's threaded worker) every response is framed by its
    Content-Length: 200 from memory and disk, 304, 206, HEAD and 404 in a row."""
    with Connection(wsgi_server.port) as connection:
        etag = str(connection.request("GET", "/app.js").header("etag"))
        for _ in range(10):
            assert connection.request("GET", "/medium.bin").status == 200
            assert connection.request("GET", "/app.js", [("If-None-Match", etag)]).status == 304
            assert connection.request("GET", "/big.bin", [("Range", "bytes=0-99")]).status == 206
            assert connection.request("HEAD", "/big.bin").body == b""
            assert connection.request("GET", "/nope").status == 404
        connection.assert_open_and_idle()


def _open_files(pid: int, name: str) -> list[str]:
    """Paths ending in ``name`` that ``pid`` or one of its descendants holds open."""
    found = []
    for each in [pid, *(child for child, _ in descendants(pid))]:
        try:
            entries = os.listdir(f"/proc/{each}/fd")
        except OSError:
            continue
        for fd in entries:
            try:
                target = os.readlink(f"/proc/{each}/fd/{fd}")
            except OSError:
                continue
            if target.endswith(name):
                found.append(target)
    return found


@pytest.mark.parametrize("wsgi_server", GUNICORN, indirect=True)
@pytest.mark.parametrize("range_", [None, "bytes=0-20000000"], ids=["200", "206"])
def test_wire_disconnect_closes_the_file(wsgi_server: WireServer, range_: str | None) -> None:
    """A client that goes away mid-download: the server stops sending the 24 MiB file and the
    file's handle is closed (the server called close() on what the app returned)."""
    assert wsgi_server.pid is not None
    if read_chars(wsgi_server.pid) == 0:
        pytest.skip("needs /proc (Linux)")
    with Connection(wsgi_server.port, receive_buffer=64 * 1024) as connection:
        connection.send("GET", "/big.bin", [("Range", range_)] if range_ else [])
        head = connection.read_head()
        assert head.status in (200, 206)
        received = 0
        while received < 64 * 1024:
            received += len(connection.recv())
        assert _open_files(wsgi_server.pid, "big.bin"), "the file is being sent"
    deadline = time.monotonic() + 10
    while _open_files(wsgi_server.pid, "big.bin") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_files(wsgi_server.pid, "big.bin") == []


def test_wire_flask_example(tmp_path: Path) -> None:
    """The Flask example under gunicorn: files framed exactly, other paths answered by Flask."""
    port = free_port()
    command = gunicorn_command(port, "app:app")
    with serving(command, port=port, log=tmp_path / "flask.log", cwd=EXAMPLES / "flask"):
        css = fetch(port, "GET", "/static/style.css", [("Accept-Encoding", "gzip")])
        assert css.status == 200
        assert css.body == (EXAMPLES / "flask" / "static" / "style.css").read_bytes()
        assert fetch(port, "GET", "/static/style.css", [("Range", "bytes=0-3")]).body == b"body"
        page = fetch(port, "GET", "/")
        assert page.status == 200 and b"Hello from Flask" in page.body
