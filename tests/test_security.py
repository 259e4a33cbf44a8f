"""Nothing outside the configured root is ever served, and no request makes the app raise.

Every URL is looked up in a table built at start-up: a request path is never joined to the
directory. These tests plant secrets next to the root and try to reach them.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import pytest

from ferrostatic import Ferrostatic

from .conftest import Response, call, write_tree

SECRET = b"TOP-SECRET-CONTENT"
INNER_BODY = b"inner app"

MakeApp = Callable[..., Ferrostatic]


class Inner:
    """An ASGI app that records what reached it and answers 200 ``INNER_BODY``."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Record the scope and answer."""
        self.scopes.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": INNER_BODY})


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """A root at ``tmp_path/srv/root`` with secrets next to it and in its parent's parent."""
    root = write_tree(
        tmp_path / "srv" / "root",
        {
            "index.html": "<!doctype html><title>home</title>",
            "docs/index.html": "<!doctype html><title>docs</title>",
            "docs/guide.txt": "abcdefghijklmnopqrstuvwxyz",
            "docs/.hidden": "hidden",
            ".env": "SECRET=1",
            ".git/config": "[core]",
            ".well-known/security.txt": "Contact: mailto:security@example.com",
        },
    )
    (tmp_path / "srv" / "secret.txt").write_bytes(SECRET)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "srv" / "etc").mkdir()
    (tmp_path / "srv" / "etc" / "passwd").write_bytes(SECRET)
    return root


TRAVERSAL = [
    "/../secret.txt",
    "/../../secret.txt",
    "/docs/../../secret.txt",
    "/docs/../../../secret.txt",
    "/..%2fsecret.txt",
    "/..%2f..%2fsecret.txt",
    "/%2e%2e/secret.txt",  # raw, undecoded: a literal name, not a parent reference
    "/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 for "..", as literal text
    "/\xc0\xae\xc0\xae/secret.txt",  # the same, decoded as Latin-1 by a sloppy client
    "/..\\secret.txt",
    "\\..\\secret.txt",
    "/docs\\..\\..\\secret.txt",
    "//etc/passwd",
    "/../etc/passwd",
    "/secret.txt",
    "/./index.html",  # not canonical: the index holds only canonical paths (RFC 3986 §5.2.4)
    "/docs/../index.html",  # idem: dot-segments are the client's to remove, not ours
    "/docs//guide.txt",
    "/docs\\guide.txt",
    "/index.html\x00.png",
    "/\x00",
    "/index.html\x00",
    "/" + "a" * 8192,
    "/" + "../" * 21845,
    "/\ufffd",
    "/\ufffd/secret.txt",
    "/\udcff",  # a lone surrogate (an undecodable byte passed through surrogateescape)
    "/docs/\udcff\udcfe",
    "/.env",
    "/.git/config",
    "/.git/",
    "/docs/.hidden",
    "",
    "secret.txt",
    "index.html",
]


def _corpus_id(path: str) -> str:
    return ascii(path) if len(path) < 40 else f"long-{len(path)}"


def _assert_no_secret(response: Response) -> None:
    assert SECRET not in response.body
    for message in response.messages:
        assert SECRET not in message.get("body", b"")
        if message["type"] == "http.response.pathsend":  # pragma: no cover - would be a leak
            assert "secret" not in message["path"]


@pytest.mark.parametrize("path", TRAVERSAL, ids=_corpus_id)
def test_traversal_standalone_is_404(make_app: MakeApp, jail: Path, path: str) -> None:
    """Each corpus path is a plain miss, 404 (RFC 9110 §15.5.5), never a file outside the root."""
    app = make_app(directory=jail)
    response = call(app, path=path)
    _assert_no_secret(response)
    assert response.status == 404
    assert response.body == b"404 Not Found\n"
    assert response.header("content-length") == str(len(response.body))


@pytest.mark.parametrize("path", TRAVERSAL, ids=_corpus_id)
def test_traversal_middleware_passes_through(make_app: MakeApp, jail: Path, path: str) -> None:
    """As middleware, each corpus path reaches the wrapped app with its path untouched."""
    inner = Inner()
    app = make_app(inner, directory=jail)
    response = call(app, path=path)
    _assert_no_secret(response)
    assert (response.status, response.body) == (200, INNER_BODY)
    assert [scope["path"] for scope in inner.scopes] == [path]


