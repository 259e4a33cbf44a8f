"""Through real servers: framing, ranges, keep-alive, disconnects, pass-through, paths.

Every response read with ``Server.fetch`` is checked for framing: the bytes up to the server's
close are exactly Content-Length, no header field is repeated, HEAD and 304 carry no body.
"""

from __future__ import annotations

import email
import json
import re
import time
from email.message import Message

import pytest

from .support import Response, Server, read_chars

pytestmark = pytest.mark.wire

MIB = 1024 * 1024
MULTI_RANGE = "bytes=0-9,100-199,-5"


def _without_date(response: Response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers if name != "date"]


@pytest.mark.parametrize(
    ("path", "range_", "status"),
    [
        pytest.param("/app.js", None, 200, id="200-memory"),
        pytest.param("/data/medium.bin", None, 200, id="200-disk"),
        pytest.param("/big.bin", None, 200, id="200-24MiB"),
        pytest.param("/app.js", "bytes=10-99", 206, id="206-memory"),
        pytest.param("/data/medium.bin", "bytes=300000-300999", 206, id="206-disk"),
        pytest.param("/big.bin", "bytes=20000000-20999999", 206, id="206-24MiB"),
        pytest.param("/app.js", MULTI_RANGE, 206, id="206-multipart-memory"),
        pytest.param("/data/medium.bin", MULTI_RANGE, 206, id="206-multipart-disk"),
        pytest.param("/app.js", "bytes=999999999-", 416, id="416-memory"),
        pytest.param("/big.bin", "bytes=999999999-", 416, id="416-disk"),
    ],
)
def test_content_length_is_the_bytes_sent(
    standalone: Server, path: str, range_: str | None, status: int
) -> None:
    """RFC 9110 §8.6, RFC 9112 §6.3: Content-Length is exactly the body sent, for a whole file,
    one range (§14.4, §15.3.7), several ranges (§14.6) and an unsatisfiable one (§15.5.17)."""
    response = standalone.fetch("GET", path, [("Range", range_)] if range_ else [])
    data = standalone.file(path[1:])
    assert response.status == status
    content_range = response.header("content-range")
    if status == 200:
        assert content_range is None
        assert response.body == data
    elif status == 416:
        assert content_range == f"bytes */{len(data)}"
    elif "," not in str(range_):
        first, last = map(int, str(range_).removeprefix("bytes=").split("-"))
        assert content_range == f"bytes {first}-{last}/{len(data)}"
        assert response.body == data[first : last + 1]
    else:
        assert content_range is None
        assert str(response.header("content-type")).startswith("multipart/byteranges; boundary=")


@pytest.mark.parametrize("path", ["/app.js", "/data/medium.bin", "/big.bin"])
def test_not_modified_has_no_body(standalone: Server, path: str) -> None:
    """RFC 9110 §13.1.2, §15.4.5: If-None-Match with the current ETag gives 304 with no body,
    the same ETag, and a Content-Length, if any, equal to the 200's (§8.6)."""
    full = standalone.fetch("GET", path)
    etag = full.header("etag")
    assert full.status == 200
    assert etag is not None
    response = standalone.fetch("GET", path, [("If-None-Match", etag)])
    assert response.status == 304
    assert response.header("etag") == etag
    assert response.header("content-length") in (None, full.header("content-length"))


@pytest.mark.parametrize("path", ["/app.js", "/data/medium.bin", "/big.bin"])
def test_head_is_get_without_body(standalone: Server, path: str) -> None:
    """RFC 9110 §9.3.2: HEAD gets GET's header fields and no content; the connection carries on
    (read on the same connection, a body after HEAD would garble the next response)."""
    with standalone.connect() as connection:
        head = connection.request("HEAD", path)
        get = connection.request("GET", path)
        connection.assert_open_and_idle()
    assert head.status == get.status == 200
    assert _without_date(head) == _without_date(get)
    assert get.body == standalone.file(path[1:])


def _parts(response: Response) -> list[Message]:
    content_type = str(response.header("content-type")).encode("latin-1")
    message = email.message_from_bytes(
        b"Content-Type: " + content_type + b"\r\n\r\n" + response.body
    )
    assert message.is_multipart()
    assert not message.defects
    parts = message.get_payload()
    assert isinstance(parts, list)
    return [part for part in parts if isinstance(part, Message)]


