"""Several roots: ``directories=``, ``add_directory``, ``add_files`` and their removal.

The lookup order is fixed: single files, then directories (longest prefix first), then the main
directory, then the wrapped app (or 404 standalone); a miss under one prefix falls through to
the next candidate. A directory mount follows the same rules as the main directory.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ferrostatic import ConfigError, Ferrostatic, FerrostaticWSGI

from .conftest import fetch, write_tree

MakeApp = Callable[..., Ferrostatic | FerrostaticWSGI]
Headers = list[tuple[bytes, bytes]]

APP_BODY = b"from the app"


class Roots(NamedTuple):
    """The folders of one test: the main directory, two to mount, single files, a secret."""

    main: Path
    media: Path
    thumbs: Path
    extra: Path
    secret: Path


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    """Folders whose files overlap on purpose, so the body tells which root answered."""
    main = write_tree(
        tmp_path / "main",
        {
            "index.html": "<p>home</p>",
            "mediafile.txt": "main mediafile",
            "media/a.txt": "main a (shadowed)",
            "media/only-main.txt": "main only-main",
        },
    )
    media = write_tree(
        tmp_path / "media",
        {
            "index.html": "<p>media</p>",
            "a.txt": "media a",
            "digits.txt": "0123456789",
            "thumbs/t.txt": "media thumbs t (shadowed)",
            "thumbs/only-media.txt": "media thumbs only",
            "sub/index.html": "<p>sub</p>",
            "app.js": "console.log('media');\n" * 50,
            ".secret": "hidden",
            ".git/config": "[core]",
        },
    )
    # Compressed siblings must not be older than their source.
    (media / "app.js.br").write_bytes(b"BR" * 10)
    (media / "app.js.gz").write_bytes(b"GZ" * 20)
    thumbs = write_tree(tmp_path / "thumbs", {"t.txt": "thumbs t"})
    extra = write_tree(
        tmp_path / "extra", {"robots.txt": "User-agent: *\n", "humans.txt": "we are here"}
    )
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET")
    return Roots(main, media, thumbs, extra, secret)


def answer(app: Any, path: str, method: str = "GET") -> tuple[int, bytes]:
    """Status and body of a request (Content-Length checked)."""
    response = fetch(app, method, path)
    return response.status, response.body


class Inner:
    """An ASGI app that records the paths reaching it and answers 200 ``APP_BODY``."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Record the path and answer."""
        self.paths.append(scope["path"])
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(APP_BODY))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": APP_BODY})


# --- Serving from several roots ---------------------------------------------------------------


def test_directories_are_served_under_their_prefix(make_app: MakeApp, roots: Roots) -> None:
    """A mounted folder answers under its prefix; the main directory keeps the rest."""
    app = make_app(directory=roots.main, directories={"/media/": roots.media})
    assert answer(app, "/media/a.txt") == (200, b"media a")
    assert answer(app, "/index.html") == (200, b"<p>home</p>")
    assert fetch(app, path="/media/a.txt").header("content-type") == "text/plain; charset=utf-8"


def test_directory_may_be_omitted(make_app: MakeApp, roots: Roots) -> None:
    """With ``directories`` only, nothing else is served: a miss is 404 (RFC 9110 §15.5.5)."""
    app = make_app(directories={"/media/": roots.media})
    assert answer(app, "/media/a.txt") == (200, b"media a")
    assert fetch(app, path="/index.html").status == 404
    assert fetch(app, path="/").status == 404


def test_prefixes_match_on_segment_boundaries(make_app: MakeApp, roots: Roots) -> None:
    """``/media/`` never serves ``/mediafile.txt``: that URL is the main directory's."""
    app = make_app(directory=roots.main, directories={"/media": roots.media})
    assert answer(app, "/mediafile.txt") == (200, b"main mediafile")
    assert fetch(app, path="/mediaa.txt").status == 404
    assert fetch(app, path="/media-x/a.txt").status == 404


def test_segment_boundaries_as_middleware(make_app: MakeApp, roots: Roots) -> None:
    """As middleware a URL that only shares the prefix's letters is the app's."""
    inner = Inner()
    app = make_app(inner, directories={"/media/": roots.media})
    assert answer(app, "/mediaa.txt") == (200, APP_BODY)
    assert answer(app, "/media/a.txt") == (200, b"media a")
    assert inner.paths == ["/mediaa.txt"]


