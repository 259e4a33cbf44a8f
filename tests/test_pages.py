"""Pages ferrostatic answers in place of a miss or an error: ``spa_fallback``,
``not_found_file`` and ``error_responses``.

A navigation request (GET/HEAD, no file extension, ``Accept`` listing HTML) that misses gets the
single-page app's page; a request for an asset that misses stays a 404. The error options only
replace the bodies of responses ferrostatic produces itself, keeping their other headers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic, FerrostaticWSGI

from .conftest import Response, fetch, write_tree

MakeApp = Callable[..., Ferrostatic | FerrostaticWSGI]
Headers = list[tuple[bytes, bytes]]

PAGE = b"<!doctype html><title>spa</title><div id=root></div>"
NOT_FOUND_PAGE = b"<!doctype html><title>lost</title><p>Nothing here.</p>"
BROWSER = b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NAVIGATION: Headers = [(b"accept", BROWSER)]
APP_404 = b"the app has no such route"
APP_ME = b'{"me": "ada"}'


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A built single-page app, with a few real files and the error pages."""
    return write_tree(
        tmp_path / "site",
        {
            "index.html": PAGE,
            "about.txt": "about us",
            "docs/index.html": "<p>docs</p>",
            "assets/real.js": "console.log(1);\n",
            "404.html": NOT_FOUND_PAGE,
            "404.txt": "not found, in plain text",
            "405.html": "<p>GET or HEAD, please</p>",
            "412.html": "<p>precondition failed</p>",
            "416.txt": "that range is not in the file",
        },
    )


def navigate(app: Any, path: str, method: str = "GET", headers: Headers | None = None) -> Response:
    """A request as a browser following a link makes it."""
    return fetch(app, method, path, [*NAVIGATION, *(headers or [])])


def is_page(response: Response, *, head: bool = False) -> bool:
    """Whether the response is the SPA page, 200, never cached without revalidation."""
    return (
        response.status == 200
        and response.body == (b"" if head else PAGE)
        and response.header("content-length") == str(len(PAGE))
        and response.header("content-type") == "text/html; charset=utf-8"
        and response.header("cache-control") == "no-cache"
    )


