"""Routing options computed at start-up: clean URLs and the health check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic

from .conftest import call, write_tree

MakeApp = Callable[..., Ferrostatic]


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    """Pages with and without clashing names."""
    return write_tree(
        tmp_path / "site",
        {
            "about.html": "<p>about</p>",
            "team/index.html": "<p>team</p>",
            "team.html": "<p>team page</p>",
            "notes.html": "<p>notes html</p>",
            "notes": "plain notes",
            "index.html": "<p>home</p>",
        },
    )


def test_clean_urls(make_app: MakeApp, pages: Path) -> None:
    """``/about`` serves ``about.html``; ``/about.html`` still works (RFC 9110 §15.3.1)."""
    app = make_app(directory=pages, html_extension_fallback=True)
    assert (call(app, path="/about").status, call(app, path="/about").body) == (
        200,
        b"<p>about</p>",
    )
    assert call(app, path="/about.html").body == b"<p>about</p>"


def test_clean_urls_yield_to_real_files_and_directories(make_app: MakeApp, pages: Path) -> None:
    """A file named ``notes`` is served as itself; ``/team`` stays the redirect to ``team/``
    (RFC 9110 §15.4.2)."""
    app = make_app(directory=pages, html_extension_fallback=True)
    assert call(app, path="/notes").body == b"plain notes"
    team = call(app, path="/team")
    assert (team.status, team.header("location")) == (301, "./team/")


def test_clean_urls_are_off_by_default(make_app: MakeApp, pages: Path) -> None:
    """Without the option ``/about`` is a miss."""
    assert call(make_app(directory=pages), path="/about").status == 404


def test_health_check(make_app: MakeApp, pages: Path) -> None:
    """``health_check_path`` answers 200 ``OK`` with ``no-store``; HEAD has no body
    (RFC 9110 §9.3.2)."""
    app = make_app(directory=pages, health_check_path="/healthz")
    get = call(app, path="/healthz")
    head = call(app, "HEAD", "/healthz")
    assert (get.status, get.body, get.header("cache-control")) == (200, b"OK", "no-store")
    assert (head.status, head.body, head.header("content-length")) == (200, b"", "2")


def test_health_check_passes_other_methods_on(make_app: MakeApp, pages: Path) -> None:
    """As middleware, a POST to the health check path is the app's business."""

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = make_app(inner, directory=pages, health_check_path="/healthz")
    assert call(app, "POST", "/healthz").status == 299


@pytest.mark.parametrize("value", ["healthz", "/a b", 5])
def test_bad_health_check_path(pages: Path, value: Any) -> None:
    """The path is validated at construction."""
    with pytest.raises(ConfigError, match=r"^health_check_path: "):
        Ferrostatic(directory=pages, health_check_path=value)


def test_health_check_outside_the_prefix(make_app: MakeApp, pages: Path) -> None:
    """The health check answers even when the files are served under a prefix."""
    app = make_app(directory=pages, prefix="/static/", health_check_path="/healthz")
    assert (call(app, path="/healthz").status, call(app, path="/static/about.html").status) == (
        200,
        200,
    )