def test_standalone_miss_outside_every_prefix(make_app: MakeApp, roots: Roots) -> None:
    """A standalone app answers 404 for a URL under no prefix at all, main prefix included
    (RFC 9110 §15.5.5); HEAD gets the same status without a body (§9.3.2)."""
    app = make_app(directory=roots.main, prefix="/static/", directories={"/media/": roots.media})
    assert fetch(app, path="/other").status == 404
    assert fetch(app, path="/mediafile.txt").status == 404
    head = fetch(app, "HEAD", "/other")
    assert (head.status, head.body) == (404, b"")
    assert answer(app, "/static/index.html") == (200, b"<p>home</p>")
    assert answer(app, "/media/a.txt") == (200, b"media a")


def test_longest_prefix_wins(make_app: MakeApp, roots: Roots) -> None:
    """``/media/thumbs/`` answers its own paths before ``/media/``, whatever the order given."""
    for directories in (
        {"/media/": roots.media, "/media/thumbs/": roots.thumbs},
        {"/media/thumbs/": roots.thumbs, "/media/": roots.media},
    ):
        app = make_app(directory=roots.main, directories=directories)
        assert answer(app, "/media/thumbs/t.txt") == (200, b"thumbs t")
        assert answer(app, "/media/a.txt") == (200, b"media a")


def test_longest_prefix_wins_when_added_at_run_time(make_app: MakeApp, roots: Roots) -> None:
    """The order does not depend on when a directory was added."""
    app = make_app(directory=roots.main)
    app.add_directory("/media/thumbs/", roots.thumbs)
    app.add_directory("/media/", roots.media)
    assert answer(app, "/media/thumbs/t.txt") == (200, b"thumbs t")
    app.remove_directory("/media/thumbs/")
    assert answer(app, "/media/thumbs/t.txt") == (200, b"media thumbs t (shadowed)")


def test_a_miss_falls_through_to_the_next_root(make_app: MakeApp, roots: Roots) -> None:
    """A file missing in the longer prefix's folder is looked up in the shorter one, then in
    the main directory."""
    app = make_app(
        directory=roots.main, directories={"/media/": roots.media, "/media/thumbs/": roots.thumbs}
    )
    assert answer(app, "/media/thumbs/only-media.txt") == (200, b"media thumbs only")
    assert answer(app, "/media/only-main.txt") == (200, b"main only-main")
    assert answer(app, "/media/a.txt") == (200, b"media a")
    assert fetch(app, path="/media/nowhere.txt").status == 404


def test_a_miss_everywhere_goes_to_the_app(make_app: MakeApp, roots: Roots) -> None:
    """As middleware, the app gets what no root has, under a prefix or not."""
    inner = Inner()
    app = make_app(inner, directory=roots.main, directories={"/media/": roots.media})
    assert answer(app, "/media/nowhere.txt") == (200, APP_BODY)
    assert answer(app, "/api/users") == (200, APP_BODY)
    assert answer(app, "/media/only-main.txt") == (200, b"main only-main")
    assert inner.paths == ["/media/nowhere.txt", "/api/users"]


def test_single_files_come_first(make_app: MakeApp, roots: Roots) -> None:
    """``add_files`` wins over a directory and the main directory for its URLs."""
    app = make_app(directory=roots.main, directories={"/media/": roots.media})
    app.add_files(
        {
            "/robots.txt": roots.extra / "robots.txt",
            "/media/a.txt": str(roots.extra / "humans.txt"),
            "/index.html": roots.extra / "humans.txt",
        }
    )
    assert answer(app, "/robots.txt") == (200, b"User-agent: *\n")
    assert answer(app, "/media/a.txt") == (200, b"we are here")
    assert answer(app, "/index.html") == (200, b"we are here")
    assert answer(app, "/") == (200, b"<p>home</p>")  # the main directory's own URL for it
    assert fetch(app, path="/robots.txt").header("content-type") == "text/plain; charset=utf-8"


