"""Cache-Control per file: manifests, per-path rules, and headers added per file at start-up."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic

from .conftest import call, write_tree

MakeApp = Callable[..., Ferrostatic]
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A build folder whose names carry no recognisable hash."""
    return write_tree(
        tmp_path / "dist",
        {
            "index.html": "<p>home</p>",
            "assets/main.js": "main()",
            "assets/main.css": "body{}",
            "assets/logo.png": b"\x89PNG",
            "css/app.v2.css": "p{}",
            "downloads/a.zip": b"PK",
            "downloads/old/b.zip": b"PK",
            "docs/guide.pdf": b"%PDF",
            "robots.txt": "User-agent: *",
        },
    )


def _cache(app: Ferrostatic, path: str) -> str | None:
    return call(app, path=path).header("cache-control")


@pytest.mark.parametrize(
    ("manifest", "prefix", "immutable", "ordinary"),
    [
        (
            {"paths": {"css/app.css": "css/app.v2.css"}, "version": "1.1", "hash": "x"},
            "/",
            ["/css/app.v2.css"],
            ["/assets/main.js"],
        ),
        (
            {
                "src/main.ts": {
                    "file": "assets/main.js",
                    "css": ["assets/main.css"],
                    "assets": ["assets/logo.png"],
                }
            },
            "/",
            ["/assets/main.js", "/assets/main.css", "/assets/logo.png"],
            ["/css/app.v2.css", "/robots.txt"],
        ),
        (
            {"main.js": "/static/assets/main.js", "main.css": "auto/assets/main.css"},
            "/static/",
            ["/static/assets/main.js", "/static/assets/main.css"],
            ["/static/assets/logo.png"],
        ),
    ],
    ids=["django", "vite", "webpack"],
)
def test_manifest_files_are_immutable(
    make_app: MakeApp,
    build: Path,
    manifest: dict[str, Any],
    prefix: str,
    immutable: list[str],
    ordinary: list[str],
) -> None:
    """Files a build manifest lists are immutable whatever their names; others are not."""
    (build / "manifest.json").write_text(json.dumps(manifest))
    app = make_app(directory=build, prefix=prefix, manifest_path="manifest.json")
    assert [_cache(app, path) for path in immutable] == [IMMUTABLE] * len(immutable)
    assert [_cache(app, path) for path in ordinary] == ["public, max-age=60"] * len(ordinary)


@pytest.mark.parametrize(
    "content", [None, "{not json", "[1, 2]"], ids=["missing", "garbage", "list"]
)
def test_unreadable_manifest_is_a_config_error(build: Path, content: str | None) -> None:
    """A manifest that cannot be read is named at construction, not ignored."""
    if content is not None:
        (build / "manifest.json").write_text(content)
    with pytest.raises(ConfigError, match=r"^manifest_path: "):
        Ferrostatic(directory=build, manifest_path="manifest.json")


RULES = {
    "/downloads/*": "public, max-age=600",
    "/downloads/**": "public, max-age=900",
    "*.pdf": "private, no-store",
    "*.html": "public, max-age=5",
    "/assets/**": "public, max-age=1",
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/downloads/a.zip", "public, max-age=600"),
        ("/downloads/old/b.zip", "public, max-age=900"),
        ("/docs/guide.pdf", "private, no-store"),
        ("/index.html", "public, max-age=5"),
        ("/", "public, max-age=5"),
        ("/robots.txt", "public, max-age=60"),
    ],
)
def test_rules_first_match_wins(make_app: MakeApp, build: Path, path: str, value: str) -> None:
    """``*`` stays within a segment, ``**`` crosses them, a pattern without ``/`` matches the
    file name; the first matching rule wins over every default."""
    assert _cache(make_app(directory=build, cache_control=RULES), path) == value


def test_rules_beat_the_immutable_defaults(make_app: MakeApp, tmp_path: Path) -> None:
    """A rule overrides the hashed-name default."""
    root = write_tree(tmp_path / "s", {"app.3f2a9c1b7d4e.css": "p{}"})
    app = make_app(directory=root, cache_control={"*.css": "no-cache"})
    assert _cache(app, "/app.3f2a9c1b7d4e.css") == "no-cache"


@pytest.mark.parametrize("rules", [["*.css"], {"*.css": "no-cache\r\nx: y"}, {"": "no-cache"}])
def test_bad_rules_are_config_errors(build: Path, rules: Any) -> None:
    """Rules that are not ``{pattern: visible ASCII value}`` are refused."""
    with pytest.raises(ConfigError, match=r"^cache_control: "):
        Ferrostatic(directory=build, cache_control=rules)


