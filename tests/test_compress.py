"""``ferrostatic compress``: the variants it writes, what it skips, and when it does nothing.

The command runs as a subprocess (``python -m ferrostatic compress``), as a deploy script would
run it; the Python API (``compress_files``, ``compress_tree``) is called in-process. Variants
are served with ``Content-Encoding`` (RFC 9110 §8.4.1): br is RFC 7932, zstd RFC 8878 (with the
8 MiB window limit of RFC 9659), gzip RFC 1952.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import brotli
import pytest

from ferrostatic.compress import (
    STATE_FILE,
    CompressSummary,
    compress_files,
    compress_tree,
)

from .conftest import run_cli

if sys.version_info >= (3, 14):
    from compression import zstd as _zstd

    def unzstd(data: bytes) -> bytes:
        """Decode a zstd frame with the standard library."""
        return _zstd.decompress(data)
else:
    import zstandard

    def unzstd(data: bytes) -> bytes:
        """Decode a zstd frame with the zstandard package."""
        return zstandard.ZstdDecompressor().decompress(data)


# FERROSTATIC_TEST_BACKENDS=python is a run without the compiled core (see conftest.py).
needs_core = pytest.mark.skipif(
    "rust" not in os.environ.get("FERROSTATIC_TEST_BACKENDS", "rust,python").split(","),
    reason="needs the compiled core",
)

CSS = b"".join(
    b".rule-%d { color: #%06x; margin: %dpx }\n" % (i, i * 77, i % 9) for i in range(400)
)
JS = b"function f(a) { return a * 2 + 1; }\n" * 300


ferrostatic = run_cli


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small build folder: text worth compressing, and things that are not."""
    root = tmp_path / "site"
    (root / "css").mkdir(parents=True)
    (root / "js" / "vendor").mkdir(parents=True)
    (root / "css" / "app.css").write_bytes(CSS)
    (root / "js" / "app.js").write_bytes(JS)
    (root / "js" / "vendor" / "lib.js").write_bytes(JS + b"// vendor\n")
    (root / "logo.png").write_bytes(CSS)  # compressible bytes, but a compressed format by name
    (root / "noise.bin").write_bytes(os.urandom(4096))
    (root / ".env").write_bytes(CSS)
    (root / ".cache").mkdir()
    (root / ".cache" / "x.css").write_bytes(CSS)
    return root


def variants(root: Path) -> set[str]:
    """The variant files under ``root``, relative, ``/``-separated."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.suffix in (".br", ".zst", ".gz")
    }


def test_variants_decode_to_their_source(site: Path) -> None:
    """Each variant is a valid stream of its coding that decodes to the source's bytes."""
    result = ferrostatic("compress", site)
    assert result.returncode == 0, result.stderr
    css = site / "css" / "app.css"
    assert brotli.decompress((site / "css" / "app.css.br").read_bytes()) == css.read_bytes()
    assert unzstd((site / "css" / "app.css.zst").read_bytes()) == css.read_bytes()
    assert gzip.decompress((site / "css" / "app.css.gz").read_bytes()) == css.read_bytes()


def test_gzip_header_is_deterministic(site: Path) -> None:
    """RFC 1952 §2.3: no FNAME flag, MTIME 0, XFL 2 (densest), OS 255 (unknown): the bytes do
    not depend on when or where they were made."""
    ferrostatic("compress", site, "--formats", "gz")
    header = (site / "js" / "app.js.gz").read_bytes()[:10]
    assert header == bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 2, 255])


@needs_core
def test_python_fallback_writes_the_same_gzip_and_zstd(site: Path, tmp_path: Path) -> None:
    """The pure-Python codecs (stdlib zlib, zstandard) write byte-identical gzip and zstd, so
    every host gets the same ETags; brotli from either side decodes to the source."""
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(site), str(copy)], check=True)
    assert ferrostatic("compress", site, env={"FERROSTATIC_BACKEND": "rust"}).returncode == 0
    fallback = ferrostatic("compress", copy, env={"FERROSTATIC_BACKEND": "python"})
    assert fallback.returncode == 0, fallback.stderr
    for name in ("css/app.css", "js/app.js"):
        for suffix in (".gz", ".zst"):
            assert (site / (name + suffix)).read_bytes() == (copy / (name + suffix)).read_bytes()
        source = (site / name).read_bytes()
        assert brotli.decompress((copy / (name + ".br")).read_bytes()) == source