def test_add_files_adds_to_the_files_already_added(make_app: MakeApp, roots: Roots) -> None:
    """A second ``add_files`` keeps the first one's URLs; a URL given again is replaced."""
    app = make_app(directory=roots.main)
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    app.add_files({"/humans.txt": roots.extra / "humans.txt"})
    assert answer(app, "/robots.txt") == (200, b"User-agent: *\n")
    assert answer(app, "/humans.txt") == (200, b"we are here")
    app.add_files({"/robots.txt": roots.extra / "humans.txt"})
    assert answer(app, "/robots.txt") == (200, b"we are here")


def test_remove_files(make_app: MakeApp, roots: Roots) -> None:
    """Removed URLs miss again; a URL given as a string is one URL; the others stay."""
    app = make_app(directory=roots.main)
    app.add_files(
        {"/robots.txt": roots.extra / "robots.txt", "/humans.txt": roots.extra / "humans.txt"}
    )
    app.remove_files(["/robots.txt"])
    assert fetch(app, path="/robots.txt").status == 404
    assert answer(app, "/humans.txt") == (200, b"we are here")
    app.remove_files("/humans.txt")
    assert fetch(app, path="/humans.txt").status == 404
    assert answer(app, "/index.html") == (200, b"<p>home</p>")


def test_remove_files_with_an_unknown_url_removes_nothing(make_app: MakeApp, roots: Roots) -> None:
    """The call is checked as a whole before anything changes."""
    app = make_app(directory=roots.main)
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    with pytest.raises(ConfigError, match=r"^remove_files: .*'/nope'"):
        app.remove_files(["/robots.txt", "/nope"])
    assert answer(app, "/robots.txt") == (200, b"User-agent: *\n")


def test_add_and_remove_directory(make_app: MakeApp, roots: Roots) -> None:
    """``add_directory`` serves at once; ``remove_directory`` (with or without the final
    ``/``) stops; a directory given at construction can be removed too."""
    app = make_app(directory=roots.main, directories={"/media/thumbs/": roots.thumbs})
    assert fetch(app, path="/media/digits.txt").status == 404
    app.add_directory("/media", roots.media)
    assert answer(app, "/media/digits.txt") == (200, b"0123456789")
    app.remove_directory("/media")
    assert fetch(app, path="/media/digits.txt").status == 404
    assert answer(app, "/media/a.txt") == (200, b"main a (shadowed)")
    app.remove_directory("/media/thumbs/")
    assert fetch(app, path="/media/thumbs/t.txt").status == 404


def test_add_directory_as_middleware(make_app: MakeApp, roots: Roots) -> None:
    """Middleware with a prefixed main directory: an added root answers outside that prefix,
    and after its removal the app gets those URLs again."""
    inner = Inner()
    app = make_app(inner, directory=roots.main, prefix="/static/")
    assert answer(app, "/media/a.txt") == (200, APP_BODY)
    app.add_directory("/media/", roots.media)
    assert answer(app, "/media/a.txt") == (200, b"media a")
    app.remove_directory("/media/")
    assert answer(app, "/media/a.txt") == (200, APP_BODY)
    assert answer(app, "/static/index.html") == (200, b"<p>home</p>")
    assert inner.paths == ["/media/a.txt", "/media/a.txt"]


def test_health_check_beside_mounts(make_app: MakeApp, roots: Roots) -> None:
    """``health_check_path`` outside the main prefix keeps answering once other roots are
    mounted, standalone and as middleware."""
    for inner in (None, Inner()):
        app = make_app(
            inner,
            directory=roots.main,
            prefix="/static/",
            health_check_path="/healthz",
            directories={"/media/": roots.media},
        )
        assert answer(app, "/healthz") == (200, b"OK")
        assert answer(app, "/media/a.txt") == (200, b"media a")
        assert answer(app, "/static/index.html") == (200, b"<p>home</p>")


def test_mounts_below_a_mount_point(make_app: MakeApp, roots: Roots) -> None:
    """Behind ``root_path`` (ASGI) or ``SCRIPT_NAME`` (WSGI) the prefixes are matched on the
    path below it; the redirect is relative, so it stays below it too."""
    app = make_app(directory=roots.main, directories={"/media/": roots.media})
    assert answer_below(app, "/site/media/a.txt") == (200, b"media a")
    assert answer_below(app, "/site/mediafile.txt") == (200, b"main mediafile")
    redirect = fetch(app, path="/site/media", root_path="/site")
    assert (redirect.status, redirect.header("location")) == (301, "./media/")


