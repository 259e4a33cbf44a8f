"""The start-up index: variants, ETags, memory, media types, caching, index files, changes."""

from __future__ import annotations

import builtins
import os
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest

from ferrostatic import Ferrostatic

from .conftest import Response, call, write_tree

MakeApp = Callable[..., Ferrostatic]

SOURCE = b"console.log('source');\n" * 50
BR, GZ, ZST, ZSTD = b"BR" * 30, b"GZ" * 40, b"ZST" * 20, b"ZSTD" * 20
T0 = 1_700_000_000  # a fixed modification time for the sources


def _touch(path: Path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


@pytest.fixture
def variants(tmp_path: Path) -> Path:
    """``app.js`` with br, gz and zst siblings; ``lib.js`` with .zst and .zstd; a lone .gz."""
    root = write_tree(
        tmp_path / "v",
        {
            "app.js": SOURCE,
            "app.js.br": BR,
            "app.js.gz": GZ,
            "app.js.zst": ZST,
            "lib.js": SOURCE,
            "lib.js.zst": ZST,
            "lib.js.zstd": ZSTD,
            "old.js": SOURCE,
            "old.js.zstd": ZSTD,
            "archive.tar.gz": GZ,
        },
    )
    for path in root.iterdir():
        _touch(path, T0 if path.suffix == ".js" else T0 + 10)
    return root


def _get(app: Ferrostatic, path: str, accept: bytes | None = None) -> Response:
    headers = [] if accept is None else [(b"accept-encoding", accept)]
    return call(app, path=path, headers=headers)


# --- Pre-compressed variants --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "coding", "body"),
    [(b"br", "br", BR), (b"gzip", "gzip", GZ), (b"zstd", "zstd", ZST), (b"x-gzip", "gzip", GZ)],
)
def test_variant_served_to_a_client_that_accepts_it(
    make_app: MakeApp, variants: Path, accept: bytes, coding: str, body: bytes
) -> None:
    """The sibling in the accepted coding is sent with Content-Encoding (RFC 9110 §8.4,
    §12.5.3) and ``Vary: accept-encoding`` (§12.5.5)."""
    response = _get(make_app(directory=variants), "/app.js", accept)
    assert (response.status, response.body) == (200, body)
    assert response.header("content-encoding") == coding
    assert response.header("content-length") == str(len(body))
    assert response.header("content-type") == "text/javascript; charset=utf-8"
    assert response.header("vary") == "accept-encoding"


def test_identity_without_accept_encoding(make_app: MakeApp, variants: Path) -> None:
    """No Accept-Encoding: the file itself, with no Content-Encoding (RFC 9110 §12.5.3)."""
    response = _get(make_app(directory=variants), "/app.js")
    assert (response.status, response.body) == (200, SOURCE)
    assert response.header("content-encoding") is None
    assert response.header("vary") == "accept-encoding"


@pytest.mark.parametrize(
    "path", ["/app.js.br", "/app.js.gz", "/app.js.zst", "/lib.js.zst", "/lib.js.zstd"]
)
def test_variant_is_not_served_under_its_own_url(
    make_app: MakeApp, variants: Path, path: str
) -> None:
    """A sibling is only a representation of its source, never a resource of its own."""
    assert _get(make_app(directory=variants), path, b"br, gzip, zstd").status == 404


def test_lone_gz_is_a_resource(make_app: MakeApp, variants: Path) -> None:
    """A ``.gz`` without its source is an ordinary gzip file: no Content-Encoding (§8.4)."""
    response = _get(make_app(directory=variants), "/archive.tar.gz", b"gzip")
    assert (response.status, response.body) == (200, GZ)
    assert response.header("content-type") == "application/gzip"
    assert response.header("content-encoding") is None
    assert response.header("vary") is None


def test_zst_wins_over_zstd(make_app: MakeApp, variants: Path) -> None:
    """With both ``.zst`` and ``.zstd`` beside a file, ``.zst`` is the zstd variant."""
    response = _get(make_app(directory=variants), "/lib.js", b"zstd")
    assert (response.body, response.header("content-encoding")) == (ZST, "zstd")