class Inner:
    """An ASGI app with one route, ``/api/me``; anything else is its own 404."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Record the request and answer it."""
        self.requests.append((scope["method"], scope["path"]))
        if scope["path"] == "/api/me":
            status, body, kind = 200, APP_ME, b"application/json"
        else:
            status, body, kind = 404, APP_404, b"text/plain"
        headers = [
            (b"content-type", kind),
            (b"content-length", b"%d" % len(body)),
            (b"x-from", b"app"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.body", "body": body})


def is_app_404(response: Response) -> bool:
    """Whether the response is the app's own 404, untouched."""
    return (
        response.status == 404
        and response.body == APP_404
        and response.header("x-from") == "app"
        and response.header("content-type") == "text/plain"
    )


def _rewrite(path: Path, content: bytes) -> None:
    """Replace a file's content, with an mtime that surely differs from the old one."""
    before = path.stat().st_mtime_ns
    path.write_bytes(content)
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


# --- spa_fallback, standalone -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/settings", "/settings/profile", "/users/42/", "/a/b/c"])
def test_navigation_miss_gets_the_page(make_app: MakeApp, site: Path, path: str) -> None:
    """A client-side route is answered 200 with the page (RFC 9110 §15.3.1), revalidated on
    every use (``no-cache``, RFC 9111 §5.2.2.4)."""
    app = make_app(directory=site, spa_fallback="index.html")
    assert is_page(navigate(app, path))


def test_head_navigation_gets_the_page_headers(make_app: MakeApp, site: Path) -> None:
    """HEAD gets the headers GET would, without a body (RFC 9110 §9.3.2)."""
    app = make_app(directory=site, spa_fallback="index.html")
    head = navigate(app, "/settings/profile", "HEAD")
    get = navigate(app, "/settings/profile")
    assert is_page(head, head=True)
    assert head.header("etag") == get.header("etag")


@pytest.mark.parametrize(
    "accept",
    [
        BROWSER,
        b"text/html",
        b"application/xhtml+xml",
        b"TEXT/HTML; q=0.5",
        b"application/json, text/html;q=0.1",
        b"text/html;level=1;q=1.0",
    ],
)
def test_accept_listing_html_is_a_navigation(make_app: MakeApp, site: Path, accept: bytes) -> None:
    """``Accept`` naming an HTML type with a weight above 0 (RFC 9110 §12.5.1)."""
    app = make_app(directory=site, spa_fallback="index.html")
    assert is_page(fetch(app, path="/settings", headers=[(b"accept", accept)]))


@pytest.mark.parametrize(
    "accept",
    [
        None,
        b"*/*",
        b"application/json",
        b"text/html;q=0",
        b"text/html; q=0.000, */*",
        b"text/*",
        b"text/htmlx",
        b"",
    ],
)
def test_accept_without_html_is_not_a_navigation(
    make_app: MakeApp, site: Path, accept: bytes | None
) -> None:
    """``fetch()``'s default ``*/*``, an API client's JSON, or HTML refused with ``q=0``
    (RFC 9110 §12.4.2): a plain 404 (§15.5.5)."""
    app = make_app(directory=site, spa_fallback="index.html")
    response = fetch(app, path="/settings", headers=[] if accept is None else [(b"accept", accept)])
    assert (response.status, response.body) == (404, b"404 Not Found\n")


@pytest.mark.parametrize("path", ["/assets/app.js", "/missing.png", "/v1.2", "/docs/old.html"])
def test_asset_miss_stays_404(make_app: MakeApp, site: Path, path: str) -> None:
    """A last segment with an extension is an asset: a broken deploy shows as a 404
    (RFC 9110 §15.5.5), not as a page of HTML."""
    app = make_app(directory=site, spa_fallback="index.html")
    response = navigate(app, path)
    assert (response.status, response.body) == (404, b"404 Not Found\n")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_get_no_page(make_app: MakeApp, site: Path, method: str) -> None:
    """Only GET and HEAD navigate; a POST to a client route is a miss (RFC 9110 §15.5.5), to
    a file a 405 (§15.5.6)."""
    app = make_app(directory=site, spa_fallback="index.html")
    miss = navigate(app, "/settings", method)
    assert (miss.status, miss.body) == (404, b"404 Not Found\n")
    assert navigate(app, "/about.txt", method).status == 405


def test_existing_files_are_served_as_themselves(make_app: MakeApp, site: Path) -> None:
    """A file that exists is never replaced by the page, for a navigation or not."""
    app = make_app(directory=site, spa_fallback="index.html")
    about = navigate(app, "/about.txt")
    assert (about.status, about.body, about.header("cache-control")) == (
        200,
        b"about us",
        "public, max-age=60",
    )
    assert navigate(app, "/docs/").body == b"<p>docs</p>"
    docs = navigate(app, "/docs")
    assert (docs.status, docs.header("location")) == (301, "./docs/")
    assert navigate(app, "/assets/real.js").body == b"console.log(1);\n"
    assert is_page(navigate(app, "/"))  # the page's own URL


def test_page_conditional_request(make_app: MakeApp, site: Path) -> None:
    """The page has the ETag of ``index.html``; If-None-Match with it is 304 without a body
    (RFC 9110 §13.1.2, §15.4.5)."""
    app = make_app(directory=site, spa_fallback="index.html")
    etag = fetch(app, path="/index.html").header("etag")
    assert etag is not None and navigate(app, "/settings").header("etag") == etag
    revalidated = navigate(app, "/settings", headers=[(b"if-none-match", etag.encode())])
    assert (revalidated.status, revalidated.body, revalidated.header("etag")) == (304, b"", etag)
    assert revalidated.header("cache-control") == "no-cache"
    stale = navigate(app, "/settings", headers=[(b"if-none-match", b'"old"')])
    assert is_page(stale)


def test_page_under_a_prefix(make_app: MakeApp, site: Path) -> None:
    """With ``prefix="/app/"`` only paths under it are the app's routes; ``/application``
    only shares letters with the prefix (RFC 3986 §3.3 segments)."""
    app = make_app(directory=site, prefix="/app/", spa_fallback="index.html")
    assert is_page(navigate(app, "/app/settings"))
    assert is_page(navigate(app, "/app/"))
    for path in ("/other", "/application", "/application/settings", "/apps/x"):
        assert navigate(app, path).status == 404, path
    redirect = navigate(app, "/app")
    assert (redirect.status, redirect.header("location")) == (301, "./app/")


def test_page_changed_on_disk(make_app: MakeApp, site: Path) -> None:
    """A page rebuilt after start-up is served as it is now, still as the page."""
    app = make_app(directory=site, spa_fallback="index.html")
    assert is_page(navigate(app, "/settings"))
    new = b"<!doctype html><title>spa v2</title><div id=root></div><script src=x.js></script>"
    _rewrite(site / "index.html", new)
    for path in ("/settings", "/other/route"):
        response = navigate(app, path)
        assert (response.status, response.body) == (200, new)
        assert response.header("cache-control") == "no-cache"
    head = navigate(app, "/settings", "HEAD")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", str(len(new)))


def test_the_page_varies_on_accept(make_app: MakeApp, site: Path) -> None:
    """The same URL is the page or a miss depending on ``Accept``: the page says
    ``Vary: Accept`` so that a cache does not hand it to a ``fetch()`` (RFC 9110 §12.5.5)."""
    app = make_app(directory=site, spa_fallback="index.html")
    vary = navigate(app, "/settings/profile").header("vary")
    assert vary is not None
    assert "accept" in [item.strip() for item in vary.split(",")]


def test_spa_fallback_needs_directory(make_app: MakeApp, site: Path, tmp_path: Path) -> None:
    """The page is a file of ``directory``: with only ``directories`` it is an error."""
    with pytest.raises(ConfigError, match=r"^spa_fallback: .*directory"):
        make_app(directories={"/media/": site}, spa_fallback="index.html")


def test_missing_spa_fallback_is_a_config_error(make_app: MakeApp, site: Path) -> None:
    """A page that is not there is reported at construction, naming the option."""
    with pytest.raises(ConfigError, match=r"^spa_fallback: .*is not a file"):
        make_app(directory=site, spa_fallback="app.html")
    with pytest.raises(ConfigError, match=r"^spa_fallback: .*is not a file"):
        make_app(directory=site, spa_fallback="docs")


@pytest.mark.parametrize("value", ["/index.html", "../site/index.html", "", 5])
def test_bad_spa_fallback(make_app: MakeApp, site: Path, value: Any) -> None:
    """The page is a path relative to the directory."""
    with pytest.raises(ConfigError, match=r"^spa_fallback: "):
        make_app(directory=site, spa_fallback=value)


def test_spa_fallback_from_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FERROSTATIC_SPA_FALLBACK=index.html`` is the same option."""
    monkeypatch.setenv("FERROSTATIC_SPA_FALLBACK", "index.html")
    app = make_app(directory=site)
    assert is_page(navigate(app, "/settings"))
    assert fetch(app, path="/assets/x.js").status == 404


def test_bad_spa_fallback_from_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong value names the variable."""
    monkeypatch.setenv("FERROSTATIC_SPA_FALLBACK", "nowhere.html")
    with pytest.raises(ConfigError, match=r"^FERROSTATIC_SPA_FALLBACK: spa_fallback: "):
        make_app(directory=site)


# --- spa_fallback as middleware ---------------------------------------------------------------


def test_app_first_route_wins(make_app: MakeApp, site: Path) -> None:
    """By default the app answers first: a route of its own is its answer, even to a
    navigation request."""
    inner = Inner()
    app = make_app(inner, directory=site, spa_fallback="index.html")
    me = navigate(app, "/api/me")
    assert (me.status, me.body, me.header("x-from")) == (200, APP_ME, "app")
    assert inner.requests == [("GET", "/api/me")]


def test_app_first_404_becomes_the_page(make_app: MakeApp, site: Path) -> None:
    """The app's 404 to a navigation request is replaced by the page, GET and HEAD."""
    inner = Inner()
    app = make_app(inner, directory=site, spa_fallback="index.html")
    page = navigate(app, "/dashboard/settings")
    assert is_page(page) and page.header("x-from") is None
    assert is_page(navigate(app, "/dashboard", "HEAD"), head=True)
    assert inner.requests == [("GET", "/dashboard/settings"), ("HEAD", "/dashboard")]


@pytest.mark.parametrize(
    ("method", "path", "accept"),
    [
        ("GET", "/assets/app.js", BROWSER),
        ("GET", "/dashboard", b"*/*"),
        ("GET", "/dashboard", b"application/json"),
        ("GET", "/dashboard", b"text/html;q=0"),
        ("HEAD", "/missing.png", BROWSER),
        ("POST", "/dashboard", BROWSER),
        ("DELETE", "/dashboard", BROWSER),
    ],
)
def test_app_first_other_404s_pass_through(
    make_app: MakeApp, site: Path, method: str, path: str, accept: bytes
) -> None:
    """The app's 404 to anything but a navigation reaches the client unchanged, body and
    headers included."""
    inner = Inner()
    app = make_app(inner, directory=site, spa_fallback="index.html")
    response = fetch(app, method, path, [(b"accept", accept)])
    if method == "HEAD":
        assert (response.status, response.body, response.header("x-from")) == (404, b"", "app")
    else:
        assert is_app_404(response), response
    assert inner.requests == [(method, path)]


def test_app_first_files_are_served_without_the_app(make_app: MakeApp, site: Path) -> None:
    """A file that exists is ferrostatic's answer; the app never sees the request."""
    inner = Inner()
    app = make_app(inner, directory=site, spa_fallback="index.html")
    assert navigate(app, "/about.txt").body == b"about us"
    assert is_page(navigate(app, "/"))
    assert inner.requests == []


def test_app_first_under_a_prefix(make_app: MakeApp, site: Path) -> None:
    """The page replaces the app's 404 only under the prefix."""
    inner = Inner()
    app = make_app(inner, directory=site, prefix="/app/", spa_fallback="index.html")
    assert is_page(navigate(app, "/app/settings"))
    assert is_app_404(navigate(app, "/settings"))
    assert is_app_404(navigate(app, "/application/settings"))


def test_app_first_page_changed_on_disk(make_app: MakeApp, site: Path) -> None:
    """As middleware too, a page rebuilt after start-up is served as it is now."""
    inner = Inner()
    app = make_app(inner, directory=site, spa_fallback="index.html")
    assert is_page(navigate(app, "/dashboard"))
    new = b"<p>v2, longer than before: " + PAGE + b"</p>"
    _rewrite(site / "index.html", new)
    response = navigate(app, "/dashboard")
    assert (response.status, response.body) == (200, new)
    assert response.header("cache-control") == "no-cache"


def test_page_first(make_app: MakeApp, site: Path) -> None:
    """``spa_fallback_app_first=False``: a navigation miss is answered with the page before
    the app is called; anything else still goes to the app."""
    inner = Inner()
    app = make_app(inner, directory=site, spa_fallback="index.html", spa_fallback_app_first=False)
    assert is_page(navigate(app, "/dashboard"))
    assert is_page(navigate(app, "/api/me"))
    assert is_page(navigate(app, "/dashboard", "HEAD"), head=True)
    assert inner.requests == []
    me = fetch(app, path="/api/me", headers=[(b"accept", b"application/json")])
    assert (me.status, me.body) == (200, APP_ME)
    assert is_app_404(navigate(app, "/assets/app.js"))
    assert is_app_404(navigate(app, "/dashboard", "POST"))
    assert inner.requests == [("GET", "/api/me"), ("GET", "/assets/app.js"), ("POST", "/dashboard")]


def test_page_first_changed_on_disk(make_app: MakeApp, site: Path) -> None:
    """Page first, a rebuilt page is served as it is now."""
    app = make_app(Inner(), directory=site, spa_fallback="index.html", spa_fallback_app_first=False)
    _rewrite(site / "index.html", b"<p>tiny</p>")
    assert navigate(app, "/dashboard").body == b"<p>tiny</p>"


# --- not_found_file ---------------------------------------------------------------------------


def test_not_found_file(make_app: MakeApp, site: Path) -> None:
    """A standalone 404 (RFC 9110 §15.5.5) has the page as its body, typed as HTML."""
    app = make_app(directory=site, not_found_file="404.html")
    for method, path in (("GET", "/nope"), ("GET", "/docs/nope.txt"), ("POST", "/nope")):
        response = fetch(app, method, path)
        assert (response.status, response.body) == (404, NOT_FOUND_PAGE)
        assert response.header("content-type") == "text/html; charset=utf-8"
    assert fetch(app, path="/about.txt").body == b"about us"


def test_not_found_file_head(make_app: MakeApp, site: Path) -> None:
    """HEAD gets the same headers as GET and no body (RFC 9110 §9.3.2)."""
    app = make_app(directory=site, not_found_file="404.html")
    get = fetch(app, path="/nope")
    head = fetch(app, "HEAD", "/nope")
    assert (head.status, head.body) == (404, b"")
    assert head.header("content-length") == str(len(NOT_FOUND_PAGE))
    assert sorted(head.headers) == sorted(get.headers)


def test_not_found_file_media_type_and_absolute_path(
    make_app: MakeApp, site: Path, tmp_path: Path
) -> None:
    """The type follows the file's name; an absolute path may lie outside the directory."""
    app = make_app(directory=site, not_found_file="404.txt")
    text = fetch(app, path="/nope")
    assert (text.body, text.header("content-type")) == (
        b"not found, in plain text",
        "text/plain; charset=utf-8",
    )
    elsewhere = tmp_path / "lost.html"
    elsewhere.write_bytes(b"<p>lost</p>")
    assert fetch(make_app(directory=site, not_found_file=elsewhere), path="/x").body == (
        b"<p>lost</p>"
    )


def test_not_found_file_for_a_vanished_file(make_app: MakeApp, site: Path) -> None:
    """A file deleted after start-up is a 404 with the custom body too."""
    app = make_app(directory=site, not_found_file="404.html", max_memory_file_size=0)
    (site / "about.txt").unlink()
    response = fetch(app, path="/about.txt")
    assert (response.status, response.body) == (404, NOT_FOUND_PAGE)
    assert response.header("content-type") == "text/html; charset=utf-8"


def test_not_found_file_with_mounts(make_app: MakeApp, site: Path, tmp_path: Path) -> None:
    """A miss under an added directory gets the custom body as well."""
    media = write_tree(tmp_path / "media", {"a.txt": "a"})
    app = make_app(directory=site, not_found_file="404.html", directories={"/media/": media})
    assert fetch(app, path="/media/nope.txt").body == NOT_FOUND_PAGE
    assert fetch(app, path="/media/a.txt").body == b"a"


def test_not_found_file_with_the_page(make_app: MakeApp, site: Path) -> None:
    """With ``spa_fallback`` too: a navigation gets the page, an asset the custom 404."""
    app = make_app(directory=site, spa_fallback="index.html", not_found_file="404.html")
    assert is_page(navigate(app, "/settings"))
    asset = navigate(app, "/assets/app.js")
    assert (asset.status, asset.body) == (404, NOT_FOUND_PAGE)


# --- error_responses --------------------------------------------------------------------------


def test_custom_405_keeps_allow(make_app: MakeApp, site: Path) -> None:
    """A 405 must list the allowed methods (RFC 9110 §15.5.6): ``Allow`` stays."""
    app = make_app(directory=site, error_responses={405: b"nope", 416: "416.txt"})
    response = fetch(app, "POST", "/about.txt")
    assert (response.status, response.body, response.header("allow")) == (405, b"nope", "GET, HEAD")
    assert response.header("content-type") == "text/plain; charset=utf-8"
    miss = fetch(app, path="/nope")
    assert (miss.status, miss.body) == (404, b"404 Not Found\n")


@pytest.mark.parametrize("memory", [True, False], ids=["in-memory", "on-disk"])
def test_custom_416_keeps_content_range(make_app: MakeApp, site: Path, memory: bool) -> None:
    """A 416 names the representation's length (RFC 9110 §15.5.17): ``Content-Range`` stays."""
    app = make_app(
        directory=site,
        error_responses={405: b"nope", 416: "416.txt"},
        max_memory_file_size=1024 if memory else 0,
    )
    response = fetch(app, path="/about.txt", headers=[(b"range", b"bytes=500-")])
    assert (response.status, response.body) == (416, b"that range is not in the file")
    assert response.header("content-range") == "bytes */8"
    assert response.header("content-type") == "text/plain; charset=utf-8"
    ranged = fetch(app, path="/about.txt", headers=[(b"range", b"bytes=0-4")])
    assert (ranged.status, ranged.body) == (206, b"about")


def test_custom_412(make_app: MakeApp, site: Path) -> None:
    """A failed If-Match is 412 (RFC 9110 §13.1.1) with the custom body, HEAD without it."""
    app = make_app(directory=site, error_responses={412: "412.html"})
    headers = [(b"if-match", b'"not-it"')]
    response = fetch(app, path="/about.txt", headers=headers)
    assert (response.status, response.body) == (412, b"<p>precondition failed</p>")
    assert response.header("content-type") == "text/html; charset=utf-8"
    head = fetch(app, "HEAD", "/about.txt", headers)
    assert (head.status, head.body, head.header("content-length")) == (412, b"", "26")


def test_custom_404_through_error_responses(make_app: MakeApp, site: Path) -> None:
    """``error_responses[404]`` is the same as ``not_found_file``."""
    app = make_app(directory=site, error_responses={404: "404.html"})
    response = fetch(app, path="/nope")
    assert (response.status, response.body) == (404, NOT_FOUND_PAGE)


def test_error_bodies_as_middleware(make_app: MakeApp, site: Path) -> None:
    """As middleware a miss and another method are the app's, with its own body; a 416
    ferrostatic produces gets the custom one."""
    inner = Inner()
    app = make_app(
        inner,
        directory=site,
        not_found_file="404.html",
        error_responses={405: b"nope", 416: "416.txt"},
    )
    assert is_app_404(fetch(app, path="/nope"))
    assert is_app_404(fetch(app, "POST", "/about.txt"))
    ranged = fetch(app, path="/about.txt", headers=[(b"range", b"bytes=500-")])
    assert (ranged.status, ranged.body) == (416, b"that range is not in the file")
    assert ranged.header("content-range") == "bytes */8"
    assert inner.requests == [("GET", "/nope"), ("POST", "/about.txt")]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"error_responses": {500: b"x"}}, r"^error_responses: 500 is not one of .*404"),
        ({"error_responses": {200: b"x"}}, r"^error_responses: 200 is not one of"),
        ({"error_responses": {304: b"x"}}, r"^error_responses: 304 is not one of"),
        ({"error_responses": {"oops": b"x"}}, r"^error_responses: 'oops' is not one of"),
        ({"error_responses": [404]}, r"^error_responses: expected a dict"),
        ({"error_responses": {404: 5}}, r"^error_responses: expected a file path"),
        ({"error_responses": {405: "missing.html"}}, r"^error_responses: cannot read"),
        ({"not_found_file": "missing.html"}, r"^not_found_file: cannot read"),
        ({"not_found_file": "docs"}, r"^not_found_file: cannot read"),
        (
            {"not_found_file": "404.html", "error_responses": {404: b"x"}},
            r"^not_found_file: error_responses already sets the 404 body",
        ),
    ],
)
def test_bad_error_options(
    make_app: MakeApp, site: Path, options: dict[str, Any], message: str
) -> None:
    """Each mistake is reported at construction, naming the option."""
    with pytest.raises(ConfigError, match=message):
        make_app(directory=site, **options)


def test_error_page_too_large(make_app: MakeApp, site: Path) -> None:
    """An error page is held in memory: more than 1 MiB is refused, naming the option."""
    (site / "huge.html").write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(ConfigError, match=r"^not_found_file: .*at most 1048576"):
        make_app(directory=site, not_found_file="huge.html")
    with pytest.raises(ConfigError, match=r"^error_responses: .*at most 1048576"):
        make_app(directory=site, error_responses={503: "huge.html"})


def test_error_responses_from_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FERROSTATIC_ERROR_RESPONSES`` is a JSON object; its keys are status strings."""
    monkeypatch.setenv("FERROSTATIC_ERROR_RESPONSES", '{"405": "405.html"}')
    app = make_app(directory=site)
    response = fetch(app, "POST", "/about.txt")
    assert (response.status, response.body) == (405, b"<p>GET or HEAD, please</p>")
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.header("allow") == "GET, HEAD"


def test_bad_error_responses_from_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong value names the variable."""
    monkeypatch.setenv("FERROSTATIC_ERROR_RESPONSES", '{"500": "405.html"}')
    with pytest.raises(ConfigError, match=r"^FERROSTATIC_ERROR_RESPONSES: error_responses: "):
        make_app(directory=site)