def answer_below(app: Any, path: str) -> tuple[int, bytes]:
    """Status and body of a GET below the mount point ``/site``."""
    response = fetch(app, path=path, root_path="/site")
    return response.status, response.body


# --- Methods ----------------------------------------------------------------------------------


def test_post_to_an_added_file_is_405(make_app: MakeApp, roots: Roots) -> None:
    """Standalone, a method other than GET/HEAD on a file of any root is 405 with ``Allow``
    (RFC 9110 §15.5.6); on a path no root has, 404 (§15.5.5)."""
    app = make_app(directory=roots.main)
    app.add_directory("/media/", roots.media)
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    for path in ("/media/a.txt", "/robots.txt", "/index.html", "/media"):
        response = fetch(app, "POST", path)
        assert (response.status, response.header("allow")) == (405, "GET, HEAD"), path
    missing = fetch(app, "POST", "/media/nowhere.txt")
    assert (missing.status, missing.header("allow")) == (404, None)
    assert fetch(app, "DELETE", "/nowhere").status == 404


def test_post_with_only_directories(make_app: MakeApp, roots: Roots) -> None:
    """Without a main directory the same: 405 for a file, 404 for a miss."""
    app = make_app(directories={"/media/": roots.media})
    assert fetch(app, "PUT", "/media/a.txt").status == 405
    assert fetch(app, "PUT", "/a.txt").status == 404


def test_post_as_middleware_goes_to_the_app(make_app: MakeApp, roots: Roots) -> None:
    """As middleware the app handles every other method, even on a mounted file."""
    inner = Inner()
    app = make_app(inner, directory=roots.main, directories={"/media/": roots.media})
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    assert answer(app, "/media/a.txt", "POST") == (200, APP_BODY)
    assert answer(app, "/robots.txt", "POST") == (200, APP_BODY)
    assert inner.paths == ["/media/a.txt", "/robots.txt"]


# --- A mounted directory follows the main directory's rules ------------------------------------


def test_directory_redirect_and_index_files(make_app: MakeApp, roots: Roots) -> None:
    """``/media`` redirects to ``./media/`` (RFC 9110 §15.4.2), which serves the index file;
    so do the folders inside; a folder without an index file has no redirect."""
    app = make_app(directory=roots.main, directories={"/media/": roots.media, "/t/": roots.thumbs})
    redirect = fetch(app, path="/media", query=b"a=1")
    assert (redirect.status, redirect.header("location")) == (301, "./media/?a=1")
    assert answer(app, "/media/") == (200, b"<p>media</p>")
    assert answer(app, "/media/index.html") == (200, b"<p>media</p>")
    sub = fetch(app, path="/media/sub")
    assert (sub.status, sub.header("location")) == (301, "./sub/")
    assert answer(app, "/media/sub/") == (200, b"<p>sub</p>")
    assert fetch(app, path="/t").status == 404
    assert fetch(app, path="/t/").status == 404
    assert answer(app, "/t/t.txt") == (200, b"thumbs t")


def test_directory_conditional_requests(make_app: MakeApp, roots: Roots) -> None:
    """If-None-Match with the current ETag is 304 without a body (RFC 9110 §13.1.2,
    §15.4.5); a stale one gets the file."""
    app = make_app(directories={"/media/": roots.media})
    first = fetch(app, path="/media/a.txt")
    etag = first.header("etag")
    assert etag is not None and first.header("last-modified") is not None
    again = fetch(app, path="/media/a.txt", headers=[(b"if-none-match", etag.encode())])
    assert (again.status, again.body, again.header("etag")) == (304, b"", etag)
    stale = fetch(app, path="/media/a.txt", headers=[(b"if-none-match", b'"other"')])
    assert (stale.status, stale.body) == (200, b"media a")
    failed = fetch(app, path="/media/a.txt", headers=[(b"if-match", b'"other"')])
    assert failed.status == 412


def test_directory_ranges(make_app: MakeApp, roots: Roots) -> None:
    """A single range is 206 with Content-Range (RFC 9110 §14.2, §15.3.7); an unsatisfiable
    one is 416 naming the length (§15.5.17)."""
    app = make_app(directories={"/media/": roots.media}, max_memory_file_size=0)
    part = fetch(app, path="/media/digits.txt", headers=[(b"range", b"bytes=2-4")])
    assert (part.status, part.body, part.header("content-range")) == (206, b"234", "bytes 2-4/10")
    past = fetch(app, path="/media/digits.txt", headers=[(b"range", b"bytes=50-")])
    assert (past.status, past.header("content-range")) == (416, "bytes */10")