def test_zstd_suffix_alone_is_a_variant(make_app: MakeApp, variants: Path) -> None:
    """A ``.zstd`` sibling alone is the zstd variant."""
    response = _get(make_app(directory=variants), "/old.js", b"zstd")
    assert (response.body, response.header("content-encoding")) == (ZSTD, "zstd")


def test_a_sibling_of_a_sibling_is_a_file_of_its_own(make_app: MakeApp, tmp_path: Path) -> None:
    """``a.js.gz.br`` beside ``a.js.gz`` (itself the gzip variant of ``a.js``) is not a variant
    of a variant: it is served under its own name, as it is (RFC 9110 §8.4: a coding applies
    to the representation it labels, not to another one)."""
    root = write_tree(
        tmp_path / "chain", {"a.js": "source", "a.js.gz": "gz bytes", "a.js.gz.br": "br of gz"}
    )
    app = make_app(directory=root)
    response = _get(app, "/a.js", b"gzip, br")
    assert (response.body, response.header("content-encoding")) == (b"gz bytes", "gzip")
    own = _get(app, "/a.js.gz.br", b"gzip, br")
    assert (own.status, own.body, own.header("content-encoding")) == (200, b"br of gz", None)
    assert _get(app, "/a.js.gz").status == 404


def test_stale_variant_is_not_served(
    make_app: MakeApp, variants: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A sibling older than its source is left out, with a warning naming it."""
    _touch(variants / "app.js.br", T0 - 1)
    with caplog.at_level("WARNING", logger="ferrostatic"):
        app = make_app(directory=variants)
    assert [r.name for r in caplog.records] == ["ferrostatic"]
    assert "'app.js.br'" in caplog.text
    assert app.index.stale_variants == ["app.js.br"]
    response = _get(app, "/app.js", b"br")
    assert (response.body, response.header("content-encoding")) == (SOURCE, None)
    assert _get(app, "/app.js", b"gzip").body == GZ


def test_each_variant_has_its_own_strong_etag(make_app: MakeApp, variants: Path) -> None:
    """Each representation has its own strong entity-tag (RFC 9110 §8.8.3, §8.8.1)."""
    app = make_app(directory=variants)
    etags = [_get(app, "/app.js", accept).header("etag") for accept in (None, b"br", b"gzip")]
    etags.append(_get(app, "/app.js", b"zstd").header("etag"))
    assert len(set(etags)) == 4
    for etag in etags:
        assert etag is not None
        assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2


def test_etag_depends_only_on_content(make_app: MakeApp, tmp_path: Path) -> None:
    """The same bytes give the same ETag in another directory and another app (so that hosts
    behind one load balancer agree); other bytes give another ETag."""
    one = write_tree(tmp_path / "one", {"a.txt": "same", "b.txt": "one"})
    two = write_tree(tmp_path / "two", {"a.txt": "same", "b.txt": "two"})
    _touch(one / "a.txt", T0)
    _touch(two / "a.txt", T0 + 3600)
    app_one, app_two = make_app(directory=one), make_app(directory=two)
    disk = make_app(directory=two, max_memory_file_size=0)
    same = {_get(app, "/a.txt").header("etag") for app in (app_one, app_two, disk)}
    assert len(same) == 1
    assert _get(app_one, "/b.txt").header("etag") != _get(app_two, "/b.txt").header("etag")


def test_etag_of_a_file_too_big_to_hash(make_app: MakeApp, tmp_path: Path) -> None:
    """Above ``hash_max_file_size`` the ETag comes from mtime and size: still strong and
    quoted, not the content hash, and the same for two apps over the same tree."""
    root = write_tree(tmp_path / "r", {"big.txt": "x" * 100})
    options: dict[str, Any] = {"max_memory_file_size": 0, "hash_max_file_size": 10}
    first = _get(make_app(directory=root, **options), "/big.txt").header("etag")
    second = _get(make_app(directory=root, **options), "/big.txt").header("etag")
    hashed = _get(make_app(directory=root, max_memory_file_size=0), "/big.txt").header("etag")
    assert first is not None and hashed is not None
    assert first == second
    assert first != hashed
    assert first.startswith('"') and first.endswith('"') and not first.startswith("W/")


# --- Held in memory -----------------------------------------------------------------------------


@pytest.fixture
def sized(tmp_path: Path) -> Path:
    """Files of 10, 50, 100, 100 and 200 bytes."""
    sizes = {"a": 10, "b": 50, "c": 100, "d": 100, "e": 200}
    return write_tree(tmp_path / "s", {f"{name}.txt": name * size for name, size in sizes.items()})


def test_a_small_file_once_read_is_served_without_touching_the_disk(
    make_app: MakeApp, sized: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first response reads a small file from disk and the router keeps its bytes: later
    responses make no filesystem call at all."""
    app = make_app(directory=sized)
    for name, size in (("a", 10), ("b", 50), ("e", 200)):
        assert _get(app, f"/{name}.txt").body == name.encode() * size

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"filesystem touched: {args!r}")

    with monkeypatch.context() as patched:
        patched.setattr(builtins, "open", refuse)
        patched.setattr(os, "open", refuse)
        patched.setattr(os, "stat", refuse)
        responses = [_get(app, f"/{name}.txt") for name in ("a", "b", "e")]
    assert [(r.status, r.body) for r in responses] == [
        (200, b"a" * 10),
        (200, b"b" * 50),
        (200, b"e" * 200),
    ]


