"""Development options: ``autorefresh``, ``path_resolver`` and ``request_id_header``.

``autorefresh`` serves the files as they are on disk now (created, changed or deleted after
start-up), under the same rules as the start-up index (no hidden names, no symlink out of the
folder, no ``..``). ``path_resolver`` maps URLs missing from the index to files, served only
inside ``path_resolver_roots``. ``request_id_header`` ties each response to its request.
Every test runs on both routers and both entry points.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic

from .conftest import Response, call, write_tree

MakeApp = Callable[..., Ferrostatic]
Headers = list[tuple[bytes, bytes]]


async def inner_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The wrapped app: 299 ``app`` for every request."""
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})


def grow(path: Path, content: str) -> None:
    """Rewrite ``path`` with ``content`` (of another size than before) and a new mtime."""
    before = path.stat()
    path.write_text(content)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    assert path.stat().st_size != before.st_size


# --- autorefresh ------------------------------------------------------------------------------


def test_new_file_is_served(make_app: MakeApp, site: Path) -> None:
    """A file created after start-up is served at the next request, with its own
    Content-Length and Content-Type (RFC 9110 §8.6, §8.3); HEAD and ranges work on it too."""
    app = make_app(directory=site, autorefresh=True)
    assert call(app, path="/new.txt").status == 404
    (site / "new.txt").write_text("fresh content")
    response = call(app, path="/new.txt")
    assert (response.status, response.body) == (200, b"fresh content")
    assert response.header("content-length") == "13"
    assert response.header("content-type") == "text/plain; charset=utf-8"
    head = call(app, "HEAD", "/new.txt")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", "13")
    part = call(app, path="/new.txt", headers=[(b"range", b"bytes=0-4")])
    assert (part.status, part.body, part.header("content-range")) == (206, b"fresh", "bytes 0-4/13")


def test_new_big_file_is_streamed(make_app: MakeApp, site: Path) -> None:
    """A new file larger than a read chunk is sent whole, and a range of it exactly."""
    app = make_app(directory=site, autorefresh=True, chunk_size=64 * 1024)
    data = bytes(range(256)) * 2048  # 512 KiB
    (site / "new.bin").write_bytes(data)
    response = call(app, path="/new.bin")
    assert (response.status, response.header("content-length")) == (200, str(len(data)))
    assert response.body == data
    part = call(app, path="/new.bin", headers=[(b"range", b"bytes=100000-300000")])
    assert (part.status, part.body) == (206, data[100000:300001])


def test_new_file_with_a_non_ascii_name(make_app: MakeApp, site: Path) -> None:
    """A new file with a UTF-8 name is found by its decoded URL path."""
    app = make_app(directory=site, autorefresh=True)
    write_tree(site, {"café/crème.txt": "brûlée"})
    assert call(app, path="/café/crème.txt").body == "brûlée".encode()


def test_new_file_with_a_non_utf8_name_refused(make_app: MakeApp, site: Path) -> None:
    """A name that is not valid UTF-8 is never served, as at start-up."""
    app = make_app(directory=site, autorefresh=True)
    (site / os.fsdecode(b"bad\xff.txt")).write_text("bad")
    assert call(app, path="/bad\udcff.txt").status == 404


def test_new_file_without_autorefresh_is_a_miss(make_app: MakeApp, site: Path) -> None:
    """Without the option the index is the start-up one."""
    app = make_app(directory=site)
    (site / "new.txt").write_text("fresh content")
    assert call(app, path="/new.txt").status == 404


def test_changed_file_is_served_anew(make_app: MakeApp, site: Path) -> None:
    """A file changed after start-up is served with its new bytes, length and a new ETag; the
    old ETag no longer matches (RFC 9110 §8.8.3, §13.1.2)."""
    app = make_app(directory=site, autorefresh=True)
    before = call(app, path="/docs/guide.txt")
    old_etag = before.header("etag")
    assert old_etag is not None
    grow(site / "docs" / "guide.txt", "a new guide, longer than the old one")
    after = call(app, path="/docs/guide.txt")
    assert (after.status, after.body) == (200, b"a new guide, longer than the old one")
    assert after.header("content-length") == str(len(after.body))
    assert after.header("etag") not in (None, old_etag)
    again = call(app, path="/docs/guide.txt", headers=[(b"if-none-match", old_etag.encode())])
    assert (again.status, again.body) == (200, after.body)