def test_directory_precompressed_siblings(make_app: MakeApp, roots: Roots) -> None:
    """``app.js.br``/``.gz`` are served for ``app.js`` to clients that accept them
    (RFC 9110 §12.5.3), with ``Vary: Accept-Encoding`` (§12.5.5)."""
    app = make_app(directories={"/media/": roots.media})
    br = fetch(app, path="/media/app.js", headers=[(b"accept-encoding", b"gzip, br")])
    assert (br.status, br.body, br.header("content-encoding")) == (200, b"BR" * 10, "br")
    assert br.header("vary") == "accept-encoding"
    gz = fetch(app, path="/media/app.js", headers=[(b"accept-encoding", b"gzip")])
    assert (gz.body, gz.header("content-encoding")) == (b"GZ" * 20, "gzip")
    plain = fetch(app, path="/media/app.js")
    assert (plain.body, plain.header("content-encoding")) == (b"console.log('media');\n" * 50, None)
    assert fetch(app, path="/media/app.js.br").status == 404


def test_directory_hidden_files_are_refused(make_app: MakeApp, roots: Roots) -> None:
    """Dot files of a mounted folder are not served (unless ``allow_hidden``)."""
    app = make_app(directories={"/media/": roots.media})
    assert fetch(app, path="/media/.secret").status == 404
    assert fetch(app, path="/media/.git/config").status == 404
    allowed = make_app(directories={"/media/": roots.media}, allow_hidden=True)
    assert answer(allowed, "/media/.secret") == (200, b"hidden")


def test_directory_symlinks_leaving_the_folder_are_refused(make_app: MakeApp, roots: Roots) -> None:
    """A link to a file outside the mounted folder is not served, even though that file is
    in the main directory; a link inside the folder is."""
    (roots.media / "leak.txt").symlink_to(roots.secret)
    (roots.media / "home.html").symlink_to(roots.main / "index.html")
    (roots.media / "alias.txt").symlink_to(roots.media / "a.txt")
    app = make_app(directory=roots.main, directories={"/media/": roots.media})
    assert fetch(app, path="/media/leak.txt").status == 404
    assert fetch(app, path="/media/home.html").status == 404
    assert answer(app, "/media/alias.txt") == (200, b"media a")


def test_head_on_a_mounted_file(make_app: MakeApp, roots: Roots) -> None:
    """HEAD has GET's headers and no body (RFC 9110 §9.3.2)."""
    app = make_app(directories={"/media/": roots.media}, max_memory_file_size=0)
    head = fetch(app, "HEAD", "/media/digits.txt")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", "10")


# --- Files that change after they were added ---------------------------------------------------


def _rewrite(path: Path, content: bytes) -> None:
    """Replace a file's content, with an mtime that surely differs from the old one."""
    before = path.stat().st_mtime_ns
    path.write_bytes(content)
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_added_file_changed_on_disk(make_app: MakeApp, roots: Roots) -> None:
    """A file given to ``add_files`` and rewritten afterwards is served as it is now: body,
    Content-Length and ETag all describe the new content."""
    app = make_app(directory=roots.main)
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    old = fetch(app, path="/robots.txt")
    content = b"User-agent: *\nDisallow: /private/\n"
    _rewrite(roots.extra / "robots.txt", content)
    for _ in range(2):  # the fresh description is kept: the second request uses it
        new = fetch(app, path="/robots.txt")
        assert (new.status, new.body) == (200, content)
        assert new.header("etag") != old.header("etag")
    head = fetch(app, "HEAD", "/robots.txt")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", str(len(content)))


def test_added_file_changed_twice(make_app: MakeApp, roots: Roots) -> None:
    """A second change after the first refresh is seen as well."""
    app = make_app(directory=roots.main)
    app.add_files({"/humans.txt": roots.extra / "humans.txt"})
    _rewrite(roots.extra / "humans.txt", b"v2 with more bytes")
    assert answer(app, "/humans.txt") == (200, b"v2 with more bytes")
    _rewrite(roots.extra / "humans.txt", b"v3")
    assert answer(app, "/humans.txt") == (200, b"v3")