@pytest.mark.parametrize("path", ["/app.js", "/data/medium.bin", "/big.bin"])
def test_multipart_byteranges_parse(standalone: Server, path: str) -> None:
    """RFC 9110 §14.6: a multipart/byteranges body that a MIME parser reads, one part per range
    in the order asked, each with its Content-Range and exactly those bytes."""
    response = standalone.fetch("GET", path, [("Range", MULTI_RANGE)])
    data = standalone.file(path[1:])
    size = len(data)
    assert response.status == 206
    expected = [(0, 9), (100, 199), (size - 5, size - 1)]
    parts = _parts(response)
    assert len(parts) == len(expected)
    for part, (first, last) in zip(parts, expected, strict=True):
        assert not part.defects
        assert part["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert part.get_payload(decode=True) == data[first : last + 1]


def test_multipart_content_type_per_part(standalone: Server) -> None:
    """RFC 9110 §14.6: each part carries the representation's Content-Type."""
    full = standalone.fetch("GET", "/app.js")
    response = standalone.fetch("GET", "/app.js", [("Range", "bytes=0-0,-1")])
    assert response.status == 206
    assert [part["Content-Type"] for part in _parts(response)] == [full.header("content-type")] * 2
    assert re.fullmatch(r"multipart/byteranges; boundary=\S+", str(response.header("content-type")))


def test_keep_alive_hundred_requests(standalone: Server) -> None:
    """RFC 9112 §9.3: one persistent connection carries 100 requests; every response is framed
    by its Content-Length (RFC 9110 §8.6) and the server never closes the connection."""
    app_js = standalone.file("app.js")
    medium = standalone.file("data/medium.bin")
    with standalone.connect() as connection:
        etag = str(connection.request("GET", "/app.js").header("etag"))
        cases: list[tuple[str, list[tuple[str, str]], int, bytes]] = [
            ("/app.js", [], 200, app_js),
            ("/data/medium.bin", [], 200, medium),
            ("/app.js", [("If-None-Match", etag)], 304, b""),
            ("/data/medium.bin", [("Range", "bytes=1000-1999")], 206, medium[1000:2000]),
            ("/missing.txt", [], 404, b"404 Not Found\n"),
        ]
        for number in range(100):
            path, headers, status, body = cases[number % len(cases)]
            response = connection.request("GET", path, headers)
            assert response.status == status, f"request {number}: {response.headers}"
            assert response.body == body, f"request {number}"
            assert "close" not in str(response.header("connection")).lower()
        connection.assert_open_and_idle()


def _settled_read_chars(pid: int, quiet: float = 0.5, limit: float = 5.0) -> int:
    """``rchar`` of the server's processes once it has stopped growing for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    value, since = read_chars(pid), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        if (now := read_chars(pid)) != value:
            value, since = now, time.monotonic()
    return value


def test_disconnect_stops_reading(standalone: Server) -> None:
    """RFC 9110 §9.3.1, RFC 9112 §9.6: once the client closes mid-download the transfer ends;
    the server's processes read well under the 24 MiB file (``rchar`` of /proc/<pid>/io)."""
    if read_chars(standalone.pid) == 0:
        pytest.skip("needs /proc/<pid>/io (Linux)")
    before = _settled_read_chars(standalone.pid)
    with standalone.connect(receive_buffer=64 * 1024) as connection:
        connection.send("GET", "/big.bin")
        head = connection.read_head()
        assert head.status == 200
        received = 0
        while received < 64 * 1024:
            received += len(connection.recv())
    read = _settled_read_chars(standalone.pid) - before
    assert read < 12 * MIB, f"the server read {read / MIB:.1f} MiB after the client left"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/app.js"), ("GET", "/missing.txt"), ("OPTIONS", "/app.js"), ("DELETE", "/")],
)
def test_middleware_passes_other_requests_through(
    middleware: Server, method: str, path: str
) -> None:
    """RFC 9110 §9.1: a method other than GET/HEAD on a file, or a miss, is the wrapped app's."""
    response = middleware.fetch(method, path, body=b"x=1" if method == "POST" else b"")
    assert response.status == 200
    assert json.loads(response.body) == {"app": True, "method": method, "path": path}


def test_middleware_serves_files_itself(middleware: Server) -> None:
    """RFC 9110 §9.3.1: a GET for a file is answered from the directory, not by the app."""
    response = middleware.fetch("GET", "/app.js")
    assert response.status == 200
    assert response.body == middleware.file("app.js")
    assert str(response.header("content-type")).startswith("text/javascript")


def test_non_ascii_name(standalone: Server) -> None:
    """RFC 9110 §4.2.3, RFC 3986 §2.1: a UTF-8 name percent-encoded in the request target."""
    response = standalone.fetch("GET", "/caf%C3%A9/men%C3%BC.txt")
    assert response.status == 200
    assert response.body == standalone.file("caf\u00e9/men\u00fc.txt")


@pytest.mark.parametrize(
    "target",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/docs/..%2f..%2fetc/passwd",
        "/docs/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%5c..%5cetc/passwd",
    ],
)
def test_traversal_is_not_found(standalone: Server, target: str) -> None:
    """RFC 9110 §17.3 (path traversal): a target climbing out of the root is 404 (or the
    server's own 400), never a file outside the root and never a server error."""
    response = standalone.fetch("GET", target)
    assert response.status in (400, 404)
    assert b"root:" not in response.body


def test_precompressed_variant(standalone: Server) -> None:
    """RFC 9110 §8.4, §12.5.3: ``Accept-Encoding: br`` selects the .br sibling, labelled with
    Content-Encoding, with ``Vary: accept-encoding`` (§12.5.5) and its own Content-Length."""
    br = standalone.file("app.js.br")
    response = standalone.fetch("GET", "/app.js", [("Accept-Encoding", "br")])
    assert response.status == 200
    assert response.header("content-encoding") == "br"
    assert str(response.header("vary")).lower() == "accept-encoding"
    assert response.header("content-length") == str(len(br))
    assert response.body == br


@pytest.mark.parametrize(
    ("path", "status", "rel"),
    [
        ("/static/app.js", 200, "app.js"),
        ("/static/docs/", 200, "docs/index.html"),
        ("/static/caf%C3%A9/men%C3%BC.txt", 200, "caf\u00e9/men\u00fc.txt"),
        ("/static/missing.txt", 404, None),
    ],
)
def test_mounted_under_starlette(mounted: Server, path: str, status: int, rel: str | None) -> None:
    """RFC 9110 §7.1: mounted at /static (ASGI root_path), the target below the mount point
    names the file; a miss below it is 404."""
    response = mounted.fetch("GET", path)
    assert response.status == status
    if rel is not None:
        assert response.body == mounted.file(rel)
