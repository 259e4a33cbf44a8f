"""``ferrostatic validate DIR``: a pre-flight check that says what will and will not be served."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ferrostatic.compress import STATE_FILE, compress_tree
from ferrostatic.validate import validate

from .conftest import run_cli

CHECKS = [
    "directory",
    "options",
    "files",
    "unreadable",
    "stale_variants",
    "larger_variants",
    "hidden",
    "outside_symlinks",
    "media_types",
    "manifest",
    "router",
    "codecs",
]


ferrostatic = run_cli


def levels(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Check name → level, from ``--json`` output."""
    return {check["name"]: check["level"] for check in json.loads(result.stdout)["checks"]}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A clean build folder, compressed."""
    root = tmp_path / "site"
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>x</title>\n" * 20)
    (root / "css" / "app.css").write_text("body { color: red }\n" * 50)
    compress_tree(root)
    return root


def test_clean_folder_passes(site: Path) -> None:
    """A clean folder: one OK line per check, a summary line, exit code 0."""
    result = ferrostatic("validate", site)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["OK", name] for name in CHECKS]
    assert "2 files" in lines[2] and "6 pre-compressed variants" in lines[2]
    assert lines[-1] == "validate: 0 warnings, 0 failures"


def test_warnings_and_strict(site: Path, tmp_path: Path) -> None:
    """Stale and oversized variants, hidden files, links out of the folder and files with no
    media type are warnings (exit 0); --strict makes them failures (exit 1). ferrostatic's own
    state files are not reported as hidden."""
    css = site / "css" / "app.css"
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 10**9))
    (site / "index.html.gz").write_bytes(os.urandom(5000))
    (site / ".env").write_text("SECRET=1\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    (site / "link.txt").symlink_to(outside)
    (site / "data.unknownext").write_bytes(b"\0")
    result = ferrostatic("validate", site, "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    found = {check["name"]: check for check in report["checks"]}
    assert found["stale_variants"]["items"] == [
        "css/app.css.br",
        "css/app.css.gz",
        "css/app.css.zst",
    ]
    assert found["larger_variants"]["level"] == "warn"
    assert found["larger_variants"]["items"][0].startswith("index.html.gz (5000 > ")
    assert found["hidden"]["items"] == [".env"]
    assert found["outside_symlinks"]["items"] == ["link.txt"]
    assert found["media_types"]["items"] == ["data.unknownext"]
    assert report["summary"] == {"ok": 7, "warn": 5, "fail": 0} and report["ok"] is True
    assert (site / STATE_FILE).exists()
    strict = ferrostatic("validate", site, "--strict")
    assert strict.returncode == 1
    assert (
        "FAIL  stale_variants" in strict.stdout
        and "validate: 0 warnings, 5 failures" in strict.stdout
    )


def test_invalid_options_fail(site: Path) -> None:
    """The option flags are those of ``serve``; a value ``Config`` rejects is a FAIL naming it
    (exit 1), and the other checks still run with the defaults."""
    result = ferrostatic("validate", site, "--prefix", "static", "--json")
    assert result.returncode == 1
    found = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert found["options"]["level"] == "fail" and "prefix" in found["options"]["message"]
    assert found["files"]["level"] == "ok"
    fine = ferrostatic(
        "validate", site, "--prefix", "/static/", "--max-memory-file-size", "1M",
        "--mime-type", ".unknownext=application/x-thing", "--no-index-file",
        "--health-check-path", "/healthz", "--html-extension-fallback",
    )  # fmt: skip
    assert fine.returncode == 0, fine.stdout


def test_undecodable_name_fails(site: Path) -> None:
    """A file whose name is not UTF-8 cannot be served: a FAIL, exit code 1."""
    os.close(os.open(os.path.join(os.fsencode(site), b"caf\xe9.txt"), os.O_CREAT | os.O_WRONLY))
    result = ferrostatic("validate", site, "--json")
    assert result.returncode == 1 and levels(result)["unreadable"] == "fail"


def test_django_manifest(site: Path) -> None:
    """Entries of Django's staticfiles.json (found in DIR) that are not served are a FAIL."""
    manifest = {
        "paths": {"css/app.css": "css/app.css", "a.js": "a.0123456789ab.js"},
        "version": "1.1",
    }
    (site / "staticfiles.json").write_text(json.dumps(manifest))
    result = ferrostatic("validate", site, "--json")
    assert result.returncode == 1
    check = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "manifest")
    assert check["items"] == ["a.0123456789ab.js (missing)"]
    assert "Django staticfiles 1.1" in check["message"]


