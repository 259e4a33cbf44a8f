"""Pre-compressed variants: ``name.br``, ``name.zst`` and ``name.gz`` beside the files they shrink.

``compress_tree(root)`` compresses a folder, ``compress_files(paths)`` a list of files; both skip
what is not worth compressing, leave alone what is up to date, and write every variant
atomically with its source's modification time, so a server never sees half a file or a
variant that looks newer than what it was made from.

The codecs run in the compiled core (``ferrostatic._core.compress``, which releases the GIL).
Without it (or with ``FERROSTATIC_BACKEND=python``) gzip comes from the standard library, brotli
from the ``brotli`` package and zstd from ``compression.zstd`` (Python 3.14+) or the
``zstandard`` package; a format with no codec is skipped, and the reason logged.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import json
import logging
import os
import stat
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from ._index import has_surrogates as _has_surrogates
from ._index import inside as _inside

__all__ = [
    "FORMATS",
    "LEVELS",
    "SKIP_EXTENSIONS",
    "STATE_FILE",
    "SUFFIXES",
    "Codec",
    "CompressSummary",
    "compress_files",
    "compress_tree",
    "find_codecs",
    "normalize_formats",
]

logger = logging.getLogger("ferrostatic")

Format = Literal["br", "zstd", "gzip"]

FORMATS: tuple[Format, ...] = ("br", "zstd", "gzip")
"""Every format, in the order variants are preferred when sizes tie."""

SUFFIXES: dict[Format, str] = {"br": ".br", "zstd": ".zst", "gzip": ".gz"}

LEVELS: dict[Format, int] = {"br": 11, "zstd": 19, "gzip": 9}
"""The densest level of each: a variant is built once and served many times. zstd stops at 19,
the highest level whose window stays within the 8 MiB a browser must accept (RFC 9659 §3)."""

_ALIASES: dict[str, Format] = {
    "br": "br",
    "brotli": "br",
    "zstd": "zstd",
    "zst": "zstd",
    "gzip": "gzip",
    "gz": "gzip",
}

MAX_RATIO = 0.95
"""A variant is written only if it is at most this fraction of its source's size."""

# fmt: off
SKIP_EXTENSIONS = frozenset(
    {
        # images whose format is already compressed (SVG, BMP, ICO and TIFF are not skipped)
        "jpg", "jpeg", "jpe", "jfif", "pjpeg", "png", "apng", "gif", "webp", "avif", "jxl",
        "heic", "heif", "svgz",
        # fonts with compression built in (TTF, OTF and EOT are not skipped)
        "woff", "woff2",
        # archives and compressed streams, this tool's own variants included
        "zip", "gz", "tgz", "br", "zst", "zstd", "bz2", "tbz", "tbz2", "xz", "txz", "lz",
        "lzma", "lz4", "7z", "rar", "cab", "dmg", "jar", "war", "apk", "whl", "xpi", "crx",
        "epub", "docx", "xlsx", "pptx", "odt", "ods", "odp",
        # audio and video
        "mp3", "mp4", "m4a", "m4v", "m4s", "aac", "ogg", "oga", "ogv", "opus", "flac", "webm",
        "mkv", "mov", "avi", "wmv", "wma", "mpg", "mpeg", "3gp", "3g2", "flv", "swf",
    }
)
# fmt: on
"""Extensions (lower case, no dot) never compressed: their content is compressed already.
PDF is not listed: some shrink by half, others not at all, and the 95% rule tells them apart;
nor is ``.ts``, which is TypeScript as often as it is an MPEG transport stream."""

STATE_FILE = ".ferrostatic-compress.json"
"""Per directory: how each variant in it was made (hidden, so never served)."""

_STATE_VERSION = 1
_READ_ATTEMPTS = 3


# --- Codecs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec:
    """One way of compressing a format: ``function(data, level) -> bytes``."""

    format: Format
    implementation: str
    """``rust`` or ``python``, and the library and its version."""
    function: Callable[[bytes, int], bytes] = field(repr=False, compare=False)

    def settings(self, level: int) -> str:
        """What made a variant, as the state file records it: same settings, same bytes."""
        return f"{self.format} level {level}, {self.implementation}"


