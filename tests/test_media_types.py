"""Tests for the generated, host-independent media-type table."""

from __future__ import annotations

import ast
import inspect
import mimetypes
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from ferrostatic import media_types
from ferrostatic.media_types import DEFAULT_MEDIA_TYPES, is_text_like, media_type_for

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "generate_media_types.py"

MODERN_TYPES = [
    (".js", "text/javascript"),
    (".mjs", "text/javascript"),
    (".cjs", "text/javascript"),
    (".json", "application/json"),
    (".map", "application/json"),
    (".wasm", "application/wasm"),
    (".webmanifest", "application/manifest+json"),
    (".avif", "image/avif"),
    (".jxl", "image/jxl"),
    (".webp", "image/webp"),
    (".heic", "image/heic"),
    (".woff", "font/woff"),
    (".woff2", "font/woff2"),
    (".ttf", "font/ttf"),
    (".otf", "font/otf"),
    (".csv", "text/csv"),
    (".ics", "text/calendar"),
    (".opus", "audio/ogg"),
    (".svg", "image/svg+xml"),
    (".svgz", "image/svg+xml"),
    (".xml", "application/xml"),
    (".md", "text/markdown"),
    (".txt", "text/plain"),
    (".mp4", "video/mp4"),
    (".m4v", "video/mp4"),
    (".webm", "video/webm"),
    (".mp3", "audio/mpeg"),
    (".flac", "audio/flac"),
    (".wav", "audio/wav"),
    (".ogg", "audio/ogg"),
    (".m4a", "audio/mp4"),
    (".aac", "audio/aac"),
    (".gz", "application/gzip"),
    (".br", "application/x-brotli"),
    (".zst", "application/zstd"),
    (".7z", "application/x-7z-compressed"),
    (".tar", "application/x-tar"),
    (".zip", "application/zip"),
    (".pdf", "application/pdf"),
    (".epub", "application/epub+zip"),
    (".apng", "image/apng"),
    (".ico", "image/vnd.microsoft.icon"),
    (".jsonld", "application/ld+json"),
    (".toml", "application/toml"),
    (".yaml", "application/yaml"),
    (".yml", "application/yaml"),
    (".vtt", "text/vtt"),
    (".glb", "model/gltf-binary"),
    (".gltf", "model/gltf+json"),
    (".mpd", "application/dash+xml"),
    (".m3u8", "application/vnd.apple.mpegurl"),
    (".ts", "video/mp2t"),
    (".htm", "text/html"),
    (".html", "text/html"),
    (".shtml", "text/html"),
    (".xhtml", "application/xhtml+xml"),
    (".css", "text/css"),
    (".rss", "application/rss+xml"),
    (".atom", "application/atom+xml"),
    ("apple-app-site-association", "application/json"),
]


@pytest.mark.parametrize(("key", "expected"), MODERN_TYPES)
def test_modern_types_in_table(key: str, expected: str) -> None:
    assert DEFAULT_MEDIA_TYPES[key] == expected


@pytest.mark.parametrize(("key", "expected"), MODERN_TYPES)
def test_modern_types_by_file_name(key: str, expected: str) -> None:
    filename = f"file{key}" if key.startswith(".") else key
    assert media_type_for(filename, charset=None) == expected


def test_table_is_sorted_and_well_formed() -> None:
    keys = list(DEFAULT_MEDIA_TYPES)
    assert keys == sorted(keys)
    for key, media_type in DEFAULT_MEDIA_TYPES.items():
        assert key == key.lower()
        assert key == key.strip()
        assert ";" not in media_type
        assert media_type == media_type.lower()
        top, _, sub = media_type.partition("/")
        assert top
        assert sub


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("site.webmanifest", "application/manifest+json; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("table.csv", "text/csv; charset=utf-8"),
    ],
)
def test_charset_added_to_text_like_types(filename: str, expected: str) -> None:
    assert media_type_for(filename) == expected


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("image.png", "image/png"),
        ("font.woff2", "font/woff2"),
        ("module.wasm", "application/wasm"),
    ],
)
def test_no_charset_on_binary_types(filename: str, expected: str) -> None:
    assert media_type_for(filename) == expected


def test_custom_charset() -> None:
    assert media_type_for("a.txt", charset="iso-8859-1") == "text/plain; charset=iso-8859-1"


def test_charset_none_gives_no_parameter() -> None:
    assert media_type_for("app.js", charset=None) == "text/javascript"
    assert media_type_for("index.html", charset=None) == "text/html"
    assert media_type_for("image.png", charset=None) == "image/png"


def test_upper_case_extension() -> None:
    assert media_type_for("APP.JS") == "text/javascript; charset=utf-8"
    assert media_type_for("Photo.JPG") == "image/jpeg"
    assert media_type_for("APPLE-APP-SITE-ASSOCIATION", charset=None) == "application/json"