def test_variant_mtime_is_the_sources(site: Path) -> None:
    """A variant carries its source's modification time: never older (the server would call
    it stale), and the same on every rebuild."""
    os.utime(site / "js" / "app.js", ns=(1_700_000_000_000_000_000, 1_700_000_000_123_456_789))
    ferrostatic("compress", site)
    for suffix in (".br", ".zst", ".gz"):
        variant = (site / "js" / ("app.js" + suffix)).stat()
        assert variant.st_mtime_ns == 1_700_000_000_123_456_789


def test_skips_what_is_not_worth_it(site: Path) -> None:
    """Compressed formats by name, hidden files and folders, and output over 95% of the input
    (random bytes) get no variant."""
    ferrostatic("compress", site)
    assert variants(site) == {
        f"{name}{suffix}"
        for name in ("css/app.css", "js/app.js", "js/vendor/lib.js")
        for suffix in (".br", ".zst", ".gz")
    }
    assert (site / STATE_FILE).is_file()


def test_stale_variant_removed_when_no_longer_worth_it(site: Path) -> None:
    """A source that stops compressing well loses its old variants: they would be stale."""
    ferrostatic("compress", site)
    app = site / "js" / "app.js"
    app.write_bytes(os.urandom(len(JS)))
    os.utime(app, ns=(app.stat().st_atime_ns, app.stat().st_mtime_ns + 10**9))
    ferrostatic("compress", site)
    assert not any(name.startswith("js/app.js.") for name in variants(site))


def test_incremental_runs_leave_up_to_date_variants_alone(site: Path) -> None:
    """A second run writes nothing; a changed source is redone; --force redoes everything."""
    first = ferrostatic("compress", site)
    assert "9 written, 0 up to date, 3 not worth it" in first.stdout
    before = (site / "css" / "app.css.br").stat().st_ino
    second = ferrostatic("compress", site)
    assert "0 written, 12 up to date, 0 not worth it" in second.stdout
    assert (site / "css" / "app.css.br").stat().st_ino == before
    css = site / "css" / "app.css"
    css.write_bytes(CSS + b"/* edited */\n")
    assert "3 written, 9 up to date" in ferrostatic("compress", site).stdout
    assert brotli.decompress((site / "css" / "app.css.br").read_bytes()).endswith(b"edited */\n")
    assert (
        "9 written, 0 up to date, 3 not worth it" in ferrostatic("compress", site, "--force").stdout
    )


def test_other_settings_redo_the_variant(site: Path) -> None:
    """A variant recorded with other settings (another level or codec) is made again."""
    ferrostatic("compress", site, "--formats", "gz")
    state_path = site / "css" / STATE_FILE
    state = json.loads(state_path.read_text())
    state["files"]["app.css"]["variants"]["gzip"]["settings"] = "gzip level 1, elsewhere"
    state_path.write_text(json.dumps(state))
    again = ferrostatic("compress", site, "--formats", "gz")
    assert "1 written, 3 up to date" in again.stdout


def test_include_and_exclude_globs(site: Path) -> None:
    """--include keeps matching files only; --exclude drops files and whole folders; both
    match the path relative to DIR or the bare name."""
    result = ferrostatic(
        "compress", site, "--include", "*.js", "--exclude", "js/vendor", "--formats", "gz"
    )
    assert result.returncode == 0, result.stderr
    assert variants(site) == {"js/app.js.gz"}


def test_formats_accept_aliases_and_reject_unknown(site: Path) -> None:
    """``zst``/``zstd`` and ``gz``/``gzip`` name the same format; an unknown one is a usage
    error on one line."""
    assert ferrostatic("compress", site, "--formats", "zst,gzip").returncode == 0
    assert {name.rsplit(".", 1)[1] for name in variants(site)} == {"zst", "gz"}
    bad = ferrostatic("compress", site, "--formats", "lzma")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "lzma" in bad.stderr


def blocked(tmp_path: Path, *modules: str) -> dict[str, str]:
    """Environment making ``modules`` fail to import, as if they were not installed."""
    shadow = tmp_path / "shadow"
    shadow.mkdir(exist_ok=True)
    for module in modules:
        (shadow / f"{module}.py").write_text("raise ImportError('not installed')\n")
    path = os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep)}


