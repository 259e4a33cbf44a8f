"""``cors_allow_origins``: the CORS headers of file responses and the answers to preflights.

Every test runs on both routers and both entry points. The protocol is the Fetch standard's
(https://fetch.spec.whatwg.org/#http-cors-protocol, cited as "Fetch §3.2"); the HTTP details
are RFC 9110's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic

from .conftest import Response, call

MakeApp = Callable[..., Ferrostatic]
Headers = list[tuple[bytes, bytes]]

APP_ORIGIN = "https://app.example.com"
ALLOWED: Headers = [(b"origin", APP_ORIGIN.encode())]
OTHER: Headers = [(b"origin", b"https://evil.example")]
PREFLIGHT: Headers = [*ALLOWED, (b"access-control-request-method", b"GET")]
APP_HEADERS: Headers = [(b"content-type", b"text/plain"), (b"x-app", b"yes")]


async def inner_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The wrapped app: 299 ``app`` with its own two headers, for every request."""
    await send({"type": "http.response.start", "status": 299, "headers": list(APP_HEADERS)})
    await send({"type": "http.response.body", "body": b"app"})


def vary(response: Response) -> list[str]:
    """The members of the response's one Vary field, lower-cased."""
    value = response.header("vary")
    return [] if value is None else [item.strip().lower() for item in value.split(",")]


def cors_headers(response: Response) -> dict[str, str]:
    """The response's ``access-control-*`` fields."""
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in response.headers
        if name.lower().startswith(b"access-control-")
    }


def file_responses(app: Any, origin: Headers) -> dict[int | str, Response]:
    """200, HEAD, 206, 304, 412 and 416 for ``/docs/guide.txt``, each sent with ``origin``."""
    etag = call(app, path="/docs/guide.txt").header("etag")
    assert etag is not None
    path = "/docs/guide.txt"
    found: dict[int | str, Response] = {
        200: call(app, "GET", path, origin),
        "HEAD": call(app, "HEAD", path, origin),
        206: call(app, "GET", path, [*origin, (b"range", b"bytes=0-4")]),
        304: call(app, "GET", path, [*origin, (b"if-none-match", etag.encode())]),
        412: call(app, "GET", path, [*origin, (b"if-match", b'"nope"')]),
        416: call(app, "GET", path, [*origin, (b"range", b"bytes=999999-")]),
    }
    for key, response in found.items():
        assert response.status == (200 if key == "HEAD" else key), (key, response.status)
    return found


# --- File responses -------------------------------------------------------------------------


def test_listed_origin_is_echoed_on_every_file_response(make_app: MakeApp, site: Path) -> None:
    """An allowed ``Origin`` is echoed in ``Access-Control-Allow-Origin`` on 200, HEAD, 206,
    304, 412 and 416 alike (Fetch §3.2.3: the CORS check reads every response), each with
    ``Vary: Origin`` and the exposed headers a ranged or conditional read needs."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    for key, response in file_responses(app, ALLOWED).items():
        assert response.header("access-control-allow-origin") == APP_ORIGIN, key
        assert vary(response) == ["origin"], key
        exposed = response.header("access-control-expose-headers")
        assert exposed is not None, key
        assert {"content-range", "etag", "accept-ranges"} <= {
            item.strip() for item in exposed.split(",")
        }, key


def test_origin_compared_case_insensitively(make_app: MakeApp, site: Path) -> None:
    """The host part of an origin is case-insensitive (RFC 6454 §4): ``HTTPS://APP.Example.COM``
    matches, and is echoed as sent, which is what the browser compares byte for byte (Fetch
    §3.2.3)."""
    app = make_app(directory=site, cors_allow_origins=["https://App.Example.com"])
    response = call(app, path="/docs/guide.txt", headers=[(b"origin", b"HTTPS://APP.Example.COM")])
    assert response.header("access-control-allow-origin") == "HTTPS://APP.Example.COM"


def test_vary_origin_without_origin_or_with_another(make_app: MakeApp, site: Path) -> None:
    """With a list, the answer depends on ``Origin``, so every file response says so — those
    to requests without the header and from origins not on the list too (which get no
    ``Access-Control-Allow-Origin``): a shared cache must not hand one origin's answer to
    another (RFC 9110 §12.5.5, Fetch §3.2.5)."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    for origin in ([], OTHER):
        for key, response in file_responses(app, origin).items():
            assert vary(response) == ["origin"], (origin, key)
            assert cors_headers(response) == {}, (origin, key)