def normalize_formats(formats: Iterable[str]) -> tuple[Format, ...]:
    """``br``/``brotli``, ``zstd``/``zst``, ``gzip``/``gz`` to canonical names, in
    ``FORMATS`` order, without repeats; ValueError naming an unknown one."""
    if isinstance(formats, str):
        formats = formats.split(",")
    wanted: set[Format] = set()
    for name in formats:
        key = name.strip().lower()
        if key not in _ALIASES:
            raise ValueError(
                f"unknown compression format {name!r}; use br, zstd (or zst), gzip (or gz)"
            )
        wanted.add(_ALIASES[key])
    return tuple(fmt for fmt in FORMATS if fmt in wanted)


def find_codecs(
    formats: Iterable[str] = FORMATS,
) -> tuple[dict[Format, Codec], dict[Format, str]]:
    """The codec for each wanted format, and for each one without a codec, why."""
    wanted = normalize_formats(formats)
    found: dict[Format, Codec] = {}
    missing: dict[Format, str] = {}
    rust, why_not_rust = _rust_codec()
    for fmt in wanted:
        if rust is not None:
            found[fmt] = Codec(fmt, rust[0], _bind(rust[1], fmt))
            continue
        codec, reason = _python_codec(fmt)
        if codec is None:
            missing[fmt] = f"{why_not_rust}, and {reason}"
        else:
            found[fmt] = codec
    return found, missing


def _bind(
    function: Callable[[bytes, str, int], bytes], fmt: Format
) -> Callable[[bytes, int], bytes]:
    return lambda data, level: function(data, fmt, level)


def _rust_codec() -> tuple[tuple[str, Callable[[bytes, str, int], bytes]] | None, str]:
    from . import __version__, _backend

    if _backend.BACKEND != "rust":
        wanted = os.environ.get("FERROSTATIC_BACKEND", "").strip().lower()
        if wanted == "python":
            return None, "the compiled core is not used (FERROSTATIC_BACKEND=python)"
        return None, "the compiled core is not available"
    from . import _core

    function = getattr(_core, "compress", None)
    if function is None:  # a core built before the codecs existed
        return None, "the compiled core has no codecs (rebuild it: pip install -e .)"
    return (f"rust (ferrostatic {__version__})", function), ""


def _python_codec(fmt: Format) -> tuple[Codec | None, str]:
    if fmt == "gzip":
        return Codec("gzip", f"python (zlib {zlib.ZLIB_RUNTIME_VERSION})", _gzip), ""
    if fmt == "br":
        brotli = _optional("brotli")
        if brotli is None:
            return None, "the brotli package is not installed (pip install brotli)"
        version = getattr(brotli, "__version__", "?")

        def compress_br(data: bytes, level: int) -> bytes:
            return bytes(brotli.compress(data, quality=level))

        return Codec("br", f"python (brotli {version})", compress_br), ""
    if sys.version_info >= (3, 14):
        stdlib_zstd = _optional("compression.zstd")
        if stdlib_zstd is not None:
            version = getattr(stdlib_zstd, "zstd_version", "?")
            implementation = f"python (compression.zstd, libzstd {version})"
            return Codec("zstd", implementation, _stdlib_zstd(stdlib_zstd)), ""
    zstandard = _optional("zstandard")
    if zstandard is None:
        return None, "the zstandard package is not installed (pip install zstandard)"
    return Codec("zstd", f"python (zstandard {zstandard.__version__})", _zstandard(zstandard)), ""


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _gzip_header(level: int) -> bytes:
    """RFC 1952 §2.3: no name, mtime 0, OS 255 ("unknown"): the same bytes on every host.
    XFL is 2 for the densest level and 4 for the fastest, as the core writes it."""
    extra_flags = 2 if level == 9 else 4 if level == 1 else 0
    return bytes((0x1F, 0x8B, 8, 0, 0, 0, 0, 0, extra_flags, 255))


def _gzip(data: bytes, level: int) -> bytes:
    # zlib's defaults (memory level 8, default strategy) are the core's: the same deflate bytes.
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _gzip_header(level) + body + trailer


# RFC 9659 §3: a zstd content coding must not need a window larger than 8 MiB (2**23).
_ZSTD_MAX_WINDOW_LOG = 23
_ZSTD_LAST_LEVEL_IN_WINDOW = 19


def _zstandard(module: Any) -> Callable[[bytes, int], bytes]:
    def compress_zstd(data: bytes, level: int) -> bytes:
        if level > _ZSTD_LAST_LEVEL_IN_WINDOW:
            params = module.ZstdCompressionParameters.from_level(
                level, source_size=len(data), window_log=_ZSTD_MAX_WINDOW_LOG
            )
            compressor = module.ZstdCompressor(compression_params=params)
        else:
            compressor = module.ZstdCompressor(level=level)
        return bytes(compressor.compress(data))

    return compress_zstd