def test_traversal_corpus_cannot_reach_with_head(make_app: MakeApp, jail: Path) -> None:
    """HEAD through the corpus is 404 with the 404's Content-Length and no body (§9.3.2)."""
    app = make_app(directory=jail)
    for path in TRAVERSAL:
        response = call(app, "HEAD", path)
        assert (response.status, response.body) == (404, b""), ascii(path[:40])
        assert response.header("content-length") == "14"


def test_canonical_paths_are_served(make_app: MakeApp, jail: Path) -> None:
    """The control group: the canonical forms of the non-canonical corpus entries are hits."""
    app = make_app(directory=jail)
    assert call(app, path="/index.html").body == b"<!doctype html><title>home</title>"
    assert call(app, path="/docs/guide.txt").body == b"abcdefghijklmnopqrstuvwxyz"


# --- Hidden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/.env", "/.git/config", "/docs/.hidden"])
def test_hidden_files_are_not_served(make_app: MakeApp, jail: Path, path: str) -> None:
    """Dot-files and dot-directories are left out of the index: 404 (RFC 9110 §15.5.5)."""
    response = call(make_app(directory=jail), path=path)
    assert response.status == 404


def test_well_known_is_served(make_app: MakeApp, jail: Path) -> None:
    """``/.well-known/`` (RFC 8615) is the one dot-directory served by default."""
    response = call(make_app(directory=jail), path="/.well-known/security.txt")
    assert response.status == 200
    assert response.body == b"Contact: mailto:security@example.com"


def test_allow_hidden_serves_dot_files(make_app: MakeApp, jail: Path) -> None:
    """``allow_hidden=True`` puts dot-files in the index."""
    app = make_app(directory=jail, allow_hidden=True)
    assert call(app, path="/.env").body == b"SECRET=1"
    assert call(app, path="/.git/config").body == b"[core]"
    assert call(app, path="/../secret.txt").status == 404


# --- Symbolic links -------------------------------------------------------------------------


def test_symlink_to_file_inside_root_is_served(make_app: MakeApp, jail: Path) -> None:
    """A link whose target is inside the root is served with the target's bytes."""
    (jail / "latest.txt").symlink_to(jail / "docs" / "guide.txt")
    response = call(make_app(directory=jail), path="/latest.txt")
    assert response.status == 200
    assert response.body == b"abcdefghijklmnopqrstuvwxyz"


def test_symlink_to_file_outside_root_is_404(make_app: MakeApp, jail: Path) -> None:
    """A link to a file outside the root is not served, even through a relative target."""
    (jail / "leak.txt").symlink_to(jail.parent / "secret.txt")
    (jail / "docs" / "rel.txt").symlink_to(Path("..", "..", "..", "secret.txt"))
    app = make_app(directory=jail)
    for path in ("/leak.txt", "/docs/rel.txt"):
        response = call(app, path=path)
        _assert_no_secret(response)
        assert response.status == 404
    assert sorted(app.index.outside_symlinks) == ["docs/rel.txt", "leak.txt"]


def test_follow_symlinks_outside_serves_them(make_app: MakeApp, jail: Path) -> None:
    """``follow_symlinks_outside=True`` opts in to links that leave the root."""
    (jail / "leak.txt").symlink_to(jail.parent / "secret.txt")
    response = call(make_app(directory=jail, follow_symlinks_outside=True), path="/leak.txt")
    assert (response.status, response.body) == (200, SECRET)


def test_symlinked_directory_outside_serves_nothing(make_app: MakeApp, jail: Path) -> None:
    """Nothing under a linked directory that points outside the root is served."""
    outside = write_tree(jail.parent / "outside", {"index.html": SECRET, "a/b.txt": SECRET})
    (jail / "ext").symlink_to(outside, target_is_directory=True)
    app = make_app(directory=jail)
    for path in ("/ext", "/ext/", "/ext/index.html", "/ext/a/b.txt"):
        response = call(app, path=path)
        _assert_no_secret(response)
        assert response.status == 404, path