def test_vary_merges_with_accept_encoding(make_app: MakeApp, site: Path) -> None:
    """A file with compressed variants varies on both: one ``Vary`` field listing
    ``accept-encoding, origin`` (RFC 9110 §12.5.5), whichever variant is chosen."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    etag = call(app, path="/app.js").header("etag")
    assert etag is not None
    for headers in (
        [],
        ALLOWED,
        [*ALLOWED, (b"accept-encoding", b"br")],
        [*OTHER, (b"accept-encoding", b"gzip")],
        [*ALLOWED, (b"if-none-match", etag.encode())],
    ):
        response = call(app, path="/app.js", headers=headers)
        assert response.status in (200, 304)
        assert response.header("vary") == "accept-encoding, origin", headers


def test_wildcard_on_every_file_response(make_app: MakeApp, site: Path) -> None:
    """``["*"]``: ``Access-Control-Allow-Origin: *`` on every file response, whatever the
    ``Origin``, and nothing varies on it (Fetch §3.2.3)."""
    app = make_app(directory=site, cors_allow_origins=["*"])
    for origin in ([], ALLOWED, OTHER):
        for key, response in file_responses(app, origin).items():
            assert response.header("access-control-allow-origin") == "*", (origin, key)
            assert "origin" not in vary(response), (origin, key)
            assert "content-range" in (response.header("access-control-expose-headers") or "")
    assert call(app, path="/app.js", headers=ALLOWED).header("vary") == "accept-encoding"


def test_wildcard_as_a_string(make_app: MakeApp, site: Path) -> None:
    """A lone string is one origin: ``cors_allow_origins="*"`` is ``["*"]``."""
    app = make_app(directory=site, cors_allow_origins="*")
    assert call(app, path="/index.html").header("access-control-allow-origin") == "*"


def test_no_cors_headers_on_misses(make_app: MakeApp, site: Path) -> None:
    """404 and 405 are not about a file: they carry no CORS headers."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    for method, path in (("GET", "/missing.txt"), ("POST", "/docs/guide.txt")):
        response = call(app, method, path, ALLOWED)
        assert response.status in (404, 405)
        assert cors_headers(response) == {}


def test_off_by_default(make_app: MakeApp, site: Path) -> None:
    """Without the option there are no CORS headers and no ``Vary: Origin``."""
    response = call(make_app(directory=site), path="/docs/guide.txt", headers=ALLOWED)
    assert (cors_headers(response), vary(response)) == ({}, [])


def test_files_of_other_directories(make_app: MakeApp, site: Path, tmp_path: Path) -> None:
    """The headers are on the files of every root, ``directories`` included."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "photo.txt").write_text("photo")
    app = make_app(directory=site, directories={"/media/": media}, cors_allow_origins=[APP_ORIGIN])
    response = call(app, path="/media/photo.txt", headers=ALLOWED)
    assert (response.status, response.header("access-control-allow-origin")) == (200, APP_ORIGIN)


def test_app_response_untouched(make_app: MakeApp, site: Path) -> None:
    """As middleware, a CORS request for a path the wrapped app serves gets the app's
    response exactly as the app made it: its CORS policy is its own."""
    for origins in ([APP_ORIGIN], ["*"]):
        app = make_app(inner_app, directory=site, cors_allow_origins=origins)
        for method in ("GET", "POST"):
            response = call(app, method, "/api/things", ALLOWED)
            assert (response.status, response.body) == (299, b"app")
            assert response.headers == APP_HEADERS


# --- Preflights -------------------------------------------------------------------------------


def test_preflight(make_app: MakeApp, site: Path) -> None:
    """``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method: GET`` for a file is a
    preflight (Fetch §3.2.2): ``204`` with the origin, the methods, the default headers (range
    among them) and the max age, and no ``Content-Length``, which a 204 must not carry
    (RFC 9110 §8.6)."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    response = call(app, "OPTIONS", "/docs/guide.txt", PREFLIGHT)
    assert (response.status, response.body) == (204, b"")
    assert response.header("content-length") is None
    assert response.header("access-control-allow-origin") == APP_ORIGIN
    assert response.header("access-control-allow-methods") == "GET, HEAD"
    allowed = response.header("access-control-allow-headers") or ""
    assert {"range", "if-none-match", "if-match"} <= {h.strip() for h in allowed.split(",")}
    assert response.header("access-control-max-age") == "7200"
    assert "origin" in vary(response)


@pytest.mark.parametrize("path", ["/", "/docs/", "/app.js", "/docs/index.html"])
def test_preflight_for_every_file_url(make_app: MakeApp, site: Path, path: str) -> None:
    """A folder's URL (its index file) and a file with compressed variants are files too."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    assert call(app, "OPTIONS", path, PREFLIGHT).status == 204


def test_preflight_for_head(make_app: MakeApp, site: Path) -> None:
    """A preflight for ``HEAD`` is answered like one for ``GET``."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    headers = [*ALLOWED, (b"access-control-request-method", b"HEAD")]
    assert call(app, "OPTIONS", "/docs/guide.txt", headers).status == 204