def test_added_file_deleted(make_app: MakeApp, roots: Roots) -> None:
    """A file given to ``add_files`` and then deleted is a miss (404 standalone)."""
    app = make_app(directory=roots.main)
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    (roots.extra / "robots.txt").unlink()
    assert fetch(app, path="/robots.txt").status == 404


def test_file_in_mounted_directory_changed_on_disk(make_app: MakeApp, roots: Roots) -> None:
    """A mounted folder's file read from disk per request is described again when it changed,
    like a file of the main directory."""
    app = make_app(directories={"/media/": roots.media}, max_memory_file_size=0)
    assert answer(app, "/media/a.txt") == (200, b"media a")
    _rewrite(roots.media / "a.txt", b"media a, edited")
    assert answer(app, "/media/a.txt") == (200, b"media a, edited")


# --- Several threads ---------------------------------------------------------------------------


@pytest.mark.parametrize("middleware", [False, True], ids=["standalone", "middleware"])
def test_requests_while_roots_change(make_app: MakeApp, roots: Roots, middleware: bool) -> None:
    """Requests racing ``add_directory``/``remove_directory`` (and ``add_files``/
    ``remove_files``) get the old answer or the new one, never an exception."""
    app = make_app(Inner() if middleware else None, directory=roots.main)
    miss = (200, APP_BODY) if middleware else (404, b"404 Not Found\n")
    expected = {
        "/media/digits.txt": {(200, b"0123456789"), miss},
        "/media/a.txt": {(200, b"media a"), (200, b"main a (shadowed)")},
        "/robots.txt": {(200, b"User-agent: *\n"), miss},
        "/index.html": {(200, b"<p>home</p>")},
    }
    errors: list[BaseException] = []
    stop = threading.Event()
    seen: set[tuple[str, int, bytes]] = set()

    def change() -> None:
        try:
            while not stop.is_set():
                app.add_directory("/media/", roots.media)
                app.add_files({"/robots.txt": roots.extra / "robots.txt"})
                app.remove_directory("/media/")
                app.remove_files(["/robots.txt"])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def request() -> None:
        try:
            while not stop.is_set():
                for path, answers in expected.items():
                    got = answer(app, path)
                    assert got in answers, (path, got)
                    seen.add((path, *got))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=change), *(threading.Thread(target=request) for _ in "abc")]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors[0]
    assert not any(thread.is_alive() for thread in threads)
    assert seen  # the requests ran


# --- Configuration errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("directories", "message"),
    [
        ({"media/": "media"}, r"^directories: 'media/': .*starting with '/'"),
        ({"/media/": "missing"}, r"^directories: '/media/': .*does not exist"),
        ({"/media": "media", "/media/": "thumbs"}, r"^directories: the prefix '/media/' is given"),
        ({"/media/": 5}, r"^directories: "),
        (["/media/"], r"^directories: expected a dict"),
    ],
)
def test_bad_directories(make_app: MakeApp, roots: Roots, directories: Any, message: str) -> None:
    """``directories`` is checked at construction; the error names the option."""
    if isinstance(directories, dict):
        directories = {
            prefix: roots.media.parent / folder if isinstance(folder, str) else folder
            for prefix, folder in directories.items()
        }
    with pytest.raises(ConfigError, match=message):
        make_app(directory=roots.main, directories=directories)


def test_directory_required_without_directories(make_app: MakeApp) -> None:
    """Neither ``directory`` nor ``directories``: the error names ``directory``."""
    with pytest.raises(ConfigError, match=r"^directory: required"):
        make_app()