def _stdlib_zstd(module: Any) -> Callable[[bytes, int], bytes]:
    def compress_zstd(data: bytes, level: int) -> bytes:
        # One call with the whole input: libzstd then writes the content size in the header.
        options = {module.CompressionParameter.compression_level: level}
        if level > _ZSTD_LAST_LEVEL_IN_WINDOW:
            options[module.CompressionParameter.window_log] = _ZSTD_MAX_WINDOW_LOG
        return bytes(module.compress(data, options=options))

    return compress_zstd


# --- The summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompressSummary:
    """What a run did.

    ``files`` were considered (after the skip rules); each has one variant per available
    format, ``variants_written`` now, the others ``variants_skipped``: up to date
    (``variants_up_to_date`` of them) or not worth it (larger than 95% of the source).
    ``bytes_before`` adds up the files' sizes, ``bytes_after`` the smallest representation of
    each (its best variant, or itself), and ``bytes_by_format`` the same for one format at a
    time. ``skipped_formats`` had no codec (the reason is logged); ``errors`` names each file
    that could not be read or whose variant could not be written, with the reason.
    """

    files: int
    variants_written: int
    variants_skipped: int
    bytes_before: int
    bytes_after: int
    seconds: float
    skipped_formats: tuple[str, ...] = ()
    variants_up_to_date: int = 0
    bytes_by_format: tuple[tuple[str, int], ...] = ()
    errors: tuple[str, ...] = ()


# --- Public entry points ----------------------------------------------------------------------


def compress_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    formats: Sequence[str] = FORMATS,
    jobs: int | None = None,
    force: bool = False,
) -> CompressSummary:
    """Write the variants of exactly these files (those the skip rules let through).

    A variant made earlier with the same settings and not older than its source is left alone
    unless ``force``. ``jobs`` threads compress in parallel (default: one per core). Nothing is
    printed; a file that cannot be read or written is reported in ``errors``.
    """
    sources: dict[str, None] = {}
    for path in paths:
        absolute = os.path.abspath(os.fspath(path))
        if _eligible_name(os.path.basename(absolute)):
            sources.setdefault(absolute, None)
    return _run(list(sources), formats, jobs, force, progress=None)


def compress_tree(
    root: str | os.PathLike[str],
    *,
    formats: Sequence[str] = FORMATS,
    jobs: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    force: bool = False,
    progress: bool = False,
) -> CompressSummary:
    """Write the variants of every file under ``root`` worth compressing.

    Hidden files and folders are skipped (``.well-known`` at the top is not: it is served),
    as are known compressed formats, symlinks leading out of ``root`` and symlinked folders.
    ``include``/``exclude`` are shell globs matched against the path relative to ``root``
    (``/``-separated; ``*`` crosses ``/``) and against the name alone: with ``include``, a
    file must match one; a file or folder matching an ``exclude`` is skipped. ``progress``
    draws a bar on stderr when it is a terminal. Raises FileNotFoundError or
    NotADirectoryError when ``root`` is not a folder.
    """
    top = os.path.abspath(os.fspath(root))
    if not os.path.isdir(top):
        if os.path.exists(top):
            raise NotADirectoryError(f"{os.fspath(root)!r} is not a directory")
        raise FileNotFoundError(f"{os.fspath(root)!r} does not exist")
    sources = list(_select(top, tuple(include), tuple(exclude)))
    bar = _Progress(sys.stderr) if progress and sys.stderr.isatty() else None
    return _run(sources, formats, jobs, force, progress=bar)


# --- Choosing files ---------------------------------------------------------------------------


def _eligible_name(name: str) -> bool:
    if not name or name.startswith(".") or _has_surrogates(name):
        return False
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return extension not in SKIP_EXTENSIONS