def test_symlinked_directory_inside_is_served_under_both_names(
    make_app: MakeApp, jail: Path
) -> None:
    """A linked directory inside the root adds its URLs; the real directory keeps its own."""
    (jail / "alias").symlink_to(jail / "docs", target_is_directory=True)
    (jail / "zz-alias").symlink_to(jail / "docs", target_is_directory=True)
    app = make_app(directory=jail)
    for name in ("docs", "alias", "zz-alias"):
        response = call(app, path=f"/{name}/guide.txt")
        assert (response.status, response.body) == (200, b"abcdefghijklmnopqrstuvwxyz"), name


def test_symlink_loop_terminates(make_app: MakeApp, jail: Path) -> None:
    """Directories linking to their parent or to the root do not hang start-up."""
    (jail / "docs" / "loop").symlink_to(jail / "docs", target_is_directory=True)
    (jail / "docs" / "up").symlink_to(jail, target_is_directory=True)
    (jail / "self").symlink_to(".", target_is_directory=True)
    app = make_app(directory=jail)
    assert call(app, path="/docs/guide.txt").status == 200
    assert call(app, path="/index.html").status == 200
    assert app.index.file_count < 20


def test_dangling_symlink_is_skipped(make_app: MakeApp, jail: Path) -> None:
    """A link to nothing is left out; the rest of the root is served."""
    (jail / "broken.txt").symlink_to(jail / "missing.txt")
    app = make_app(directory=jail)
    assert call(app, path="/broken.txt").status == 404
    assert call(app, path="/docs/guide.txt").status == 200