def test_changed_file_same_size(make_app: MakeApp, site: Path) -> None:
    """A change that keeps the size is caught by the modification time."""
    app = make_app(directory=site, autorefresh=True)
    assert call(app, path="/docs/guide.txt").body == b"abcdefghijklmnopqrstuvwxyz"
    path = site / "docs" / "guide.txt"
    before = path.stat()
    path.write_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    assert call(app, path="/docs/guide.txt").body == b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_new_file_changed_again(make_app: MakeApp, site: Path) -> None:
    """A file created after start-up and then changed is served in its latest form."""
    app = make_app(directory=site, autorefresh=True)
    (site / "new.txt").write_text("one")
    first = call(app, path="/new.txt")
    assert first.body == b"one"
    grow(site / "new.txt", "two, longer")
    second = call(app, path="/new.txt")
    assert (second.status, second.body, second.header("content-length")) == (
        200,
        b"two, longer",
        "11",
    )
    assert second.header("etag") != first.header("etag")


def test_deleted_file_standalone(make_app: MakeApp, site: Path) -> None:
    """A file deleted after start-up is a miss: 404 (RFC 9110 §15.5.5), HEAD included; so is a
    file created after start-up and deleted again."""
    app = make_app(directory=site, autorefresh=True)
    assert call(app, path="/docs/guide.txt").status == 200
    (site / "docs" / "guide.txt").unlink()
    assert call(app, path="/docs/guide.txt").status == 404
    assert call(app, "HEAD", "/docs/guide.txt").status == 404
    (site / "new.txt").write_text("short-lived")
    assert call(app, path="/new.txt").status == 200
    (site / "new.txt").unlink()
    assert call(app, path="/new.txt").status == 404


def test_deleted_indexed_file_replaced_by_another_candidate(make_app: MakeApp, site: Path) -> None:
    """With clean URLs, ``/about`` indexed from ``about.html`` is served from a plain ``about``
    file created once ``about.html`` is deleted."""
    (site / "about.html").write_text("<p>html</p>")
    app = make_app(directory=site, autorefresh=True, html_extension_fallback=True)
    assert call(app, path="/about").body == b"<p>html</p>"
    (site / "about.html").unlink()
    (site / "about").write_text("plain")
    assert call(app, path="/about").body == b"plain"


def test_deleted_file_goes_to_the_app(make_app: MakeApp, site: Path) -> None:
    """As middleware, a file deleted after start-up is the app's business."""
    app = make_app(inner_app, directory=site, autorefresh=True)
    assert call(app, path="/docs/guide.txt").status == 200
    (site / "docs" / "guide.txt").unlink()
    assert (call(app, path="/docs/guide.txt").status, call(app, path="/docs/guide.txt").body) == (
        299,
        b"app",
    )
    (site / "new.txt").write_text("short-lived")
    assert call(app, path="/new.txt").status == 200
    (site / "new.txt").unlink()
    assert call(app, path="/new.txt").status == 299


def test_new_folder_index(make_app: MakeApp, site: Path) -> None:
    """A ``dir/index.html`` created after start-up is served for ``/dir/`` and by its name."""
    app = make_app(directory=site, autorefresh=True)
    write_tree(site, {"blog/index.html": "<p>blog</p>"})
    for path in ("/blog/", "/blog/index.html"):
        response = call(app, path=path)
        assert (response.status, response.body) == (200, b"<p>blog</p>"), path
        assert response.header("content-type") == "text/html; charset=utf-8"


def test_new_file_as_middleware(make_app: MakeApp, site: Path) -> None:
    """As middleware, a file created after start-up is served, not handed to the app; a
    path that is still missing is."""
    app = make_app(inner_app, directory=site, autorefresh=True)
    (site / "new.txt").write_text("fresh")
    assert call(app, path="/new.txt").body == b"fresh"
    assert call(app, path="/still-missing.txt").status == 299
    assert call(app, "POST", "/new.txt").status == 299


def test_new_clean_url(make_app: MakeApp, site: Path) -> None:
    """With ``html_extension_fallback``, ``/about`` serves an ``about.html`` created later."""
    app = make_app(directory=site, autorefresh=True, html_extension_fallback=True)
    (site / "about.html").write_text("<p>about</p>")
    assert call(app, path="/about").body == b"<p>about</p>"