@pytest.mark.parametrize(
    ("prefix", "folder", "message"),
    [
        ("media/", "media", r"^add_directory: .*starting with '/'"),
        ("/a/../b/", "media", r"^add_directory: .*'\.' or '\.\.'"),
        ("/media/", "missing", r"^add_directory: .*does not exist"),
        ("/media/", "extra/robots.txt", r"^add_directory: .*is not a directory"),
        (5, "media", r"^add_directory: "),
    ],
)
def test_bad_add_directory(
    make_app: MakeApp, roots: Roots, prefix: Any, folder: str, message: str
) -> None:
    """``add_directory`` checks its arguments like ``directories`` and changes nothing."""
    app = make_app(directory=roots.main)
    with pytest.raises(ConfigError, match=message):
        app.add_directory(prefix, roots.media.parent / folder)
    assert answer(app, "/media/a.txt") == (200, b"main a (shadowed)")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"/robots.txt": "extra"}, r"^add_files: '/robots.txt' maps to .*not a file"),
        ({"/robots.txt": "extra/missing.txt"}, r"^add_files: '/robots.txt' maps to .*not a file"),
        ({"robots.txt": "extra/robots.txt"}, r"^add_files: 'robots.txt' is not a URL path"),
        ({"/robots.txt": 5}, r"^add_files: '/robots.txt' maps to 5"),
        (["/robots.txt"], r"^add_files: expected a dict"),
    ],
)
def test_bad_add_files(make_app: MakeApp, roots: Roots, files: Any, message: str) -> None:
    """``add_files`` takes only existing files under URL paths, and changes nothing else."""
    app = make_app(directory=roots.main)
    if isinstance(files, dict):
        files = {
            url: roots.media.parent / path if isinstance(path, str) else path
            for url, path in files.items()
        }
    with pytest.raises(ConfigError, match=message):
        app.add_files(files)
    assert fetch(app, path="/robots.txt").status == 404


def test_remove_unknown_roots(make_app: MakeApp, roots: Roots) -> None:
    """Removing what was never added names the method and the prefix or URL."""
    app = make_app(directory=roots.main, directories={"/media/": roots.media})
    with pytest.raises(ConfigError, match=r"^remove_directory: .*'/never/'"):
        app.remove_directory("/never/")
    with pytest.raises(ConfigError, match=r"^remove_files: .*'/robots.txt'"):
        app.remove_files(["/robots.txt"])
    app.remove_directory("/media/")
    with pytest.raises(ConfigError, match=r"^remove_directory: "):
        app.remove_directory("/media/")


def test_remove_files_with_a_url_twice(make_app: MakeApp, roots: Roots) -> None:
    """Listing a URL twice removes it once, like a set of URLs."""
    app = make_app(directory=roots.main)
    app.add_files({"/robots.txt": roots.extra / "robots.txt"})
    app.remove_files(["/robots.txt", "/robots.txt"])
    assert fetch(app, path="/robots.txt").status == 404


def test_remove_directory_with_a_prefix_that_is_not_a_string(
    make_app: MakeApp, roots: Roots
) -> None:
    """A prefix of the wrong type is a ConfigError naming the method."""
    app = make_app(directory=roots.main)
    prefix: Any = 5
    with pytest.raises(ConfigError, match=r"^remove_directory: "):
        app.remove_directory(prefix)


def test_autorefresh_forgets_a_removed_directory(make_app: MakeApp, roots: Roots) -> None:
    """With ``autorefresh`` a file created in an added directory is found on disk; once the
    directory is removed it is a miss again, like the files indexed with it."""
    app = make_app(directory=roots.main, autorefresh=True)
    app.add_directory("/media/", roots.media)
    (roots.media / "new.txt").write_bytes(b"created later")
    assert answer(app, "/media/new.txt") == (200, b"created later")
    app.remove_directory("/media/")
    assert fetch(app, path="/media/digits.txt").status == 404
    assert fetch(app, path="/media/new.txt").status == 404


# --- Environment ------------------------------------------------------------------------------


def test_directories_from_the_environment(
    make_app: MakeApp, roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FERROSTATIC_DIRECTORIES`` is a JSON object of prefix → folder."""
    monkeypatch.setenv("FERROSTATIC_DIRECTORIES", f'{{"/media/": "{roots.media}"}}')
    app = make_app(directory=roots.main)
    assert answer(app, "/media/a.txt") == (200, b"media a")
    assert answer(app, "/index.html") == (200, b"<p>home</p>")


def test_bad_directories_from_the_environment(
    make_app: MakeApp, roots: Roots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong value names the variable."""
    monkeypatch.setenv("FERROSTATIC_DIRECTORIES", '{"media/": "nowhere"}')
    with pytest.raises(ConfigError, match=r"^FERROSTATIC_DIRECTORIES: directories: "):
        make_app(directory=roots.main)
