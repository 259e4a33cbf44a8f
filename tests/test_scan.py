"""The compiled start-up walk describes every tree exactly as the Python walk does.

``ferrostatic._scan`` builds the Rust router straight from ``_core.scan``; ``_index.build_index``
describes the same tree as ``Resource`` records. For each tree and set of options, both routers
must answer every URL of the tree (and a few misses) with the same decision, under several
request headers, and both walks must leave out the same entries for the same reasons.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrostatic._index import build_index, health_check_resource
from ferrostatic.config import Config

from .conftest import write_tree

_core = pytest.importorskip("ferrostatic._core")
from ferrostatic._scan import scanned_router  # noqa: E402

YEAR = 2026
T0 = 1_700_000_000

REQUEST_HEADERS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"accept-encoding", b"gzip, deflate, br, zstd")],
    [(b"accept-encoding", b"gzip")],
    [(b"range", b"bytes=0-2")],
    [(b"if-modified-since", b"Tue, 14 Nov 2023 22:13:20 GMT")],
]


def _decision(router: Any, method: str, url: str, headers: list[tuple[bytes, bytes]]) -> Any:
    decision = router.resolve(method, url, b"q=1", headers)
    if decision is None:
        return None
    return (
        decision.status,
        list(decision.headers),
        decision.body,
        decision.file,
        decision.segments,
        decision.size,
        decision.mtime_ns,
        decision.coding,
    )


def _compare(root: Path, caplog: pytest.LogCaptureFixture, **options: Any) -> int:
    """Build both ways and compare; returns how many URLs were compared."""
    config = Config.from_options({"directory": root, **options})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ferrostatic"):
        index = build_index(config)
        python_warnings = [record.getMessage() for record in caplog.records]
        caplog.clear()
        health = config.health_check_path
        extra = () if health is None else (health_check_resource(health),)
        scanned, scan_index = scanned_router(config, standalone=True, year=YEAR, extra=extra)
        rust_warnings = [record.getMessage() for record in caplog.records]
    reference = _core.Router(index.resources, index.redirects, standalone=True, current_year=YEAR)
    assert rust_warnings == python_warnings
    for field in ("hidden", "outside_symlinks", "stale_variants", "unreadable"):
        assert getattr(scan_index, field) == getattr(index, field), field
    assert scan_index.file_count == index.file_count
    assert len(scanned) == len(reference)
    urls = {url for resource in index.resources for url in resource.urls}
    urls |= {redirect.url for redirect in index.redirects}
    urls |= {"/", "/missing", "/a.js.br", "/index.html/"}
    for url in sorted(urls):
        for method in ("GET", "HEAD"):
            for headers in REQUEST_HEADERS:
                expected = _decision(reference, method, url, headers)
                assert _decision(scanned, method, url, headers) == expected, (method, url, headers)
    return len(urls)


def _touch(path: Path, seconds: float) -> None:
    os.utime(path, (seconds, seconds))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Most of what a walk can meet: variants (fresh and stale), index files, hidden names,
    .well-known, a chain of siblings, symlinks in and out, a loop, HTML pages."""
    root = write_tree(
        tmp_path / "root",
        {
            "index.html": "<!doctype html>home",
            "about.html": "about",
            "docs/index.html": "docs",
            "docs/guide.txt": "guide text",
            "docs/guide": "a file that blocks the clean URL of guide.html",
            "docs/guide.html": "guide page",
            "assets/app.3f9a2b1c.js": "console.log(1)" * 20,
            "assets/app.3f9a2b1c.js.br": "br",
            "assets/app.3f9a2b1c.js.gz": "gz",
            "assets/app.3f9a2b1c.js.zst": "zst",
            "assets/app.3f9a2b1c.js.zstd": "zstd",
            "assets/style.css": "body{}",
            "assets/style.css.gz": "old gz",
            "assets/chain.js": "c",
            "assets/chain.js.gz": "cg",
            "assets/chain.js.gz.br": "cgb",
            "assets/lone.txt.gz": "no source",
            "assets/Data.JSON": "{}",
            "assets/archive.tar.gz": "tgz",
            ".env": "SECRET=1",
            ".well-known/security.txt": "Contact: x",
            ".well-known/.hidden": "no",
            "sub/.git/config": "no",
            ".ferrostatic-compress.json": "{}",
            "big.bin": "x" * 5000,
            "LICENSE": "text",
            "apple-app-site-association": "{}",
        },
    )
    for path in root.rglob("*"):
        if path.is_file():
            _touch(path, T0)
    _touch(root / "assets/style.css.gz", T0 - 10)  # stale
    _touch(root / "LICENSE", 10)  # a placeholder time: no Last-Modified
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    (root / "link-out.txt").symlink_to(outside)
    (root / "link-in.txt").symlink_to(root / "docs/guide.txt")
    (root / "docs-link").symlink_to(root / "docs")
    (root / "docs/loop").symlink_to(root)
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    return root


OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"prefix": "/static/"},
    {"allow_hidden": True, "follow_symlinks_outside": True},
    {"index_file": None, "html_extension_fallback": True},
    {"html_extension_fallback": True, "hash_max_file_size": 100},
    {"immutable_pattern": None, "charset": None, "cache_max_age": 5},
    {"mime_types": {".json": "application/x-thing", "license": "text/plain"}},
    {"cache_control": {"/assets/*": "public, max-age=1"}},
    {"add_headers": lambda path, url: {"X-Path": os.path.basename(path)}},
    {"security_headers": True},
    {"health_check_path": "/healthz", "max_memory_file_size": 0},
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda options: ",".join(options) or "default")
def test_both_walks_describe_the_tree_alike(
    tree: Path, caplog: pytest.LogCaptureFixture, options: dict[str, Any]
) -> None:
    """Every URL, method and header set decides the same through both indexes."""
    assert _compare(tree, caplog, **options) > 10


def test_an_empty_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing to serve is a table with nothing in it, both ways."""
    (tmp_path / "empty").mkdir()
    _compare(tmp_path / "empty", caplog)


def test_a_scan_makes_one_router(tree: Path) -> None:
    """The scan's data moves into the router: a second router from it is an error, not an
    empty table."""
    config = Config.from_options({"directory": tree})
    scan = _core.scan(
        str(tree),
        allow_hidden=False,
        follow_symlinks_outside=False,
        index_file="index.html",
        html_extension_fallback=False,
        hash_max_file_size=config.hash_max_file_size,
        threads=2,
    )
    count = len(scan.files)
    build: dict[str, Any] = {"standalone": True, "current_year": YEAR}
    _core.Router.from_scan(scan, "/", [b"t"] * count, [None] * count, (), None, (), (), **build)
    with pytest.raises(RuntimeError, match="already"):
        _core.Router.from_scan(scan, "/", [], [], (), None, (), (), **build)
    with pytest.raises(RuntimeError, match="already"):
        _ = scan.files


NAMES = st.sampled_from(
    [
        *("a", "b.js", "b.js.br", "b.js.gz", "b.js.zst", "b.js.zstd", "c.html", "c"),
        *("index.html", "d.css.gz", "d.css", ".h", "e.tar.gz", "E.SVG", "f.gz.br", "f.gz"),
        *("f", "g h.txt", "ü.txt"),
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.dictionaries(
        st.tuples(st.sampled_from(["", "x/", "x/y/", "z/"]), NAMES).map("".join),
        st.tuples(st.binary(max_size=40), st.integers(min_value=-3, max_value=3)),
        max_size=25,
    ),
    html_extension_fallback=st.booleans(),
    allow_hidden=st.booleans(),
)
def test_random_trees(
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
    files: dict[str, tuple[bytes, int]],
    html_extension_fallback: bool,
    allow_hidden: bool,
) -> None:
    """Random trees of sources, siblings and pages (some siblings stale) decide alike."""
    root = tmp_path_factory.mktemp("random")
    for rel in list(files):  # a name cannot be both a file and a folder
        if any(other.startswith(rel + "/") for other in files):
            del files[rel]
    write_tree(root, {rel: data for rel, (data, _) in files.items()})
    for rel, (_, offset) in files.items():
        _touch(root / rel, T0 + offset)
    _compare(
        root,
        caplog,
        html_extension_fallback=html_extension_fallback,
        allow_hidden=allow_hidden,
    )