def test_new_file_under_a_prefix(make_app: MakeApp, site: Path) -> None:
    """Under a prefix, a new file has the prefixed URL only."""
    app = make_app(directory=site, prefix="/static/", autorefresh=True)
    (site / "new.txt").write_text("fresh")
    assert call(app, path="/static/new.txt").body == b"fresh"
    assert call(app, path="/new.txt").status == 404


def test_new_file_in_mounted_directory(make_app: MakeApp, site: Path, tmp_path: Path) -> None:
    """Files created later in a folder mounted with ``directories`` are served under its
    prefix."""
    media = tmp_path / "media"
    media.mkdir()
    app = make_app(directory=site, directories={"/media/": media}, autorefresh=True)
    write_tree(media, {"photos/cat.txt": "meow"})
    response = call(app, path="/media/photos/cat.txt")
    assert (response.status, response.body) == (200, b"meow")
    assert call(app, path="/photos/cat.txt").status == 404


def test_directories_only_never_serve_the_working_directory(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only ``directories`` (no ``directory``), nothing is served from the current working
    directory, which stands in for the missing main folder — even with
    ``follow_symlinks_outside``."""
    media = write_tree(tmp_path / "media", {"m.txt": "m"})
    cwd = write_tree(tmp_path / "cwd", {"secret.txt": "SECRET", "index.html": "<p>cwd</p>"})
    monkeypatch.chdir(cwd)
    for follow in (False, True):
        app = make_app(
            directories={"/media/": media}, autorefresh=True, follow_symlinks_outside=follow
        )
        for path in ("/secret.txt", "/", "/index.html"):
            assert call(app, path=path).status == 404, (follow, path)
        write_tree(media, {"later.txt": "later"})
        assert call(app, path="/media/later.txt").body == b"later"


@pytest.mark.parametrize("name", [".env", ".git/config", ".secret/x.txt", "docs/.hidden.txt"])
def test_new_hidden_files_refused(make_app: MakeApp, site: Path, name: str) -> None:
    """Hidden names created (or present but unindexed) after start-up are still refused."""
    app = make_app(directory=site, autorefresh=True)
    write_tree(site, {name: "SECRET=2"})
    response = call(app, path="/" + name)
    assert response.status == 404
    assert b"SECRET" not in response.body


def test_new_well_known_file_served(make_app: MakeApp, site: Path) -> None:
    """``/.well-known/`` is the exception to the hidden rule, for new files too."""
    app = make_app(directory=site, autorefresh=True)
    write_tree(site, {".well-known/change-password": "go"})
    assert call(app, path="/.well-known/change-password").body == b"go"


def test_new_symlink_out_of_the_folder_refused(
    make_app: MakeApp, site: Path, tmp_path: Path
) -> None:
    """A symlink created later that leads out of the folder (to a file or a folder) is not
    followed; one that stays inside is."""
    outside = write_tree(tmp_path / "outside", {"secret.txt": "SECRET"})
    app = make_app(directory=site, autorefresh=True)
    (site / "leak.txt").symlink_to(outside / "secret.txt")
    (site / "leakdir").symlink_to(outside, target_is_directory=True)
    (site / "alias.txt").symlink_to(site / "docs" / "guide.txt")
    for path in ("/leak.txt", "/leakdir/secret.txt"):
        response = call(app, path=path)
        assert (response.status, b"SECRET" in response.body) == (404, False), path
    assert call(app, path="/alias.txt").body == b"abcdefghijklmnopqrstuvwxyz"


def test_new_symlink_out_allowed_by_option(make_app: MakeApp, site: Path, tmp_path: Path) -> None:
    """``follow_symlinks_outside=True`` applies to new symlinks as to indexed ones."""
    outside = write_tree(tmp_path / "outside", {"shared.txt": "shared"})
    app = make_app(directory=site, autorefresh=True, follow_symlinks_outside=True)
    (site / "shared.txt").symlink_to(outside / "shared.txt")
    assert call(app, path="/shared.txt").body == b"shared"


@pytest.mark.parametrize(
    "path",
    [
        "/../outside.txt",
        "/docs/../../outside.txt",
        "/docs/../../site/../outside.txt",
        "/./docs/guide.txt",
        "/docs//guide.txt",
        "/docs/guide.txt/",
        "/docs\\..\\..\\outside.txt",
        "/docs/guide.txt\x00.html",
    ],
)
def test_traversal_refused(make_app: MakeApp, site: Path, path: str) -> None:
    """``.``, ``..`` and empty segments, backslashes and NUL never reach the disk
    (RFC 3986 §3.3: ``..`` is removed by clients, a server must not resolve it)."""
    (site.parent / "outside.txt").write_text("OUTSIDE")
    app = make_app(directory=site, autorefresh=True, html_extension_fallback=True)
    response = call(app, path=path)
    assert response.status == 404
    assert b"OUTSIDE" not in response.body


def test_new_file_preflight(make_app: MakeApp, site: Path) -> None:
    """With CORS, a file created after start-up is a file for preflights too (Fetch §3.2.2)."""
    app = make_app(directory=site, autorefresh=True, cors_allow_origins=["*"])
    (site / "font.woff2").write_bytes(b"wOF2")
    headers = [(b"origin", b"https://a.example"), (b"access-control-request-method", b"GET")]
    assert call(app, "OPTIONS", "/font.woff2", headers).status == 204
    response = call(app, path="/font.woff2", headers=headers[:1])
    assert (response.body, response.header("access-control-allow-origin")) == (b"wOF2", "*")


def test_autorefresh_must_be_a_bool(site: Path) -> None:
    """``autorefresh`` is True or False."""
    with pytest.raises(ConfigError, match=r"^autorefresh: "):
        Ferrostatic(directory=site, autorefresh="yes")


# --- path_resolver ----------------------------------------------------------------------------


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    """Files outside the served folder, for a resolver to find."""
    return write_tree(
        tmp_path / "assets",
        {"logo.svg": "<svg/>", "data/report.json": '{"a": 1}', ".hidden": "SECRET"},
    )


def test_resolver_serves_a_file_in_the_served_folder(make_app: MakeApp, site: Path) -> None:
    """A URL missing from the index is asked of the resolver; its file, in the served folder
    (the default root), is served with the Content-Type of its name (RFC 9110 §8.3)."""
    asked: list[str] = []

    def resolver(url: str) -> str | None:
        asked.append(url)
        return str(site / "docs" / "guide.txt") if url == "/guide" else None

    app = make_app(directory=site, path_resolver=resolver)
    response = call(app, path="/guide")
    assert (response.status, response.body) == (200, b"abcdefghijklmnopqrstuvwxyz")
    assert response.header("content-type") == "text/plain; charset=utf-8"
    assert response.header("content-length") == "26"
    assert call(app, path="/docs/guide.txt").status == 200
    assert "/docs/guide.txt" not in asked  # indexed URLs never reach it


def test_resolver_with_roots(make_app: MakeApp, site: Path, assets: Path) -> None:
    """``path_resolver_roots`` names where its files may be; a ``pathlib.Path`` answer
    works, and the Content-Type follows the file's name, not the URL's."""

    def resolver(url: str) -> Path | None:
        return assets / url.removeprefix("/assets/") if url.startswith("/assets/") else None

    app = make_app(directory=site, path_resolver=resolver, path_resolver_roots=[assets])
    svg = call(app, path="/assets/logo.svg")
    assert (svg.status, svg.body) == (200, b"<svg/>")
    assert (svg.header("content-type") or "").startswith("image/svg+xml")
    report = call(app, path="/assets/data/report.json")
    assert report.status == 200
    assert (report.header("content-type") or "").startswith("application/json")
    part = call(app, path="/assets/logo.svg", headers=[(b"range", b"bytes=1-3")])
    assert (part.status, part.body) == (206, b"svg")


def test_resolver_answer_none_is_a_miss(make_app: MakeApp, site: Path) -> None:
    """None means "no such file": 404 standalone, the app's as middleware."""
    assert call(make_app(directory=site, path_resolver=lambda url: None), path="/x").status == 404
    app = make_app(inner_app, directory=site, path_resolver=lambda url: None)
    assert call(app, path="/x").status == 299


def test_resolver_missing_file_is_a_miss(make_app: MakeApp, site: Path) -> None:
    """A path to nothing (or to a folder) is a miss, not an error."""
    for answer in (site / "nothing.txt", site / "docs"):
        app = make_app(directory=site, path_resolver=lambda url, answer=answer: answer)
        assert call(app, path="/x").status == 404, answer


@pytest.mark.parametrize("where", ["etc", "other tmp folder", "symlink", "served folder"])
def test_resolver_outside_the_roots(
    make_app: MakeApp,
    site: Path,
    assets: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    """A file outside ``path_resolver_roots`` (symlinks resolved) is not served — 404
    standalone, the app's as middleware — and a warning says so."""
    other = write_tree(tmp_path / "other", {"secret.txt": "SECRET"})
    (assets / "link.txt").symlink_to(other / "secret.txt")
    answers = {
        "etc": "/etc/hostname",
        "other tmp folder": str(other / "secret.txt"),
        "symlink": str(assets / "link.txt"),
        "served folder": str(site / "docs" / "guide.txt"),  # not among the roots given
    }
    for inner in (None, inner_app):
        app = make_app(
            inner,
            directory=site,
            path_resolver=lambda url: answers[where],
            path_resolver_roots=[assets],
        )
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ferrostatic"):
            response = call(app, path="/x")
        assert response.status == (404 if inner is None else 299)
        assert b"SECRET" not in response.body
        assert [r.name for r in caplog.records] == ["ferrostatic"]
        assert "path_resolver_roots" in caplog.text


def test_resolver_hidden_file_refused(make_app: MakeApp, site: Path, assets: Path) -> None:
    """A hidden file inside a root is refused like in the index."""
    app = make_app(
        directory=site,
        path_resolver=lambda url: assets / ".hidden",
        path_resolver_roots=[assets],
    )
    response = call(app, path="/x")
    assert (response.status, b"SECRET" in response.body) == (404, False)


def test_resolver_that_raises(
    make_app: MakeApp, site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A resolver that raises is logged and treated as a miss: never a 500."""

    def resolver(url: str) -> str:
        raise RuntimeError("resolver is broken")

    for inner in (None, inner_app):
        app = make_app(inner, directory=site, path_resolver=resolver)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ferrostatic"):
            response = call(app, path="/x")
        assert response.status == (404 if inner is None else 299)
        assert "resolver is broken" in caplog.text
        assert call(app, path="/docs/guide.txt").status == 200


@pytest.mark.parametrize("answer", [42, "/tmp/a\x00b", ["a"]])
def test_resolver_wrong_answer(
    make_app: MakeApp, site: Path, caplog: pytest.LogCaptureFixture, answer: Any
) -> None:
    """An answer that is not a usable path is logged and treated as a miss: never a 500."""
    app = make_app(directory=site, path_resolver=lambda url: answer)
    with caplog.at_level(logging.WARNING, logger="ferrostatic"):
        response = call(app, path="/x")
    assert response.status == 404
    assert "path_resolver" in caplog.text


def test_resolved_file_changed(make_app: MakeApp, site: Path, assets: Path) -> None:
    """A resolved file that changes is served in its new form."""
    app = make_app(
        directory=site, path_resolver=lambda url: assets / "logo.svg", path_resolver_roots=[assets]
    )
    assert call(app, path="/logo").body == b"<svg/>"
    grow(assets / "logo.svg", "<svg><g/></svg>")
    response = call(app, path="/logo")
    assert (response.status, response.body, response.header("content-length")) == (
        200,
        b"<svg><g/></svg>",
        "15",
    )


def test_resolver_asked_again_when_its_file_vanished(
    make_app: MakeApp, site: Path, assets: Path
) -> None:
    """When the file a resolver gave is deleted, the resolver is asked again: a rebuild that
    moved the file elsewhere is served from its new place, not 404 for ever."""
    current = ["logo.svg"]
    for inner in (None, inner_app):
        current[0] = "logo.svg"
        write_tree(assets, {"logo.svg": "<svg/>"})
        app = make_app(
            inner,
            directory=site,
            path_resolver=lambda url: assets / current[0],
            path_resolver_roots=[assets],
        )
        assert call(app, path="/logo").body == b"<svg/>"
        write_tree(assets, {"build-2/logo.svg": "<svg>2</svg>"})
        (assets / "logo.svg").unlink()
        current[0] = "build-2/logo.svg"
        response = call(app, path="/logo")
        assert (response.status, response.body) == (200, b"<svg>2</svg>")


def test_autorefresh_finds_the_other_candidate_after_a_delete(
    make_app: MakeApp, site: Path
) -> None:
    """With clean URLs, ``/about`` served from ``about.html`` is served from a plain ``about``
    file once ``about.html`` is gone."""
    app = make_app(directory=site, autorefresh=True, html_extension_fallback=True)
    (site / "about.html").write_text("<p>html</p>")
    assert call(app, path="/about").body == b"<p>html</p>"
    (site / "about.html").unlink()
    (site / "about").write_text("plain")
    assert call(app, path="/about").body == b"plain"


def test_resolver_default_roots_with_directories(
    make_app: MakeApp, site: Path, assets: Path
) -> None:
    """By default the roots are every folder served, ``directories`` included."""
    app = make_app(
        directory=site,
        directories={"/assets/": assets},
        path_resolver=lambda u: assets / "logo.svg",
    )
    assert call(app, path="/logo").body == b"<svg/>"


def test_resolver_bad_options(site: Path, tmp_path: Path) -> None:
    """A non-callable ``path_resolver`` and missing or malformed ``path_resolver_roots`` fail
    at construction, naming the option."""
    with pytest.raises(ConfigError, match=r"^path_resolver: "):
        Ferrostatic(directory=site, path_resolver="assets/")
    for roots in ([tmp_path / "missing"], [site / "index.html"], [], str(site)):
        with pytest.raises(ConfigError, match=r"^path_resolver_roots: "):
            Ferrostatic(directory=site, path_resolver=lambda u: None, path_resolver_roots=roots)


# --- request_id_header ------------------------------------------------------------------------

HEX_ID = re.compile(r"[0-9a-f]{32}")


def request_ids(responses: list[Response]) -> list[str]:
    """The ``x-request-id`` of each response (each must have exactly one)."""
    found = [response.header("x-request-id") for response in responses]
    assert None not in found
    return [value for value in found if value is not None]


def test_every_response_carries_an_id(make_app: MakeApp, site: Path) -> None:
    """200, HEAD, 206, 304, 301, 404, 405 and 412 from ferrostatic all carry the header, a
    generated id each (32 hex digits), all different."""
    app = make_app(directory=site, request_id_header="X-Request-ID")
    etag = call(app, path="/docs/guide.txt").header("etag") or ""
    responses = [
        call(app, path="/docs/guide.txt"),
        call(app, "HEAD", "/docs/guide.txt"),
        call(app, path="/docs/guide.txt", headers=[(b"range", b"bytes=0-1")]),
        call(app, path="/docs/guide.txt", headers=[(b"if-none-match", etag.encode())]),
        call(app, path="/docs"),
        call(app, path="/missing"),
        call(app, "POST", "/docs/guide.txt"),
        call(app, path="/docs/guide.txt", headers=[(b"if-match", b'"nope"')]),
        call(app, path="/big.bin"),
    ]
    assert [r.status for r in responses] == [200, 200, 206, 304, 301, 404, 405, 412, 200]
    ids = request_ids(responses)
    assert all(HEX_ID.fullmatch(value) for value in ids), ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "value", [b"abc-123", b"a" * 128, b"0f8fad5b-d9cb-469f-a165-70867728950e", b"req:1/2@x+y=z"]
)
def test_well_formed_id_is_echoed(make_app: MakeApp, site: Path, value: bytes) -> None:
    """A well-formed incoming id (up to 128 characters) is kept, so that a proxy's id carries
    through; the header name is matched case-insensitively (RFC 9110 §5.1)."""
    app = make_app(directory=site, request_id_header="X-Request-ID")
    response = call(app, path="/docs/guide.txt", headers=[(b"x-request-id", value)])
    assert response.header("x-request-id") == value.decode()


@pytest.mark.parametrize(
    "value", [b"", b"abc 123", b"a" * 129, b"a" * 200, b"caf\xc3\xa9", b"\xff\xfe", b"a\tb", b"a,b"]
)
def test_malformed_id_is_replaced(make_app: MakeApp, site: Path, value: bytes) -> None:
    """An empty, over-long, spaced or non-ASCII id is replaced by a generated one: it would
    otherwise forge or break log lines."""
    app = make_app(directory=site, request_id_header="X-Request-ID")
    response = call(app, path="/docs/guide.txt", headers=[(b"x-request-id", value)])
    got = response.header("x-request-id")
    assert got is not None and HEX_ID.fullmatch(got), got


def test_other_header_name(make_app: MakeApp, site: Path) -> None:
    """Any header name works; it is used in lower case on the response."""
    app = make_app(directory=site, request_id_header="X-Correlation-Id")
    response = call(app, path="/index.html", headers=[(b"x-correlation-id", b"corr-7")])
    assert response.header("x-correlation-id") == "corr-7"
    assert (b"x-correlation-id", b"corr-7") in response.headers


def recording_app(
    own_id: bytes | None = None,
) -> tuple[list[bytes | None], Callable[..., Any]]:
    """A wrapped app that records the ``x-request-id`` it sees, and sets ``own_id`` if given."""
    seen: list[bytes | None] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        values = [v for k, v in scope["headers"] if k.lower() == b"x-request-id"]
        assert len(values) <= 1, values
        seen.append(values[0] if values else None)
        headers = [(b"X-Request-ID", own_id)] if own_id is not None else []
        await send({"type": "http.response.start", "status": 299, "headers": headers})
        await send({"type": "http.response.body", "body": b"app"})

    return seen, app


@pytest.mark.parametrize("incoming", [None, b"abc-123", b"bad id"])
def test_app_sees_the_same_id(make_app: MakeApp, site: Path, incoming: bytes | None) -> None:
    """As middleware, the wrapped app sees the id that goes on the response (kept or
    generated), and its response gets the header."""
    seen, app = recording_app()
    wrapped = make_app(app, directory=site, request_id_header="X-Request-ID")
    headers = [] if incoming is None else [(b"x-request-id", incoming)]
    response = call(wrapped, "POST", "/api/things", headers)
    assert response.status == 299
    sent = response.header("x-request-id")
    assert sent is not None and seen == [sent.encode()]
    if incoming == b"abc-123":
        assert sent == "abc-123"
    else:
        assert HEX_ID.fullmatch(sent)


def test_app_sees_the_id_under_a_prefix(make_app: MakeApp, site: Path) -> None:
    """Also for a path outside the prefix, which is handed to the app at once."""
    seen, app = recording_app()
    wrapped = make_app(app, directory=site, prefix="/static/", request_id_header="X-Request-ID")
    response = call(wrapped, path="/api", headers=[(b"x-request-id", b"abc-123")])
    assert (response.status, response.header("x-request-id"), seen) == (
        299,
        "abc-123",
        [b"abc-123"],
    )


def test_app_keeps_its_own_id(make_app: MakeApp, site: Path) -> None:
    """A response of the wrapped app that sets the header keeps its own value (and only
    one)."""
    seen, app = recording_app(own_id=b"app-own")
    wrapped = make_app(app, directory=site, request_id_header="X-Request-ID")
    response = call(wrapped, path="/api", headers=[(b"x-request-id", b"abc-123")])
    assert (response.status, response.header("x-request-id"), seen) == (
        299,
        "app-own",
        [b"abc-123"],
    )


def test_file_response_as_middleware(make_app: MakeApp, site: Path) -> None:
    """As middleware, ferrostatic's own responses carry the id too."""
    seen, app = recording_app()
    wrapped = make_app(app, directory=site, request_id_header="X-Request-ID")
    response = call(wrapped, path="/docs/guide.txt", headers=[(b"x-request-id", b"abc-123")])
    assert (response.status, response.header("x-request-id"), seen) == (200, "abc-123", [])


def test_preflight_carries_the_id(make_app: MakeApp, site: Path) -> None:
    """A preflight answered here carries the id."""
    app = make_app(directory=site, request_id_header="X-Request-ID", cors_allow_origins=["*"])
    headers = [(b"origin", b"https://a.example"), (b"access-control-request-method", b"GET")]
    response = call(app, "OPTIONS", "/index.html", headers)
    assert response.status == 204
    assert HEX_ID.fullmatch(response.header("x-request-id") or "")


def test_no_id_by_default(make_app: MakeApp, site: Path) -> None:
    """Without the option no id is added."""
    assert call(make_app(directory=site), path="/index.html").header("x-request-id") is None


@pytest.mark.parametrize("value", ["X Request ID", "", "X-Request-ID\r\n", "Ünïcode", 5])
def test_bad_header_name(site: Path, value: Any) -> None:
    """The option must be a header name (a token, RFC 9110 §5.1)."""
    with pytest.raises(ConfigError, match=r"^request_id_header: "):
        Ferrostatic(directory=site, request_id_header=value)


def test_header_name_from_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FERROSTATIC_REQUEST_ID_HEADER`` sets the option."""
    monkeypatch.setenv("FERROSTATIC_REQUEST_ID_HEADER", "X-Trace")
    response = call(make_app(directory=site), path="/index.html", headers=[(b"x-trace", b"t-1")])
    assert response.header("x-trace") == "t-1"