def test_preflight_echoes_requested_headers(make_app: MakeApp, site: Path) -> None:
    """A well-formed ``Access-Control-Request-Headers`` (a list of tokens, Fetch §3.2.2) is
    echoed, and the answer then varies on it too (RFC 9110 §12.5.5)."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    asked = b"range, x-trace-id"
    response = call(
        app, "OPTIONS", "/docs/guide.txt", [*PREFLIGHT, (b"access-control-request-headers", asked)]
    )
    assert response.status == 204
    assert response.header("access-control-allow-headers") == "range, x-trace-id"
    assert vary(response) == ["origin", "access-control-request-headers"]


@pytest.mark.parametrize("asked", [b"range, bad header", b"range,,if-match", b"x\x01y", b""])
def test_preflight_malformed_requested_headers(make_app: MakeApp, site: Path, asked: bytes) -> None:
    """A malformed ``Access-Control-Request-Headers`` is not echoed: the default list (with
    ``range``) is offered instead."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    response = call(
        app, "OPTIONS", "/docs/guide.txt", [*PREFLIGHT, (b"access-control-request-headers", asked)]
    )
    assert response.status == 204
    allowed = response.header("access-control-allow-headers") or ""
    assert "range" in [h.strip() for h in allowed.split(",")]
    assert "bad header" not in allowed and "\x01" not in allowed


def test_preflight_max_age_option(make_app: MakeApp, site: Path) -> None:
    """``cors_max_age`` is the ``Access-Control-Max-Age`` (Fetch §3.2.3)."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN], cors_max_age=60)
    assert call(app, "OPTIONS", "/index.html", PREFLIGHT).header("access-control-max-age") == "60"


def test_preflight_with_wildcard(make_app: MakeApp, site: Path) -> None:
    """With ``["*"]`` any origin's preflight is answered with ``*`` and does not vary on
    ``Origin``."""
    app = make_app(directory=site, cors_allow_origins=["*"])
    headers = [*OTHER, (b"access-control-request-method", b"GET")]
    response = call(app, "OPTIONS", "/docs/guide.txt", headers)
    assert response.status == 204
    assert response.header("access-control-allow-origin") == "*"
    assert "origin" not in vary(response)
    assert response.header("content-length") is None


def test_no_origin_is_no_preflight_even_with_wildcard(make_app: MakeApp, site: Path) -> None:
    """An ``OPTIONS`` without ``Origin`` is not a CORS request (Fetch §3.2.2: a CORS request
    includes ``Origin``), so not a preflight even when every origin is allowed: the app's as
    middleware, 405 standalone."""
    headers = [(b"access-control-request-method", b"GET")]
    wrapped = make_app(inner_app, directory=site, cors_allow_origins=["*"])
    assert call(wrapped, "OPTIONS", "/docs/guide.txt", headers).status == 299
    alone = make_app(directory=site, cors_allow_origins=["*"])
    assert call(alone, "OPTIONS", "/docs/guide.txt", headers).status == 405


def test_preflight_as_middleware(make_app: MakeApp, site: Path) -> None:
    """As middleware, a preflight for a file is answered here, not by the app."""
    app = make_app(inner_app, directory=site, cors_allow_origins=[APP_ORIGIN])
    response = call(app, "OPTIONS", "/docs/guide.txt", PREFLIGHT)
    assert (response.status, response.header("access-control-allow-origin")) == (204, APP_ORIGIN)


def test_preflight_under_a_prefix(make_app: MakeApp, site: Path) -> None:
    """Under a prefix, only the prefixed URL is a file."""
    app = make_app(inner_app, directory=site, prefix="/static/", cors_allow_origins=[APP_ORIGIN])
    assert call(app, "OPTIONS", "/static/docs/guide.txt", PREFLIGHT).status == 204
    assert call(app, "OPTIONS", "/docs/guide.txt", PREFLIGHT).status == 299


def test_no_preflight_for_a_redirect(make_app: MakeApp, site: Path) -> None:
    """``/docs`` is not a file but the redirect to ``/docs/`` (RFC 9110 §15.4.2): an ``OPTIONS``
    for it is not a preflight answered here but the app's."""
    app = make_app(inner_app, directory=site, cors_allow_origins=[APP_ORIGIN])
    assert call(app, "OPTIONS", "/docs", PREFLIGHT).status == 299


NOT_PREFLIGHTS: list[tuple[str, str, Headers]] = [
    ("no request method", "/docs/guide.txt", ALLOWED),
    ("other origin", "/docs/guide.txt", [*OTHER, (b"access-control-request-method", b"GET")]),
    ("no origin", "/docs/guide.txt", [(b"access-control-request-method", b"GET")]),
    ("asks for PUT", "/docs/guide.txt", [*ALLOWED, (b"access-control-request-method", b"PUT")]),
    ("lower-case get", "/docs/guide.txt", [*ALLOWED, (b"access-control-request-method", b"get")]),
    ("not a file", "/api/things", PREFLIGHT),
    ("hidden file", "/.env", PREFLIGHT),
]


