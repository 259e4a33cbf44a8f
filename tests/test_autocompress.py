"""On-the-fly compression: first request queues, later requests get the compressed snapshot."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import call, write_tree

MakeApp = Callable[..., Any]
TEXT = ("body { color: rebeccapurple; }\n" * 400).encode()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Compressible text, random bytes, a PNG, a big file, and a file with a pre-built .gz."""
    root = write_tree(
        tmp_path / "auto",
        {
            "app.css": TEXT,
            "noise.txt": os.urandom(4000),
            "logo.png": TEXT,
            "big.css": TEXT * 10,
            "tiny.css": b"p{}",
            "pre.css": TEXT,
        },
    )
    (root / "pre.css.gz").write_bytes(gzip.compress(TEXT))
    return root


def _warm(app: Any, path: str) -> None:
    """Request once (queuing the compression) and wait for the worker."""
    call(app, path=path, headers=[(b"accept-encoding", b"gzip")])
    app._files.autocompressor.wait()


def _get(app: Any, path: str, accept: bytes = b"gzip, br, zstd", **kw: Any) -> Any:
    return call(app, path=path, headers=[(b"accept-encoding", accept), *kw.get("extra", [])])


def test_first_request_is_identity_then_compressed(make_app: MakeApp, site: Path) -> None:
    """The first answer does not wait for a codec; once compressed, a client that accepts gzip
    gets the gzip bytes with their own ETag and Vary (RFC 9110 §8.4, §8.8.3, §12.5.5)."""
    app = make_app(directory=site, autocompress=True)
    first = _get(app, "/app.css", b"gzip")
    assert (first.body, first.header("content-encoding")) == (TEXT, None)
    app._files.autocompressor.wait()
    second = _get(app, "/app.css", b"gzip")
    assert second.header("content-encoding") == "gzip"
    assert gzip.decompress(second.body) == TEXT
    assert second.header("content-length") == str(len(second.body))
    assert second.header("vary") == "accept-encoding"
    assert second.header("etag") != first.header("etag")
    identity = _get(app, "/app.css", b"identity")
    assert (identity.body, identity.header("etag")) == (TEXT, first.header("etag"))


def test_each_representation_revalidates(make_app: MakeApp, site: Path) -> None:
    """A 304 for the compressed representation's ETag; HEAD answers what GET would
    (RFC 9110 §13.1.2, §9.3.2)."""
    app = make_app(directory=site, autocompress=True)
    _warm(app, "/app.css")
    get = _get(app, "/app.css")
    etag = (get.header("etag") or "").encode()
    assert _get(app, "/app.css", extra=[(b"if-none-match", etag)]).status == 304
    head = call(app, "HEAD", "/app.css", [(b"accept-encoding", b"gzip, br, zstd")])
    assert (head.body, head.headers) == (b"", get.headers)


def test_what_is_not_compressed(make_app: MakeApp, site: Path) -> None:
    """Random bytes do not shrink and are not tried again; PNGs, files above the limit, tiny
    files and files with pre-built variants are never candidates."""
    app = make_app(directory=site, autocompress=True, autocompress_max_size=20_000)
    for path in ("/noise.txt", "/logo.png", "/big.css", "/tiny.css"):
        _warm(app, path)
        assert _get(app, path).header("content-encoding") is None, path
    assert app._files.autocompressor.incompressible == {"noise.txt"}
    pre = _get(app, "/pre.css", b"gzip")
    assert (pre.header("content-encoding"), pre.body) == (
        "gzip",
        (site / "pre.css.gz").read_bytes(),
    )


def test_cache_is_bounded(make_app: MakeApp, tmp_path: Path) -> None:
    """The snapshots held never exceed ``autocompress_cache_size``: the least recently used
    goes first."""
    root = write_tree(tmp_path / "many", {f"f{i}.css": TEXT + bytes([65 + i]) for i in range(4)})
    budget = 2 * (len(TEXT) + 400)
    app = make_app(directory=root, autocompress=True, autocompress_cache_size=budget)
    for i in range(4):
        _warm(app, f"/f{i}.css")
    compressed = [_get(app, f"/f{i}.css").header("content-encoding") for i in range(4)]
    assert compressed.count("gzip") <= 2 and compressed[3] is not None


def test_off_by_default(make_app: MakeApp, site: Path) -> None:
    """Without the option, nothing is compressed and resolve is the router's own."""
    app = make_app(directory=site)
    assert app._files.autocompressor is None
    assert app._files.resolve == app._files.router.resolve