def test_undecodable_file_name_is_skipped(
    make_app: MakeApp, jail: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file name that is not UTF-8 cannot be a URL: skipped with a warning, no crash."""
    (jail / os.fsdecode(b"bad-\xff.txt")).write_bytes(b"x")
    with caplog.at_level("WARNING", logger="ferrostatic"):
        app = make_app(directory=jail)
    assert "not valid UTF-8" in caplog.text
    assert call(app, path="/bad-\udcff.txt").status == 404
    assert call(app, path="/docs/guide.txt").status == 200


# --- Garbage in request headers and the query --------------------------------------------------

READ_HEADERS = [
    b"if-match",
    b"if-none-match",
    b"if-modified-since",
    b"if-unmodified-since",
    b"range",
    b"if-range",
    b"accept-encoding",
    b"x-not-read",
]

GARBAGE = [
    b"\xff\xfe",
    b"\x80bytes=0-1",
    b'W/"\xff"',
    b"bytes=0-1\xff",
    b'"\x00"',
    b"\r\n",
    b"\xff" * 65536,
    b"bytes=" + b"0-0," * 16384,
    b'"x", ' * 13107,
]


@pytest.mark.parametrize("value", GARBAGE, ids=lambda v: ascii(v[:12]) + f"-{len(v)}")
@pytest.mark.parametrize("name", READ_HEADERS, ids=lambda n: n.decode())
def test_garbage_header_value(make_app: MakeApp, site: Path, name: bytes, value: bytes) -> None:
    """A value outside the grammar never raises. If-Match matches nothing (RFC 9110 §13.1.1:
    412); invalid dates are ignored (§13.1.3, §13.1.4); an invalid Range is ignored (§14.2);
    an If-Range that is not our validator sends the whole file (§13.1.5); unknown codings in
    Accept-Encoding leave identity (§12.5.3)."""
    response = call(make_app(directory=site), path="/app.js", headers=[(name, value)])
    if name == b"if-match":
        assert response.status == 412
        assert response.body == b"412 Precondition Failed\n"
    else:
        assert response.status == 200
        assert response.body == b"console.log('hello');\n" * 200
        assert response.header("content-encoding") is None
    assert response.header("content-length") == str(len(response.body))


def test_garbage_in_every_header_at_once(make_app: MakeApp, site: Path) -> None:
    """All read headers garbled together (If-Match absent): the plain 200 (RFC 9110 §13.2.2)."""
    headers = [(name, b"\xff\xfe\x80") for name in READ_HEADERS if name != b"if-match"]
    response = call(make_app(directory=site), path="/docs/guide.txt", headers=headers)
    assert (response.status, response.body) == (200, b"abcdefghijklmnopqrstuvwxyz")


def test_garbage_beside_a_valid_range_gives_206(make_app: MakeApp, site: Path) -> None:
    """A valid Range still gives 206 when the other fields are garbage (RFC 9110 §14.2)."""
    headers = [
        (b"Range", b"bytes=0-1"),
        (b"if-none-match", b"\xff"),
        (b"if-modified-since", b"\x80"),
        (b"accept-encoding", b"\xfe"),
        (b"x-not-read", b"\xff" * 65536),
    ]
    response = call(make_app(directory=site), path="/docs/guide.txt", headers=headers)
    assert (response.status, response.body) == (206, b"ab")
    assert response.header("content-range") == "bytes 0-1/26"


def test_garbage_beside_a_matching_etag_gives_304(make_app: MakeApp, site: Path) -> None:
    """Garbage members after a matching tag do not hide the match (RFC 9110 §13.1.2: 304)."""
    app = make_app(directory=site)
    etag = call(app, path="/docs/guide.txt").header("etag")
    assert etag is not None
    headers = [(b"If-None-Match", etag.encode() + b", \xff\xfe"), (b"range", b"\xff")]
    response = call(app, path="/docs/guide.txt", headers=headers)
    assert (response.status, response.body) == (304, b"")
    assert response.header("etag") == etag


def test_garbage_beside_an_unsatisfiable_range_gives_416(make_app: MakeApp, site: Path) -> None:
    """An unsatisfiable Range is 416 with ``bytes */26`` (RFC 9110 §15.5.17), garbage or not."""
    headers = [(b"RANGE", b"bytes=1000-"), (b"if-modified-since", b"\xff"), (b"x-a", b"\x00")]
    response = call(make_app(directory=site), path="/docs/guide.txt", headers=headers)
    assert response.status == 416
    assert response.header("content-range") == "bytes */26"


def test_mixed_case_header_names(make_app: MakeApp, site: Path) -> None:
    """Field names are case-insensitive (RFC 9110 §5.1), whatever the server passes on."""
    headers = [(b"Range", b"bytes=2-4"), (b"Accept-Encoding", b"gzip")]
    response = call(make_app(directory=site), path="/docs/guide.txt", headers=headers)
    assert (response.status, response.body) == (206, b"cde")


@pytest.mark.parametrize(
    "query",
    [
        b"a=\xff\xfe",
        b"x=<script>\"'`{}|\\^",
        b"sp ace&tab\t&nl\r\n",
        b"frag#ment",
        b"pct=%41%zz%",
        b"\x00\x7f\x80",
        b"q=" + b"\xff" * 65536,
    ],
    ids=lambda q: ascii(q[:16]),
)
def test_redirect_query_is_percent_encoded(make_app: MakeApp, site: Path, query: bytes) -> None:
    """The 301's Location (RFC 9110 §10.2.2) keeps the query, percent-encoded so that it is a
    valid URI-reference: printable ASCII only, no space or ``#`` (RFC 3986 §2.1, §3.4)."""
    response = call(make_app(directory=site), path="/docs", query=query)
    assert response.status == 301
    location = response.header("location")
    assert location is not None
    assert all(0x21 <= ord(c) <= 0x7E for c in location), location[:80]
    parts = urlsplit(location)
    assert (parts.path, parts.fragment) == ("./docs/", "")
    assert unquote_to_bytes(parts.query) == unquote_to_bytes(query)


# --- Methods ----------------------------------------------------------------------------------

ODD_METHODS = ["get", "head", "PATCH", "POST", "PUT", "DELETE", "OPTIONS", "BREW", "", "GET "]


@pytest.mark.parametrize("method", ODD_METHODS)
@pytest.mark.parametrize("path", ["/docs/guide.txt", "/docs", "/docs/"])
def test_odd_method_standalone_is_405(
    make_app: MakeApp, site: Path, method: str, path: str
) -> None:
    """Methods are case-sensitive (RFC 9110 §9.1): only GET and HEAD are served; others get
    405 with ``Allow`` (§15.5.6, §10.2.1)."""
    response = call(make_app(directory=site), method, path)
    assert response.status == 405
    assert response.header("allow") == "GET, HEAD"
    assert response.header("content-length") == str(len(response.body))
    assert response.header("location") is None


@pytest.mark.parametrize("method", ODD_METHODS)
def test_odd_method_middleware_passes_through(make_app: MakeApp, site: Path, method: str) -> None:
    """As middleware, another method on a served URL is the wrapped app's to answer."""
    inner = Inner()
    response = call(make_app(inner, directory=site), method, "/docs/guide.txt")
    assert (response.status, response.body) == (200, INNER_BODY)
    assert [scope["method"] for scope in inner.scopes] == [method]


# --- No filesystem access on the request path ------------------------------------------------


def _forbid_filesystem(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"filesystem touched on the request path: {args!r}")

    for name in ("stat", "lstat", "open", "scandir", "listdir"):
        monkeypatch.setattr(os, name, refuse)
    monkeypatch.setattr(builtins, "open", refuse)


@pytest.mark.parametrize("middleware", [False, True], ids=["standalone", "middleware"])
def test_requests_never_touch_the_filesystem(
    make_app: MakeApp, jail: Path, monkeypatch: pytest.MonkeyPatch, middleware: bool
) -> None:
    """Once built, misses, traversal attempts and hits of files held in memory (each read
    once, by its first 200) use no filesystem call."""
    inner = Inner() if middleware else None
    app = make_app(inner, directory=jail)
    for held in ("/docs/guide.txt", "/docs/"):
        assert call(app, path=held).status == 200
    _forbid_filesystem(monkeypatch)
    miss = (200, INNER_BODY) if middleware else (404, b"404 Not Found\n")
    for path in [*TRAVERSAL, "/missing.txt", "/docs/missing/", "/docs/guide.txt/"]:
        response = call(app, path=path)
        assert (response.status, response.body) == miss, ascii(path[:40])
    response = call(app, path="/docs/guide.txt", headers=[(b"range", b"bytes=1-2")])
    assert (response.status, response.body) == (206, b"bc")
    assert call(app, path="/docs/").body == b"<!doctype html><title>docs</title>"
    assert call(app, path="/docs").status == 301


def test_variant_symlinked_outside_is_not_served(make_app: MakeApp, jail: Path) -> None:
    """A pre-compressed sibling that links outside the root is not a variant of its source."""
    (jail / "docs" / "guide.txt.gz").symlink_to(jail.parent / "secret.txt")
    app = make_app(directory=jail)
    response = call(app, path="/docs/guide.txt", headers=[(b"accept-encoding", b"gzip")])
    _assert_no_secret(response)
    assert (response.status, response.header("content-encoding")) == (200, None)
    assert call(app, path="/docs/guide.txt.gz").status == 404


@pytest.mark.parametrize("swap", ["file", "variant", "directory"])
def test_swapped_for_an_outside_symlink_after_start_up(
    make_app: MakeApp, jail: Path, swap: str
) -> None:
    """A disk file replaced after start-up by a link leaving the root (or found through a
    directory so replaced) is not served: the start-up rule holds for re-indexed files too."""
    (jail / "docs" / "guide.txt.gz").write_bytes(b"GZ")
    app = make_app(directory=jail, max_memory_file_size=0)
    outside = write_tree(jail.parent / "outside", {"guide.txt": SECRET, "guide.txt.gz": SECRET})
    os.utime(outside / "guide.txt.gz", (4_000_000_000, 4_000_000_000))  # never stale
    expected = (200, b"changed") if swap == "variant" else (404, b"404 Not Found\n")
    if swap == "file":
        (jail / "docs" / "guide.txt").unlink()
        (jail / "docs" / "guide.txt").symlink_to(outside / "guide.txt")
    elif swap == "variant":
        (jail / "docs" / "guide.txt").write_bytes(b"changed")
        (jail / "docs" / "guide.txt.gz").unlink()
        (jail / "docs" / "guide.txt.gz").symlink_to(outside / "guide.txt.gz")
    else:
        (jail / "docs").rename(jail / "docs-old")
        (jail / "docs").symlink_to(outside, target_is_directory=True)
    gzip = call(app, path="/docs/guide.txt", headers=[(b"accept-encoding", b"gzip")])
    _assert_no_secret(gzip)
    response = call(app, path="/docs/guide.txt", headers=[(b"accept-encoding", b"identity")])
    _assert_no_secret(response)
    assert (response.status, response.body) == expected
    assert response.header("content-length") == str(len(response.body))
    if swap == "variant":
        assert (gzip.status, gzip.body, gzip.header("content-encoding")) == (200, b"changed", None)