@pytest.mark.parametrize(
    ("why", "path", "headers"), NOT_PREFLIGHTS, ids=[c[0] for c in NOT_PREFLIGHTS]
)
def test_other_options_go_to_the_app(
    make_app: MakeApp, site: Path, why: str, path: str, headers: Headers
) -> None:
    """As middleware, an ``OPTIONS`` that is not a preflight for a file from an allowed origin
    asking for GET or HEAD is the app's, untouched (methods are case-sensitive, RFC 9110 §9.1)."""
    app = make_app(inner_app, directory=site, cors_allow_origins=[APP_ORIGIN])
    response = call(app, "OPTIONS", path, headers)
    assert (response.status, response.body, response.headers) == (299, b"app", APP_HEADERS)


@pytest.mark.parametrize(
    ("why", "path", "headers"), NOT_PREFLIGHTS, ids=[c[0] for c in NOT_PREFLIGHTS]
)
def test_other_options_standalone(
    make_app: MakeApp, site: Path, why: str, path: str, headers: Headers
) -> None:
    """Standalone, such an ``OPTIONS`` is 405 (with ``Allow``) for an existing file and 404
    otherwise (RFC 9110 §15.5.6), without CORS headers."""
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    response = call(app, "OPTIONS", path, headers)
    exists = path == "/docs/guide.txt"
    assert response.status == (405 if exists else 404)
    if exists:
        assert response.header("allow") == "GET, HEAD"
    assert cors_headers(response) == {}


# --- Options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        ["https://x.com/"],
        ["x.com"],
        ["*", "https://a.com"],
        ["https://a.com/path"],
        ["https://a.com", 5],
        [""],
        5,
        {"https://a.com": True},
    ],
)
def test_bad_origins(site: Path, value: Any) -> None:
    """An origin is ``scheme://host[:port]`` with no path or trailing slash (RFC 6454 §6.2);
    ``*`` stands alone. Anything else fails at construction, naming the option."""
    with pytest.raises(ConfigError, match=r"^cors_allow_origins: "):
        Ferrostatic(directory=site, cors_allow_origins=value)


@pytest.mark.parametrize("value", [-1, "60", True])
def test_bad_max_age(site: Path, value: Any) -> None:
    """``cors_max_age`` is a whole number of seconds."""
    with pytest.raises(ConfigError, match=r"^cors_max_age: "):
        Ferrostatic(directory=site, cors_allow_origins=["*"], cors_max_age=value)


def test_origins_from_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FERROSTATIC_CORS_ALLOW_ORIGINS`` is a comma-separated list."""
    monkeypatch.setenv("FERROSTATIC_CORS_ALLOW_ORIGINS", "https://a.example, https://b.example")
    app = make_app(directory=site)
    for origin in ("https://a.example", "https://b.example"):
        response = call(app, path="/docs/guide.txt", headers=[(b"origin", origin.encode())])
        assert response.header("access-control-allow-origin") == origin
    response = call(app, path="/docs/guide.txt", headers=[(b"origin", b"https://c.example")])
    assert (response.header("access-control-allow-origin"), vary(response)) == (None, ["origin"])


def test_bad_origin_from_the_environment(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong origin in the environment names the variable and the option."""
    monkeypatch.setenv("FERROSTATIC_CORS_ALLOW_ORIGINS", "https://a.example/")
    with pytest.raises(ConfigError, match=r"^FERROSTATIC_CORS_ALLOW_ORIGINS: cors_allow_origins"):
        Ferrostatic(directory=site)


def test_explicit_option_wins_over_the_environment(
    make_app: MakeApp, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit argument wins over the variable."""
    monkeypatch.setenv("FERROSTATIC_CORS_ALLOW_ORIGINS", "*")
    app = make_app(directory=site, cors_allow_origins=[APP_ORIGIN])
    response = call(app, path="/docs/guide.txt", headers=OTHER)
    assert response.header("access-control-allow-origin") is None


def test_a_configured_default_port_still_matches(make_app: MakeApp, site: Path) -> None:
    """Browsers serialise an origin without its scheme's default port (RFC 6454 §6.2), so
    ``https://app.example.com:443`` in the options matches the ``Origin`` they send."""
    app = make_app(directory=site, cors_allow_origins=["https://app.example.com:443"])
    response = call(app, path="/docs/guide.txt", headers=[(b"origin", APP_ORIGIN.encode())])
    assert response.header("access-control-allow-origin") == APP_ORIGIN
