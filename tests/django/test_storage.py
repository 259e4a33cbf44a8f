"""The compressing storages during ``collectstatic``: variants, hashed names, the manifest,
keeping only hashed files, and references to missing files."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from ..conftest import write_tree
from .conftest import Collected, collect, storages

GZIP_ONLY = {"FERROSTATIC_COMPRESS_FORMATS": ["gzip"]}  # quicker where br is not the point


def test_variants_are_written(collected: Collected) -> None:
    """Text files get .br and .gz siblings (the formats the project asks for), with the
    source's bytes inside; PNG, already compressed, gets none."""
    for name in ("admin/css/base.css", "shop/js/app.js", "x.css"):
        assert (collected.root / (name + ".br")).is_file(), name
        assert gzip.decompress(collected.file(name + ".gz")) == collected.file(name), name
    assert not list(collected.root.glob("shop/img/dot*.png.*"))
    assert not list(collected.root.rglob("*.zst"))  # not asked for


def test_manifest_storage_hashes_and_compresses_hashed_names(collected: Collected) -> None:
    """The manifest storage's hashed files are compressed too, references rewritten."""
    if collected.kind == "plain":
        assert not (collected.root / "staticfiles.json").exists()
        return
    hashed_css = collected.hashed("shop/css/site.css")
    assert hashed_css != "shop/css/site.css"
    assert (collected.root / (hashed_css + ".br")).is_file()
    css = collected.file(hashed_css).decode()
    assert collected.hashed("shop/img/dot.png").rsplit("/", 1)[1] in css
    assert collected.hashed("shop/css/site.css.map").rsplit("/", 1)[1] in css


def test_second_run_leaves_up_to_date_variants(tmp_path: Path, extra_static: Path) -> None:
    """A second collectstatic does not make the variants again."""
    first = collect("plain", tmp_path / "root", extra_static, **GZIP_ONLY)
    variant = first.root / "shop" / "js" / "app.js.gz"
    made = variant.stat().st_mtime_ns
    collect("plain", tmp_path / "root", extra_static, **GZIP_ONLY)
    assert variant.stat().st_mtime_ns == made


def test_keep_only_hashed_files(tmp_path: Path, extra_static: Path) -> None:
    """``FERROSTATIC_KEEP_ONLY_HASHED_FILES``: the unhashed copies (and their variants) are
    deleted; the hashed ones, the manifest and what was never hashed stay."""
    collected = collect(
        "manifest",
        tmp_path / "root",
        extra_static,
        FERROSTATIC_KEEP_ONLY_HASHED_FILES=True,
        **GZIP_ONLY,
    )
    root = collected.root
    assert not (root / "shop" / "js" / "app.js").exists()
    assert not (root / "shop" / "js" / "app.js.gz").exists()
    hashed = collected.hashed("shop/js/app.js")
    assert (root / hashed).is_file() and (root / (hashed + ".gz")).is_file()
    assert (root / "staticfiles.json").is_file()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A script whose source map was not shipped."""
    return write_tree(
        tmp_path / "broken",
        {"lib/broken.js": "var x = 1;\n//# sourceMappingURL=broken.js.map\n"},
    )


def test_missing_reference_names_the_referring_file(tmp_path: Path, broken: Path) -> None:
    """A reference to a file that is not among the static files fails collectstatic, naming
    the file that refers to it and the setting that tolerates it (Django 6 re-raises it as a
    CommandError)."""
    with pytest.raises((ValueError, CommandError), match="FERROSTATIC_MANIFEST_STRICT") as caught:
        collect("manifest", tmp_path / "root", broken)
    message = str(caught.value)
    assert "'lib/broken.js' refers to 'broken.js.map'" in message


def test_missing_reference_tolerated(
    tmp_path: Path, broken: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``FERROSTATIC_MANIFEST_STRICT = False``: the reference is left as it is, once warned."""
    with caplog.at_level(logging.WARNING, logger="ferrostatic"):
        collected = collect(
            "manifest", tmp_path / "root", broken, FERROSTATIC_MANIFEST_STRICT=False, **GZIP_ONLY
        )
    warnings = [r.getMessage() for r in caplog.records if "broken.js.map" in r.getMessage()]
    assert len(warnings) == 1 and "'lib/broken.js'" in warnings[0]
    hashed = collected.hashed("lib/broken.js")
    assert collected.file(hashed).endswith(b"//# sourceMappingURL=broken.js.map\n")


def test_dry_run_writes_nothing(tmp_path: Path, extra_static: Path) -> None:
    """``collectstatic --dry-run`` neither copies nor compresses."""
    root = tmp_path / "root"
    with override_settings(
        STATIC_ROOT=str(root), STORAGES=storages("manifest"), STATICFILES_DIRS=[str(extra_static)]
    ):
        call_command("collectstatic", interactive=False, verbosity=0, dry_run=True)
    assert not root.exists() or not list(root.rglob("*.br"))


def test_manifest_is_json(collected: Collected) -> None:
    """The manifest the server reads for immutability is the storage's own."""
    if collected.kind == "manifest":
        manifest = json.loads((collected.root / "staticfiles.json").read_text())
        assert manifest["paths"]["admin/css/base.css"].startswith("admin/css/base.")