def test_rules_from_the_environment(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``FERROSTATIC_CACHE_CONTROL`` is a JSON object of rules."""
    monkeypatch.setenv("FERROSTATIC_CACHE_CONTROL", '{"*.txt": "no-store"}')
    assert _cache(Ferrostatic(directory=build), "/robots.txt") == "no-store"


def test_added_headers_on_every_response_about_the_file(make_app: MakeApp, build: Path) -> None:
    """``add_headers`` runs once per file at start-up; its headers go on 200, 206, 304 and 416
    (RFC 9110 §15.4.5 lets a 304 carry headers that guide caches)."""
    calls: list[tuple[str, str]] = []

    def add_headers(path: str, url: str) -> dict[str, str]:
        calls.append((path, url))
        return {"Content-Security-Policy": "default-src 'self'"} if url.endswith(".html") else {}

    app = make_app(directory=build, add_headers=add_headers)
    assert len(calls) == 9 and all(Path(path).is_file() for path, _ in calls)
    csp = ("content-security-policy", "default-src 'self'")
    ok = call(app, path="/index.html")
    etag = ok.header("etag") or ""
    responses = [
        ok,
        call(app, path="/index.html", headers=[(b"range", b"bytes=0-1")]),
        call(app, path="/index.html", headers=[(b"if-none-match", etag.encode())]),
        call(app, path="/index.html", headers=[(b"range", b"bytes=999-")]),
    ]
    assert [r.status for r in responses] == [200, 206, 304, 416]
    for response in responses:
        assert response.header(csp[0]) == csp[1]
    assert call(app, path="/robots.txt").header(csp[0]) is None
    assert len(calls) == 9


@pytest.mark.parametrize(
    "result",
    [
        {"X Bad": "1"},
        {"x-ok": "line\r\nbreak"},
        {"x-ok": "caf\u00e9"},
        {"x-ok": 1},
        RuntimeError("no"),
    ],
)
def test_bad_added_headers_are_config_errors(build: Path, result: Any) -> None:
    """A hook that fails, or returns something that is not a header field, stops start-up with
    an error naming ``add_headers`` and the file."""

    def add_headers(path: str, url: str) -> Any:
        if isinstance(result, Exception):
            raise result
        return result

    with pytest.raises(ConfigError, match=r"^add_headers: failed for '/"):
        Ferrostatic(directory=build, add_headers=add_headers)


def test_security_headers(make_app: MakeApp, build: Path) -> None:
    """``security_headers=True`` adds nosniff; each policy option sets its header, precomputed,
    on every file response (304 included)."""
    app = make_app(
        directory=build,
        security_headers=True,
        hsts="max-age=63072000; includeSubDomains",
        csp="default-src 'self'",
        referrer_policy="no-referrer",
        permissions_policy="camera=()",
        cross_origin_resource_policy="same-site",
    )
    expected = {
        "x-content-type-options": "nosniff",
        "strict-transport-security": "max-age=63072000; includeSubDomains",
        "content-security-policy": "default-src 'self'",
        "referrer-policy": "no-referrer",
        "permissions-policy": "camera=()",
        "cross-origin-resource-policy": "same-site",
    }
    ok = call(app, path="/robots.txt")
    etag = (ok.header("etag") or "").encode()
    not_modified = call(app, path="/robots.txt", headers=[(b"if-none-match", etag)])
    for response in (ok, not_modified):
        assert {name: response.header(name) for name in expected} == expected


def test_no_security_headers_by_default(make_app: MakeApp, build: Path) -> None:
    """Nothing is added unless asked for."""
    response = call(make_app(directory=build), path="/robots.txt")
    assert response.header("x-content-type-options") is None
    assert response.header("strict-transport-security") is None


def test_added_header_replaces_a_security_header(make_app: MakeApp, build: Path) -> None:
    """A per-file header from ``add_headers`` wins over the site-wide one of the same name."""
    app = make_app(
        directory=build,
        csp="default-src 'self'",
        add_headers=lambda path, url: (
            {"Content-Security-Policy": "sandbox"} if "pdf" in url else {}
        ),
    )
    assert call(app, path="/docs/guide.pdf").header("content-security-policy") == "sandbox"
    assert call(app, path="/robots.txt").header("content-security-policy") == "default-src 'self'"


@pytest.mark.parametrize(
    ("option", "value"), [("hsts", "max-age=1\r\nx: y"), ("csp", 5), ("security_headers", "yes")]
)
def test_bad_security_options(build: Path, option: str, value: Any) -> None:
    """Security options are validated like any other."""
    with pytest.raises(ConfigError, match=rf"^{option}: "):
        Ferrostatic(directory=build, **{option: value})