def test_start_up_reads_no_file_into_memory(make_app: MakeApp, sized: Path) -> None:
    """Indexing hashes the files but keeps none of their bytes: memory follows the traffic."""
    app = make_app(directory=sized)
    decision = app._files.resolve("GET", "/a.txt", b"", [])
    assert decision is not None
    assert decision.file is not None and decision.holdable


def test_memory_budget_is_spent_first_come_first_served(
    make_app: MakeApp, sized: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files up to ``max_memory_file_size`` are held as they are first served, within
    ``memory_budget``: 10 + 50 + 100 fit in 250, the second 100 does not, and 200 is over the
    size limit; those two are read from disk every time."""
    app = make_app(directory=sized, max_memory_file_size=100, memory_budget=250)
    for name, size in (("a", 10), ("b", 50), ("c", 100), ("d", 100), ("e", 200)):
        assert _get(app, f"/{name}.txt").body == name.encode() * size
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.path.basename(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    for name, size in (("a", 10), ("b", 50), ("c", 100), ("d", 100), ("e", 200)):
        response = _get(app, f"/{name}.txt")
        assert (response.status, response.body) == (200, name.encode() * size)
    assert opened == ["d.txt", "e.txt"]


def test_zero_budget_holds_nothing(make_app: MakeApp, sized: Path) -> None:
    """``memory_budget=0`` reads every file from disk per request."""
    app = make_app(directory=sized, memory_budget=0)
    assert _get(app, "/a.txt").body == b"a" * 10
    decision = app._files.resolve("GET", "/a.txt", b"", [])
    assert decision is not None
    assert decision.file is not None and not decision.holdable


def test_a_range_or_a_head_does_not_hold_the_file(make_app: MakeApp, sized: Path) -> None:
    """Only a 200 carrying the whole file hands its bytes over (RFC 9110 §14.2: a 206 has a
    part of them, §9.3.2: a HEAD none)."""
    app = make_app(directory=sized)
    assert call(app, path="/c.txt", headers=[(b"range", b"bytes=0-9")]).status == 206
    assert call(app, "HEAD", "/c.txt").status == 200
    decision = app._files.resolve("GET", "/c.txt", b"", [])
    assert decision is not None and decision.holdable
    ranged = app._files.resolve("GET", "/c.txt", b"", [(b"range", b"bytes=0-9")])
    assert ranged is not None and not ranged.holdable


def test_hold_refuses_bytes_of_the_wrong_length(make_app: MakeApp, sized: Path) -> None:
    """A file that changed between the index and the read is not kept under the old facts."""
    app = make_app(directory=sized)
    decision = app._files.resolve("GET", "/a.txt", b"", [])
    assert decision is not None and decision.holdable
    assert not decision.hold(b"short")
    assert decision.hold(b"a" * 10)
    assert not decision.hold(b"a" * 10)  # held already
    again = app._files.resolve("GET", "/a.txt", b"", [])
    assert again is not None and again.file is None and again.body == b"a" * 10


# --- Media types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("page.html", "text/html; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("module.wasm", "application/wasm"),
        ("site.webmanifest", "application/manifest+json; charset=utf-8"),
        ("font.woff2", "font/woff2"),
        ("photo.PNG", "image/png"),
        ("README", "application/octet-stream"),
    ],
)
def test_content_type(make_app: MakeApp, tmp_path: Path, name: str, content_type: str) -> None:
    """Content-Type (RFC 9110 §8.3) from the extension; text types say their charset."""
    root = write_tree(tmp_path / "m", {name: "x"})
    assert _get(make_app(directory=root), f"/{name}").header("content-type") == content_type


def test_charset_none(make_app: MakeApp, tmp_path: Path) -> None:
    """``charset=None`` sends media types without a charset parameter."""
    root = write_tree(tmp_path / "m", {"app.js": "x", "page.html": "x"})
    app = make_app(directory=root, charset=None)
    assert _get(app, "/app.js").header("content-type") == "text/javascript"
    assert _get(app, "/page.html").header("content-type") == "text/html"


def test_mime_types_override(make_app: MakeApp, tmp_path: Path) -> None:
    """``mime_types`` adds extensions and overrides the built-in table, case-insensitively."""
    root = write_tree(tmp_path / "m", {"data.foo": "x", "DATA.FOO": "y", "app.js": "z"})
    app = make_app(directory=root, mime_types={".foo": "application/x-foo", ".js": "text/x-js"})
    assert _get(app, "/data.foo").header("content-type") == "application/x-foo"
    assert _get(app, "/DATA.FOO").header("content-type") == "application/x-foo"
    assert _get(app, "/app.js").header("content-type") == "text/x-js; charset=utf-8"


# --- Cache-Control ------------------------------------------------------------------------------

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("name", "cache_control"),
    [
        ("plain.txt", "public, max-age=60"),
        ("page.html", "no-cache"),
        ("app.3f2a9c1b7d4e.css", IMMUTABLE),  # Django ManifestStaticFilesStorage
        ("main.8f3a2b1c.js", IMMUTABLE),  # webpack
        ("index-BPvgi06w.js", IMMUTABLE),  # Vite
        ("main.8f3a2b1c.js.map", IMMUTABLE),  # a source map of a hashed file
        ("jquery-3.7.1.min.js", "public, max-age=60"),  # a version, not a hash
        ("report.20240101.pdf", "public, max-age=60"),  # a date
        ("logo-original.png", "public, max-age=60"),
        ("some-filename.js", "public, max-age=60"),
        ("deadbeef.js", "public, max-age=60"),  # the name is only hex
        ("deadbeef12.js", "public, max-age=60"),
    ],
)
def test_default_cache_control(
    make_app: MakeApp, tmp_path: Path, name: str, cache_control: str
) -> None:
    """Cache-Control (RFC 9111 §5.2.2): hashed names are immutable (RFC 8246), HTML is
    revalidated, the rest ages ``cache_max_age`` seconds."""
    root = write_tree(tmp_path / "c", {f"sub/{name}": "x"})
    response = _get(make_app(directory=root), f"/sub/{name}")
    assert response.header("cache-control") == cache_control


def test_cache_max_age(make_app: MakeApp, tmp_path: Path) -> None:
    """``cache_max_age`` sets max-age for ordinary files; HTML stays ``no-cache``."""
    root = write_tree(tmp_path / "c", {"a.txt": "x", "b.html": "x", "c.8f3a2b1c.js": "x"})
    app = make_app(directory=root, cache_max_age=3600)
    assert _get(app, "/a.txt").header("cache-control") == "public, max-age=3600"
    assert _get(app, "/b.html").header("cache-control") == "no-cache"
    assert _get(app, "/c.8f3a2b1c.js").header("cache-control") == IMMUTABLE


def test_custom_immutable_pattern(make_app: MakeApp, tmp_path: Path) -> None:
    """A custom ``immutable_pattern`` is searched in the URL path (prefix included)."""
    root = write_tree(
        tmp_path / "c", {"assets/logo.png": "x", "logo.png": "x", "m.8f3a2b1c.js": "x"}
    )
    app = make_app(directory=root, prefix="/static/", immutable_pattern=r"^/static/assets/")
    assert _get(app, "/static/assets/logo.png").header("cache-control") == IMMUTABLE
    assert _get(app, "/static/logo.png").header("cache-control") == "public, max-age=60"
    assert _get(app, "/static/m.8f3a2b1c.js").header("cache-control") == "public, max-age=60"


def test_immutable_pattern_none(make_app: MakeApp, tmp_path: Path) -> None:
    """``immutable_pattern=None`` marks nothing immutable."""
    root = write_tree(tmp_path / "c", {"main.8f3a2b1c.js": "x"})
    app = make_app(directory=root, immutable_pattern=None)
    assert _get(app, "/main.8f3a2b1c.js").header("cache-control") == "public, max-age=60"


# --- Index files and directory redirects --------------------------------------------------------

HOME = b"<!doctype html><title>home</title>"
DOCS = b"<!doctype html><title>docs</title>"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A root with an index, ``docs/`` and ``docs/api/`` with indexes, ``bare/`` without."""
    return write_tree(
        tmp_path / "t",
        {
            "index.html": HOME,
            "app.js": "js",
            "docs/index.html": DOCS,
            "docs/api/index.html": "api",
            "bare/file.txt": "file",
        },
    )


def _resolve(request_path: str, query: bytes, location: str | None) -> str:
    """The URL a browser goes to: the Location resolved against the request (RFC 3986 §5)."""
    assert location is not None
    request = "http://testserver" + quote(request_path)
    if query:
        request += "?" + query.decode("ascii")
    return urljoin(request, location)


def test_directory_serves_its_index(make_app: MakeApp, tree: Path) -> None:
    """``/docs/`` and ``/`` are their index.html; so are their explicit names."""
    app = make_app(directory=tree)
    assert _get(app, "/").body == HOME
    assert _get(app, "/docs/").body == DOCS
    assert _get(app, "/docs/index.html").body == DOCS
    assert _get(app, "/docs/api/").body == b"api"


@pytest.mark.parametrize(
    ("path", "query", "target"),
    [
        ("/docs", b"", "http://testserver/docs/"),
        ("/docs", b"a=1&b=%20", "http://testserver/docs/?a=1&b=%20"),
        ("/docs/api", b"x", "http://testserver/docs/api/?x"),
    ],
)
def test_directory_without_slash_redirects(
    make_app: MakeApp, tree: Path, path: str, query: bytes, target: str
) -> None:
    """``/docs`` is 301 (RFC 9110 §15.4.2) to a relative ``./docs/`` that resolves to
    ``/docs/``, keeping the query; the 301 has no body."""
    response = call(make_app(directory=tree), path=path, query=query)
    assert response.status == 301
    location = response.header("location")
    assert location is not None and location.startswith("./")
    assert _resolve(path, query, location) == target
    assert (response.body, response.header("content-length")) == (b"", "0")


def test_prefix_moves_the_urls(make_app: MakeApp, tree: Path) -> None:
    """Under ``prefix="/static/"`` the files are at ``/static/...`` and nowhere else."""
    app = make_app(directory=tree, prefix="/static/")
    assert _get(app, "/static/app.js").body == b"js"
    assert _get(app, "/static/").body == HOME
    assert _get(app, "/static/docs/").body == DOCS
    assert _get(app, "/app.js").status == 404
    assert _get(app, "/").status == 404
    for path, target in (("/static", "/static/"), ("/static/docs", "/static/docs/")):
        response = _get(app, path)
        assert response.status == 301
        assert _resolve(path, b"", response.header("location")) == "http://testserver" + target


def test_index_file_none(make_app: MakeApp, tree: Path) -> None:
    """``index_file=None``: no directory URLs and no redirects; the file is still a file."""
    app = make_app(directory=tree, index_file=None)
    for path in ("/", "/docs/", "/docs"):
        assert _get(app, path).status == 404, path
    assert _get(app, "/docs/index.html").body == DOCS


def test_custom_index_file(make_app: MakeApp, tmp_path: Path) -> None:
    """Another ``index_file`` name serves ``/dir/`` and redirects ``/dir``."""
    root = write_tree(tmp_path / "i", {"dir/default.htm": "d", "dir/index.html": "i"})
    app = make_app(directory=root, index_file="default.htm")
    assert _get(app, "/dir/").body == b"d"
    assert _get(app, "/dir").status == 301


def test_directory_without_index_is_a_miss(make_app: MakeApp, tree: Path) -> None:
    """No index file: ``/bare/`` and ``/bare`` are misses (no listing, no redirect)."""
    app = make_app(directory=tree)
    assert _get(app, "/bare/").status == 404
    assert _get(app, "/bare").status == 404
    assert _get(app, "/bare/file.txt").body == b"file"


@pytest.mark.parametrize(
    "name",
    [
        "evil.com",
        "a?b",
        "a#b",
        "a%b",
        "%2e%2e",
        "%2F%2Fevil.com",
        "a b",
        "ünï cödé",
        "日本",
        "a;b=c",
        ":x",
        "\\\\evil.com",
        "@evil.com",
    ],
)
def test_redirect_location_is_safe(make_app: MakeApp, tmp_path: Path, name: str) -> None:
    """The Location is a relative path in printable ASCII (RFC 3986 §2.1), never ``//``
    (a network-path reference, §4.2), that resolves back to the same directory."""
    root = write_tree(tmp_path / "r", {f"{name}/index.html": "x", f"up/{name}/index.html": "y"})
    app = make_app(directory=root)
    for path in (f"/{name}", f"/up/{name}"):
        response = _get(app, path)
        assert response.status == 301, path
        location = response.header("location")
        assert location is not None and location.startswith("./")
        assert all(0x21 <= ord(c) <= 0x7E for c in location), location
        resolved = urlsplit(_resolve(path, b"", location))
        assert (resolved.netloc, resolved.query, resolved.fragment) == ("testserver", "", "")
        assert unquote(resolved.path) == path + "/"
        assert _get(app, unquote(resolved.path)).status == 200


# --- File names -----------------------------------------------------------------------------------


def test_non_ascii_names(make_app: MakeApp, tmp_path: Path) -> None:
    """A UTF-8 file name is served at its decoded path (the ASGI path is decoded)."""
    root = write_tree(tmp_path / "u", {"café/menü.txt": "crème brûlée"})
    response = _get(make_app(directory=root), "/café/menü.txt")
    assert (response.status, response.body) == (200, "crème brûlée".encode())


def test_no_unicode_normalisation(make_app: MakeApp, tmp_path: Path) -> None:
    """Names are matched exactly, without Unicode normalisation: a file stored in NFD is
    found by its NFD path only, and an NFC name by its NFC path only."""
    nfd = unicodedata.normalize("NFD", "é")
    nfc = unicodedata.normalize("NFC", "é")
    root = write_tree(tmp_path / "n", {f"d/caf{nfd}.txt": "nfd", f"c/caf{nfc}.txt": "nfc"})
    app = make_app(directory=root)
    assert _get(app, f"/d/caf{nfd}.txt").body == b"nfd"
    assert _get(app, f"/d/caf{nfc}.txt").status == 404
    assert _get(app, f"/c/caf{nfc}.txt").body == b"nfc"
    assert _get(app, f"/c/caf{nfd}.txt").status == 404


def test_empty_file(make_app: MakeApp, tmp_path: Path) -> None:
    """A 0-byte file is 200 with Content-Length 0; a Range on it is ignored (RFC 9110 §14.2)."""
    root = write_tree(tmp_path / "e", {"empty.txt": b""})
    for app in (make_app(directory=root), make_app(directory=root, max_memory_file_size=0)):
        for headers in ([], [(b"range", b"bytes=0-0")], [(b"range", b"bytes=-1")]):
            response = call(app, path="/empty.txt", headers=headers)
            assert (response.status, response.body) == (200, b"")
            assert response.header("content-length") == "0"
            assert response.header("content-range") is None


# --- Files that change after start-up -------------------------------------------------------------

OLD = b"old content\n" * 10


@pytest.fixture
def changing(tmp_path: Path) -> Path:
    """A root with ``disk.txt`` and ``mem.txt``, both at a fixed past mtime."""
    root = write_tree(tmp_path / "ch", {"disk.txt": OLD, "mem.txt": b"small"})
    _touch(root / "disk.txt", T0)
    _touch(root / "mem.txt", T0)
    return root


def _changing_app(make_app: MakeApp, root: Path, inner: Any = None) -> Ferrostatic:
    """``disk.txt`` (120 bytes) is read from disk per request, ``mem.txt`` is held in memory."""
    return make_app(inner, directory=root, max_memory_file_size=10)


def _assert_consistent(response: Response) -> None:
    assert response.header("content-length") == str(len(response.body))


@pytest.mark.parametrize("new", [b"new", b"brand new and much longer content\n" * 10])
def test_changed_disk_file_serves_the_current_content(
    make_app: MakeApp, changing: Path, new: bytes
) -> None:
    """A disk file rewritten after start-up is served as it is now, its Content-Length
    matching the body (RFC 9110 §8.6) and its ETag a new one (§8.8.3)."""
    app = _changing_app(make_app, changing)
    old_etag = _get(app, "/disk.txt").header("etag")
    (changing / "disk.txt").write_bytes(new)
    _touch(changing / "disk.txt", T0 + 60)
    for _ in range(2):  # the second request is served from the refreshed description
        response = _get(app, "/disk.txt")
        _assert_consistent(response)
        assert (response.status, response.body) == (200, new)
        assert response.header("etag") != old_etag
    response = call(app, path="/disk.txt", headers=[(b"range", b"bytes=0-2")])
    assert (response.status, response.body) == (206, new[:3])
    assert response.header("content-range") == f"bytes 0-2/{len(new)}"


def test_changed_disk_file_is_not_revalidated_with_the_old_etag(
    make_app: MakeApp, changing: Path
) -> None:
    """After a change, the old ETag no longer matches: If-None-Match with it is 200 with the
    new content (RFC 9110 §13.1.2), and the new ETag gives 304."""
    app = _changing_app(make_app, changing)
    old_etag = _get(app, "/disk.txt").header("etag")
    assert old_etag is not None
    (changing / "disk.txt").write_bytes(b"new")
    _touch(changing / "disk.txt", T0 + 60)
    response = call(app, path="/disk.txt", headers=[(b"if-none-match", old_etag.encode())])
    assert (response.status, response.body) == (200, b"new")
    new_etag = response.header("etag")
    assert new_etag is not None and new_etag != old_etag
    response = call(app, path="/disk.txt", headers=[(b"if-none-match", new_etag.encode())])
    assert response.status == 304


def test_changed_disk_file_head_matches_get(make_app: MakeApp, changing: Path) -> None:
    """HEAD describes the current file exactly as GET would (RFC 9110 §9.3.2)."""
    app = _changing_app(make_app, changing)
    (changing / "disk.txt").write_bytes(b"new")
    _touch(changing / "disk.txt", T0 + 60)
    get = _get(app, "/disk.txt")
    head = call(app, "HEAD", "/disk.txt")
    assert (head.status, head.body) == (200, b"")
    assert head.headers == get.headers
    assert head.header("content-length") == "3"


def test_deleted_disk_file_standalone_is_404(make_app: MakeApp, changing: Path) -> None:
    """A disk file deleted after start-up is a miss: 404 (RFC 9110 §15.5.5), GET and HEAD."""
    app = _changing_app(make_app, changing)
    (changing / "disk.txt").unlink()
    for method in ("GET", "GET", "HEAD"):
        response = call(app, method, "/disk.txt")
        if method == "GET":
            _assert_consistent(response)
        assert response.status == 404, method
        assert OLD not in response.body


def test_deleted_disk_file_middleware_passes_through(make_app: MakeApp, changing: Path) -> None:
    """As middleware, a request for a deleted disk file goes to the wrapped app."""
    seen: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})

    app = _changing_app(make_app, changing, inner)
    (changing / "disk.txt").unlink()
    response = _get(app, "/disk.txt")
    assert (response.status, response.body) == (200, b"inner")
    assert seen == ["/disk.txt"]


def test_in_memory_file_keeps_its_start_up_bytes(make_app: MakeApp, changing: Path) -> None:
    """A file held in memory is served as indexed, consistently, after it changes on disk."""
    app = _changing_app(make_app, changing)
    etag = _get(app, "/mem.txt").header("etag")
    (changing / "mem.txt").write_bytes(b"changed!!")
    _touch(changing / "mem.txt", T0 + 60)
    for response in (_get(app, "/mem.txt"), _get(app, "/mem.txt")):
        _assert_consistent(response)
        assert (response.status, response.body) == (200, b"small")
        assert response.header("etag") == etag
    (changing / "mem.txt").unlink()
    assert _get(app, "/mem.txt").body == b"small"