def test_fallback_without_packages_skips_formats_and_says_why(site: Path, tmp_path: Path) -> None:
    """Without the compiled core, brotli or zstandard, those formats are skipped with one line
    each; gzip (standard library) is still written. Asked for by name, a missing one is an
    error."""
    env = {"FERROSTATIC_BACKEND": "python", **blocked(tmp_path, "brotli", "zstandard")}
    result = ferrostatic("compress", site, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert (
        lines[0].startswith("ferrostatic compress: skipping br:")
        and "pip install brotli" in lines[0]
    )
    assert lines[1].startswith("ferrostatic compress: skipping zstd:")
    assert {name.rsplit(".", 1)[1] for name in variants(site)} == {"gz"}
    asked = ferrostatic("compress", site, "--formats", "br", env=env)
    assert asked.returncode == 2 and "cannot write br" in asked.stderr


def test_progress_bar_only_on_a_terminal(site: Path) -> None:
    """The bar is drawn on stderr when it is a terminal; piped, only the summary is printed;
    -q prints nothing at all."""
    pty = pytest.importorskip("pty")
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "ferrostatic", "compress", str(site)],
        stdout=subprocess.PIPE,
        stderr=terminal,
    ) as proc:
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        assert proc.wait(60) == 0
    os.close(controller)
    assert b"compressing [" in drawn and b"4/4" in drawn
    piped = ferrostatic("compress", site, "--force")
    assert piped.stderr == "" and piped.stdout.count("\n") == 1
    quiet = ferrostatic("compress", site, "--force", "-q")
    assert quiet.stdout == quiet.stderr == ""


def test_missing_directory_is_one_line(tmp_path: Path) -> None:
    """A folder that does not exist: one line naming it, exit code 2, no traceback."""
    result = ferrostatic("compress", tmp_path / "nope")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr


def test_compress_files_api(site: Path) -> None:
    """``compress_files`` compresses exactly the files given, under the same skip rules, and
    prints nothing."""
    summary = compress_files(
        [site / "js" / "app.js", str(site / "logo.png"), site / ".env"], formats=("br", "gz")
    )
    assert isinstance(summary, CompressSummary)
    assert summary.files == 1 and summary.variants_written == 2
    assert variants(site) == {"js/app.js.br", "js/app.js.gz"}
    assert summary.bytes_before == len(JS) > summary.bytes_after
    assert summary.skipped_formats == () and summary.errors == ()
    again = compress_files([site / "js" / "app.js"], formats=("brotli", "gzip"))
    assert again.variants_written == 0 and again.variants_skipped == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.files = 3  # type: ignore[misc]


def test_compress_tree_api(site: Path) -> None:
    """``compress_tree`` takes the same globs as the command; a missing root raises."""
    summary = compress_tree(site, formats=("zstd",), include=("app.*",), jobs=2)
    assert summary.files == 2 and summary.variants_written == 2
    assert dict(summary.bytes_by_format)["zstd"] == summary.bytes_after
    with pytest.raises(FileNotFoundError):
        compress_tree(site / "missing")
    with pytest.raises(ValueError, match="unknown compression format"):
        compress_tree(site, formats=("lzw",))


@needs_core
def test_codec_releases_the_gil() -> None:
    """``_core.compress`` lets other threads run while it works (what makes ``-j`` parallel):
    this thread keeps running all along, with no pause of even half the compression time (a
    codec holding the GIL would stop it for all of it)."""
    from ferrostatic import _core

    data = random.Random(1).randbytes(150_000).hex().encode()
    span: list[float] = []

    def work() -> None:
        span.append(time.perf_counter())
        _core.compress(data, "br", 11)
        span.append(time.perf_counter())

    thread = threading.Thread(target=work)
    thread.start()
    stamps = []
    while thread.is_alive():
        stamps.append(time.perf_counter())
    thread.join()
    begin, end = span
    moments = [begin, *(stamp for stamp in stamps if begin < stamp < end), end]
    longest_pause = max(later - earlier for earlier, later in itertools.pairwise(moments))
    assert longest_pause < (end - begin) / 2


@needs_core
def test_core_codec_rejects_bad_arguments() -> None:
    """Unknown formats and levels out of range are ValueErrors naming the argument."""
    from ferrostatic import _core

    with pytest.raises(ValueError, match="format"):
        _core.compress(b"x", "gz")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        _core.compress(b"x", "zstd", 23)
    assert gzip.decompress(_core.compress(b"", "gzip")) == b""