def test_vite_and_webpack_manifests(site: Path, tmp_path: Path) -> None:
    """A Vite manifest (.vite/manifest.json) and a webpack one (--manifest) are checked too;
    a web app manifest named manifest.json is recognised as something else and left alone."""
    vite = site / ".vite"
    vite.mkdir()
    (vite / "manifest.json").write_text(
        json.dumps({"src/main.ts": {"file": "css/app.css", "css": ["assets/gone.css"]}})
    )
    result = ferrostatic("validate", site, "--json")
    check = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "manifest")
    assert check["level"] == "fail" and check["items"] == ["assets/gone.css (missing)"]
    (vite / "manifest.json").unlink()
    webpack = tmp_path / "webpack.json"
    webpack.write_text(json.dumps({"main.css": "/static/css/app.css", "cdn": "https://x/y.js"}))
    ok = ferrostatic("validate", site, "--prefix", "/static/", "--manifest", webpack)
    assert ok.returncode == 0 and "(webpack): all 1 entries served" in ok.stdout
    (site / "manifest.json").write_text(json.dumps({"name": "App", "icons": [{"src": "i.png"}]}))
    pwa = ferrostatic("validate", site)
    assert pwa.returncode == 0 and "not a Django, webpack or Vite manifest" in pwa.stdout


def test_json_schema(site: Path) -> None:
    """``--json`` prints the documented, stable schema."""
    report = json.loads(ferrostatic("validate", site, "--json").stdout)
    assert set(report) == {
        "schema", "directory", "ok", "strict", "summary", "files", "router", "codecs", "checks",
    }  # fmt: skip
    assert report["schema"] == 1 and report["files"]["count"] == 2
    assert [check["name"] for check in report["checks"]] == CHECKS
    assert set(report["codecs"]) == {"br", "zstd", "gzip"}
    for check in report["checks"]:
        assert set(check) == {"name", "level", "message", "items"}
        assert check["level"] in ("ok", "warn", "fail")


@pytest.mark.skipif(
    "rust" not in os.environ.get("FERROSTATIC_TEST_BACKENDS", "rust,python").split(","),
    reason="needs the compiled core",
)
def test_router_and_codecs_reported(site: Path) -> None:
    """The report says which router and which codecs this environment has."""
    rust = json.loads(
        ferrostatic("validate", site, "--json", env={"FERROSTATIC_BACKEND": "rust"}).stdout
    )
    assert rust["router"] == "rust" and rust["codecs"]["br"].startswith("rust")
    python = ferrostatic("validate", site, "--json", env={"FERROSTATIC_BACKEND": "python"})
    report = json.loads(python.stdout)
    assert report["router"] == "python" and report["codecs"]["gzip"].startswith("python (zlib")


def test_missing_directory(tmp_path: Path) -> None:
    """A missing folder: one line on stderr and exit code 2; with --json, a report too."""
    result = ferrostatic("validate", tmp_path / "nope")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr
    as_json = ferrostatic("validate", tmp_path / "nope", "--json")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["ok"] is False


def test_api(site: Path) -> None:
    """``validate()`` returns the same report in-process."""
    report = validate(site, {"cache_max_age": 10})
    assert report.ok and report.files == 2
    assert [check.name for check in report.checks] == CHECKS