def _matches(patterns: tuple[str, ...], rel: str, name: str) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _select(top: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> Iterator[str]:
    real_top = os.path.realpath(top)
    for directory, folders, names in os.walk(top):
        rel_dir = os.path.relpath(directory, top).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        folders[:] = sorted(
            folder
            for folder in folders
            if (not folder.startswith(".") or (not rel_dir and folder == ".well-known"))
            and not _has_surrogates(folder)
            and not _matches(exclude, rel_dir + folder, folder)
        )
        for name in sorted(names):
            rel = rel_dir + name
            if not _eligible_name(name) or _matches(exclude, rel, name):
                continue
            if include and not _matches(include, rel, name):
                continue
            path = os.path.join(directory, name)
            if os.path.islink(path) and not _inside(os.path.realpath(path), real_top):
                continue
            yield path


# --- State: how each variant was made ---------------------------------------------------------


class _DirectoryState:
    """``STATE_FILE`` of one directory: per source file, its size and mtime when compressed,
    and per format the settings used and the variant's size (None: not worth writing)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, STATE_FILE)
        self.records: dict[str, dict[str, Any]] = {}
        self.changed = False
        try:
            with open(self.path, encoding="utf-8") as file:
                loaded = json.load(file)
            if isinstance(loaded, dict) and loaded.get("version") == _STATE_VERSION:
                files = loaded.get("files")
                if isinstance(files, dict):
                    self.records = {k: v for k, v in files.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            pass  # no state, or a damaged one: every variant here is made again

    def up_to_date(
        self, name: str, fmt: Format, settings: str, source: os.stat_result
    ) -> tuple[bool, int | None]:
        """Whether the variant needs no work, and its size (None when there is none)."""
        record = self.records.get(name)
        if record is None or record.get("source") != [source.st_size, source.st_mtime_ns]:
            return False, None
        variants = record.get("variants")
        entry = variants.get(fmt) if isinstance(variants, dict) else None
        if not isinstance(entry, dict) or entry.get("settings") != settings:
            return False, None
        target = os.path.join(self.directory, name + SUFFIXES[fmt])
        try:
            variant = os.stat(target)
        except OSError:
            return entry.get("size") is None, None
        if entry.get("size") is None:  # judged not worth it, yet something is there: redo
            return False, None
        fresh = variant.st_size == entry["size"] and variant.st_mtime_ns >= source.st_mtime_ns
        return fresh, variant.st_size

    def record(
        self, name: str, fmt: Format, settings: str, stamp: list[int], size: int | None
    ) -> None:
        entry = self.records.get(name)
        if (
            entry is None
            or entry.get("source") != stamp
            or not isinstance(entry.get("variants"), dict)
        ):
            entry = self.records[name] = {"source": stamp, "variants": {}}
        entry["variants"][fmt] = {"settings": settings, "size": size}
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        kept = {
            name: record
            for name, record in sorted(self.records.items())
            if os.path.lexists(os.path.join(self.directory, name))
        }
        if not kept:
            _remove(self.path)
            return
        text = json.dumps({"version": _STATE_VERSION, "files": kept}, sort_keys=True)
        _write_atomically(self.path, text.encode("utf-8") + b"\n", None)


# --- Doing the work ---------------------------------------------------------------------------


@dataclass
class _Outcome:
    source: str
    fmt: Format
    stamp: list[int]
    size: int | None
    """The variant's size, or None when it was not worth writing."""


@dataclass
class _File:
    path: str
    size: int
    pending: int
    sizes: dict[str, int] = field(default_factory=dict)


def _run(
    sources: list[str],
    formats: Sequence[str],
    jobs: int | None,
    force: bool,
    progress: _Progress | None,
) -> CompressSummary:
    started = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs: expected a number of threads >= 1, got {jobs}")
    codecs, missing = find_codecs(normalize_formats(formats))
    for fmt, reason in missing.items():
        logger.warning("ferrostatic compress: skipping %s: %s", fmt, reason)
    settings = {fmt: codec.settings(LEVELS[fmt]) for fmt, codec in codecs.items()}
    states: dict[str, _DirectoryState] = {}
    files: dict[str, _File] = {}
    errors: list[str] = []
    work: list[tuple[int, str, Format]] = []
    up_to_date = 0
    for path in sources:
        try:
            st = os.stat(path)
        except OSError as error:
            errors.append(f"{path}: {error.strerror or error}")
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        directory, name = os.path.split(path)
        state = states.get(directory)
        if state is None:
            state = states[directory] = _DirectoryState(directory)
        tally = files[path] = _File(path, st.st_size, 0)
        for fmt in codecs:
            fresh, size = (False, None) if force else state.up_to_date(name, fmt, settings[fmt], st)
            if fresh:
                up_to_date += 1
                if size is not None:
                    tally.sizes[fmt] = size
            else:
                tally.pending += 1
                work.append((st.st_size, path, fmt))
    written = not_worth_it = 0
    done_files = sum(1 for tally in files.values() if tally.pending == 0)
    if progress is not None:
        progress.start(len(files), done_files)
    # Largest first: the long brotli runs start early and the pool finishes together.
    work.sort(key=lambda item: (-item[0], item[1], FORMATS.index(item[2])))
    try:
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            futures: dict[Future[_Outcome], tuple[str, Format]] = {
                pool.submit(_make_variant, path, fmt, codecs[fmt]): (path, fmt)
                for _, path, fmt in work
            }
            try:
                for future in as_completed(futures):
                    path, fmt = futures[future]
                    tally = files[path]
                    try:
                        outcome = future.result()
                    except OSError as error:
                        errors.append(f"{path}: {fmt}: {error.strerror or error}")
                    else:
                        directory, name = os.path.split(path)
                        states[directory].record(
                            name, fmt, settings[fmt], outcome.stamp, outcome.size
                        )
                        if outcome.size is None:
                            not_worth_it += 1
                        else:
                            written += 1
                            tally.sizes[fmt] = outcome.size
                    tally.pending -= 1
                    if tally.pending == 0:
                        done_files += 1
                        if progress is not None:
                            progress.update(done_files, path)
            except BaseException:
                for pending in futures:
                    pending.cancel()
                raise
    finally:
        if progress is not None:
            progress.finish()
        for state in states.values():
            try:
                state.save()
            except OSError as error:
                errors.append(f"{state.path}: {error.strerror or error}")
    before = sum(tally.size for tally in files.values())
    after = sum(min([tally.size, *tally.sizes.values()]) for tally in files.values())
    by_format = tuple(
        (fmt, sum(tally.sizes.get(fmt, tally.size) for tally in files.values())) for fmt in codecs
    )
    return CompressSummary(
        files=len(files),
        variants_written=written,
        variants_skipped=up_to_date + not_worth_it,
        bytes_before=before,
        bytes_after=after,
        seconds=time.perf_counter() - started,
        skipped_formats=tuple(missing),
        variants_up_to_date=up_to_date,
        bytes_by_format=by_format,
        errors=tuple(errors),
    )


def _read_unchanging(path: str) -> tuple[bytes, os.stat_result]:
    """The file's bytes and the stat they belong to; a file being rewritten is read again."""
    for _ in range(_READ_ATTEMPTS):
        with open(path, "rb") as file:
            before = os.fstat(file.fileno())
            data = file.read()
            after = os.fstat(file.fileno())
        if before.st_mtime_ns == after.st_mtime_ns and before.st_size == after.st_size == len(data):
            return data, after
    raise OSError(f"it kept changing while being read ({_READ_ATTEMPTS} attempts)")


def _make_variant(path: str, fmt: Format, codec: Codec) -> _Outcome:
    data, st = _read_unchanging(path)
    packed = codec.function(data, LEVELS[fmt])
    target = path + SUFFIXES[fmt]
    stamp = [st.st_size, st.st_mtime_ns]
    if len(packed) * 100 > len(data) * round(MAX_RATIO * 100):
        _remove(target)  # a variant from an earlier version of the source would be stale
        return _Outcome(path, fmt, stamp, None)
    _write_atomically(target, packed, st)
    return _Outcome(path, fmt, stamp, len(packed))


def _write_atomically(target: str, data: bytes, source: os.stat_result | None) -> None:
    """Write ``target`` through a hidden temporary file in its folder, then rename it: readers
    see the old file or the new one, never a part. With ``source``, the new file gets its
    permissions and its access and modification times (a variant is never newer or older)."""
    directory, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        if source is not None:
            os.chmod(temporary, stat.S_IMODE(source.st_mode))
            os.utime(temporary, ns=(source.st_atime_ns, source.st_mtime_ns))
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


# --- Progress ---------------------------------------------------------------------------------


class _Progress:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = 0
        self.shown_at = 0.0

    def start(self, total: int, done: int) -> None:
        self.total = total
        self._draw(done, "")

    def update(self, done: int, path: str) -> None:
        now = time.monotonic()
        if now - self.shown_at >= 0.1 or done == self.total:
            self.shown_at = now
            self._draw(done, os.path.basename(path))

    def finish(self) -> None:
        self.stream.write("\r\x1b[2K")
        self.stream.flush()

    def _draw(self, done: int, name: str) -> None:
        filled = self.WIDTH * done // self.total if self.total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r\x1b[2Kcompressing [{bar}] {done}/{self.total} {name[:40]}")
        self.stream.flush()
