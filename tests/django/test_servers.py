"""The Django test project over HTTP: gunicorn (WSGI) and uvicorn (ASGI), both storages.

Every response is read with ``fetch``, which checks its framing: the bytes up to the server's
close are exactly Content-Length, no field is repeated, HEAD and 304 carry no body.
"""

from __future__ import annotations

import json

import pytest

from ..wire.support import Connection, fetch
from .conftest import BIG, DjangoServer

pytestmark = pytest.mark.wire

MENU = "/static/shop/caf%C3%A9/men%C3%BC.txt"


@pytest.mark.parametrize(
    "name", ["shop/css/site.css", "shop/js/app.js", "admin/css/base.css", "x.css", "big.bin"]
)
def test_unhashed_name(django_server: DjangoServer, name: str) -> None:
    """RFC 9110 §8.6: the collected file, exactly, with a short max-age (not hashed)."""
    response = fetch(django_server.port, "GET", f"/static/{name}")
    assert response.status == 200
    assert response.body == django_server.collected.file(name)
    assert response.header("cache-control") == "public, max-age=60"
    assert response.header("etag") is not None


@pytest.mark.parametrize("name", ["shop/css/site.css", "shop/js/app.js", "admin/css/base.css"])
def test_hashed_name_is_immutable(django_server: DjangoServer, name: str) -> None:
    """A name the manifest lists as hashed is cached for a year; its references were
    rewritten to hashed names too. (The plain storage writes no manifest and no hashed names.)"""
    if django_server.collected.kind == "plain":
        assert not (django_server.collected.root / "staticfiles.json").exists()
        return
    hashed = django_server.collected.hashed(name)
    response = fetch(django_server.port, "GET", f"/static/{hashed}")
    assert response.status == 200
    assert response.header("cache-control") == "public, max-age=31536000, immutable"
    assert response.body == django_server.collected.file(hashed)
    if name == "shop/css/site.css":
        dot = django_server.collected.hashed("shop/img/dot.png")
        assert dot.split("/")[-1].encode() in response.body


def test_compressed_variant(django_server: DjangoServer) -> None:
    """RFC 9110 §12.5.3: the .br written by the storage during collectstatic is sent to a
    client that accepts br, with Content-Encoding and Vary."""
    name = "shop/js/app.js"
    br = django_server.collected.file(name + ".br")
    response = fetch(django_server.port, "GET", f"/static/{name}", [("Accept-Encoding", "br")])
    assert (response.status, response.header("content-encoding")) == (200, "br")
    assert response.header("vary") == "accept-encoding"
    assert response.body == br
    plain = fetch(django_server.port, "GET", f"/static/{name}", [("Accept-Encoding", "identity")])
    assert (plain.body, plain.header("content-encoding")) == (
        django_server.collected.file(name),
        None,
    )


@pytest.mark.parametrize("name", ["shop/css/site.css", "big.bin"])
def test_not_modified(django_server: DjangoServer, name: str) -> None:
    """RFC 9110 §13.1.2: If-None-Match with the ETag gives 304 without a body, and without a
    Content-Length other than the 200's (§8.6)."""
    full = fetch(django_server.port, "GET", f"/static/{name}")
    etag = str(full.header("etag"))
    response = fetch(django_server.port, "GET", f"/static/{name}", [("If-None-Match", etag)])
    assert response.status == 304
    assert response.header("etag") == etag
    assert response.header("content-length") in (None, full.header("content-length"))


@pytest.mark.parametrize(
    ("name", "range_", "expected"),
    [
        ("big.bin", "bytes=1000000-1000999", BIG[1000000:1001000]),
        ("big.bin", "bytes=-10", BIG[-10:]),
        ("x.css", "bytes=0-4", b"x { c"),
    ],
)
def test_range(django_server: DjangoServer, name: str, range_: str, expected: bytes) -> None:
    """RFC 9110 §14: a single range is 206 with exactly those bytes, from disk or memory."""
    response = fetch(django_server.port, "GET", f"/static/{name}", [("Range", range_)])
    assert (response.status, response.body) == (206, expected)


def test_multipart_and_unsatisfiable(django_server: DjangoServer) -> None:
    """RFC 9110 §14.6, §15.5.17: several ranges of a disk file; 416 past the end."""
    multi = fetch(django_server.port, "GET", "/static/big.bin", [("Range", "bytes=0-9,-10")])
    assert multi.status == 206
    assert str(multi.header("content-type")).startswith("multipart/byteranges; boundary=")
    assert BIG[:10] in multi.body and BIG[-10:] in multi.body
    past = fetch(django_server.port, "GET", "/static/big.bin", [("Range", "bytes=99999999-")])
    assert (past.status, past.header("content-range")) == (416, f"bytes */{len(BIG)}")


def test_head(django_server: DjangoServer) -> None:
    """RFC 9110 §9.3.2: HEAD has GET's fields and no body (a body would garble the next
    response on a persistent connection, where the server keeps them)."""
    head = fetch(django_server.port, "HEAD", "/static/big.bin")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", str(len(BIG)))


def test_non_ascii_name(django_server: DjangoServer) -> None:
    """RFC 3986 §2.1: a percent-encoded UTF-8 name."""
    response = fetch(django_server.port, "GET", MENU)
    assert (response.status, response.body) == (200, "crème brûlée\n".encode())


def test_static_url_prefix_is_honoured(django_server: DjangoServer) -> None:
    """With the default ``STATIC_URL = "static/"``, STATIC_ROOT is served at /static/ and
    nowhere else: /x.css is the app's (a 404), not the file."""
    assert fetch(django_server.port, "GET", "/static/x.css").status == 200
    assert fetch(django_server.port, "GET", "/x.css").status == 404
    assert fetch(django_server.port, "GET", "/shop/css/site.css").status == 404


def test_other_requests_reach_django(django_server: DjangoServer) -> None:
    """A miss under /static/, another method, and every other path are Django's to answer."""
    echo = fetch(django_server.port, "GET", "/echo/here")
    assert json.loads(echo.body) == {"app": True, "method": "GET", "path": "/echo/here"}
    assert fetch(django_server.port, "GET", "/static/missing.css").status == 404
    post = fetch(django_server.port, "POST", "/static/x.css", body=b"a=1")
    assert post.status in (403, 404, 405) and b"x { color" not in post.body
    admin = fetch(django_server.port, "GET", "/admin/login/")
    assert admin.status == 200 and b"/static/admin/css/" in admin.body


def test_security_headers_once(django_server: DjangoServer) -> None:
    """SecurityMiddleware's headers (added by it above the middleware, by ferrostatic in front
    of Django) come once, ours are kept exactly: one Content-Type, one Content-Length
    (``fetch`` fails on a repeated field)."""
    response = fetch(django_server.port, "GET", "/static/x.css")
    assert response.header("content-type") == "text/css; charset=utf-8"
    assert response.header("x-content-type-options") == "nosniff"
    assert response.header("referrer-policy") == "same-origin"


def test_keep_alive(django_server: DjangoServer) -> None:
    """On a persistent connection, responses follow each other framed by their Content-Length
    (a body after HEAD or 304 would garble the next one)."""
    with Connection(django_server.port) as connection:
        etag = str(connection.request("GET", "/static/x.css").header("etag"))
        for _ in range(5):
            assert connection.request("GET", "/static/big.bin").body == BIG
            assert connection.request("GET", "/static/x.css", [("If-None-Match", etag)]).body == b""
            assert connection.request("HEAD", "/static/big.bin").body == b""
            assert connection.request("GET", MENU).status == 200
        connection.assert_open_and_idle()
