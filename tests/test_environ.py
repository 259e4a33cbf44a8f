"""Options from ``FERROSTATIC_<OPTION>`` variables, and the off switch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic
from ferrostatic.config import Config

from .conftest import call, write_tree

MakeApp = Callable[..., Ferrostatic]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one file."""
    return write_tree(tmp_path / "static", {"a.txt": "hello"})


def test_variable_sets_an_option(folder: Path) -> None:
    """An option not passed explicitly comes from its variable."""
    config = Config.from_options({"directory": folder}, {"FERROSTATIC_CACHE_MAX_AGE": "3600"})
    assert config.cache_max_age == 3600


def test_explicit_argument_wins(folder: Path) -> None:
    """An explicit argument beats the environment."""
    environ = {"FERROSTATIC_CACHE_MAX_AGE": "3600", "FERROSTATIC_DIRECTORY": "/nowhere"}
    config = Config.from_options({"directory": folder, "cache_max_age": 5}, environ)
    assert (config.cache_max_age, config.directory) == (5, folder.resolve())


def test_directory_from_the_environment(folder: Path) -> None:
    """``FERROSTATIC_DIRECTORY`` is enough to build an app."""
    config = Config.from_options({}, {"FERROSTATIC_DIRECTORY": str(folder)})
    assert config.directory == folder.resolve()


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("Off", False)],
)
def test_boolean_forms(folder: Path, raw: str, value: bool) -> None:
    """Booleans accept the usual spellings, case-insensitively."""
    config = Config.from_options({"directory": folder}, {"FERROSTATIC_ALLOW_HIDDEN": raw})
    assert config.allow_hidden is value


@pytest.mark.parametrize(("raw", "value"), [("none", None), ("", None), ("home.html", "home.html")])
def test_nullable_text(folder: Path, raw: str, value: str | None) -> None:
    """``none`` or an empty value is None for options that accept it."""
    config = Config.from_options({"directory": folder}, {"FERROSTATIC_INDEX_FILE": raw})
    assert config.index_file == value


def test_json_mapping(folder: Path) -> None:
    """``FERROSTATIC_MIME_TYPES`` is a JSON object."""
    environ = {"FERROSTATIC_MIME_TYPES": '{".epub": "application/epub+zip"}'}
    config = Config.from_options({"directory": folder}, environ)
    assert config.mime_types == {".epub": "application/epub+zip"}


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("FERROSTATIC_CACHE_MAX_AGE", "soon", "FERROSTATIC_CACHE_MAX_AGE='soon': expected a whole"),
        ("FERROSTATIC_CACHE_MAX_AGE", "-5", "FERROSTATIC_CACHE_MAX_AGE='-5': expected a whole"),
        ("FERROSTATIC_ALLOW_HIDDEN", "maybe", "FERROSTATIC_ALLOW_HIDDEN='maybe': expected 1/0"),
        ("FERROSTATIC_MIME_TYPES", "[1]", "FERROSTATIC_MIME_TYPES='[1]': expected a JSON object"),
        ("FERROSTATIC_MIME_TYPES", "{", "FERROSTATIC_MIME_TYPES='{': expected a JSON object"),
        ("FERROSTATIC_PREFIX", "static", "FERROSTATIC_PREFIX: prefix: expected a URL path"),
        ("FERROSTATIC_IMMUTABLE_PATTERN", "(", "FERROSTATIC_IMMUTABLE_PATTERN: immutable_pattern:"),
    ],
)
def test_bad_value_names_the_variable(folder: Path, variable: str, raw: str, message: str) -> None:
    """A value that does not parse, or does not validate, is an error naming the variable."""
    with pytest.raises(ConfigError) as caught:
        Config.from_options({"directory": folder}, {variable: raw})
    assert str(caught.value).startswith(message)


def test_app_reads_the_process_environment(
    make_app: MakeApp, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Ferrostatic`` reads the real environment when it is built."""
    monkeypatch.setenv("FERROSTATIC_CACHE_MAX_AGE", "123")
    response = call(make_app(directory=folder), path="/a.txt")
    assert response.header("cache-control") == "public, max-age=123"


async def _inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"inner"})


def test_disabled_middleware_passes_everything(make_app: MakeApp, folder: Path) -> None:
    """``enabled=False``: even an existing file goes to the wrapped app."""
    app = make_app(_inner, directory=folder, enabled=False)
    assert (call(app, path="/a.txt").status, app.index.file_count) == (299, 0)


def test_disabled_standalone_serves_nothing(make_app: MakeApp, folder: Path) -> None:
    """A disabled standalone app answers 404 to everything."""
    assert call(make_app(directory=folder, enabled=False), path="/a.txt").status == 404


def test_disabled_needs_no_directory(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switched off by ``FERROSTATIC_ENABLED=0``, the folder need not exist (the files are
    elsewhere, on a CDN)."""
    monkeypatch.setenv("FERROSTATIC_ENABLED", "0")
    app = make_app(_inner, directory=tmp_path / "missing")
    assert call(app, path="/a.txt").status == 299
    assert call(make_app(_inner), path="/a.txt").status == 299


def test_disabled_adds_nothing(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switched off, the operator options add nothing either: no request id, no CORS header,
    no report, and the files they name need not exist."""
    monkeypatch.setenv("FERROSTATIC_ENABLED", "0")
    seen: list[object] = []
    app = make_app(
        _inner,
        directory=tmp_path / "missing",
        request_id_header="X-Request-ID",
        cors_allow_origins=["*"],
        spa_fallback="index.html",
        not_found_file="404.html",
        on_request=seen.append,
    )
    response = call(app, path="/a.txt", headers=[(b"origin", b"https://a.example")])
    assert (response.status, response.headers, seen) == (299, [], [])