@pytest.mark.parametrize(
    "filename",
    ["file.unknownext", "README", "Makefile", "", "dir/", "trailing.", ".hidden"],
)
def test_unknown_or_missing_extension(filename: str) -> None:
    assert media_type_for(filename) == "application/octet-stream"


def test_paths_use_the_base_name() -> None:
    assert media_type_for("static/js/app.min.js", charset=None) == "text/javascript"
    assert media_type_for("static\\img\\logo.png") == "image/png"
    assert media_type_for("css.d/README") == "application/octet-stream"


def test_extensionless_well_known_name() -> None:
    expected = "application/json; charset=utf-8"
    assert media_type_for("apple-app-site-association") == expected
    assert media_type_for("/.well-known/apple-app-site-association") == expected
    assert media_type_for("not-apple-app-site-association") == "application/octet-stream"


def test_override_by_extension() -> None:
    overrides = {".js": "application/x-custom", ".foo": "text/x-foo"}
    assert media_type_for("app.js", overrides) == "application/x-custom"
    assert media_type_for("a.foo", overrides) == "text/x-foo; charset=utf-8"
    assert media_type_for("a.css", overrides) == "text/css; charset=utf-8"


def test_override_by_full_name() -> None:
    overrides = {"CNAME": "text/plain", "apple-app-site-association": "application/x-aasa"}
    assert media_type_for("CNAME", overrides) == "text/plain; charset=utf-8"
    assert media_type_for("apple-app-site-association", overrides) == "application/x-aasa"


def test_override_keys_are_case_insensitive() -> None:
    assert media_type_for("a.dat", {".DAT": "application/x-dat"}) == "application/x-dat"
    assert media_type_for("ROBOTS.TXT", {"Robots.Txt": "text/x-robots"}) == (
        "text/x-robots; charset=utf-8"
    )


def test_override_with_charset_is_kept() -> None:
    overrides = {".txt": "text/plain; charset=latin-1"}
    assert media_type_for("a.txt", overrides) == "text/plain; charset=latin-1"


def test_longest_suffix_wins() -> None:
    overrides = {".tar.gz": "application/x-gtar"}
    assert media_type_for("archive.tar.gz", overrides) == "application/x-gtar"
    assert media_type_for("archive.gz", overrides) == "application/gzip"
    assert media_type_for("archive.TAR.GZ", overrides) == "application/x-gtar"


def test_full_name_wins_over_extension() -> None:
    overrides = {"special.json": "application/x-special"}
    assert media_type_for("special.json", overrides) == "application/x-special"
    assert media_type_for("other.json", overrides) == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    "media_type",
    [
        "text/plain",
        "text/html; level=1",
        "TEXT/CSS",
        "application/javascript",
        "application/x-javascript",
        "application/json",
        "application/xml",
        "application/ld+json",
        "application/manifest+json",
        "application/problem+json",
        "application/atom+xml",
        "image/svg+xml",
        "application/yaml",
    ],
)
def test_is_text_like(media_type: str) -> None:
    assert is_text_like(media_type)


@pytest.mark.parametrize(
    "media_type",
    [
        "image/png",
        "font/woff2",
        "application/wasm",
        "application/octet-stream",
        "application/zip",
        "application/epub+zip",
        "video/mp4",
        "text",
        "",
    ],
)
def test_is_not_text_like(media_type: str) -> None:
    assert not is_text_like(media_type)


def test_lookups_never_use_mimetypes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("the mimetypes module must not be consulted")

    for name in ("guess_type", "guess_file_type", "guess_extension", "init", "read_mime_types"):
        if hasattr(mimetypes, name):
            monkeypatch.setattr(mimetypes, name, refuse)
    monkeypatch.setattr(mimetypes, "MimeTypes", refuse)

    assert media_type_for("app.js") == "text/javascript; charset=utf-8"
    assert media_type_for("image.png") == "image/png"
    assert media_type_for("unknown.qqq") == "application/octet-stream"
    assert media_type_for("apple-app-site-association", charset=None) == "application/json"


def test_module_does_not_import_mimetypes() -> None:
    tree = ast.parse(inspect.getsource(media_types))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert "mimetypes" not in imported
    assert imported <= {"__future__", "collections.abc"}


def test_generated_module_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_reports_a_stale_module(tmp_path: Path) -> None:
    nginx_copy = (REPO_ROOT / "scripts" / "nginx-mime-types.txt").read_text(encoding="utf-8")
    changed = tmp_path / "mime.types"
    changed.write_text(nginx_copy.replace("}", "    text/x-extra qqq;\n}"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--mime-types", str(changed)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert len(result.stdout.strip().splitlines()) == 1
    assert "out of date" in result.stdout


def test_all_exports() -> None:
    assert sorted(media_types.__all__) == ["DEFAULT_MEDIA_TYPES", "is_text_like", "media_type_for"]
