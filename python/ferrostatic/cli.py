"""The ``ferrostatic`` command line (also ``python -m ferrostatic``).

    serve      serve a folder over HTTP with uvicorn or granian
    compress   write .br, .zst and .gz variants beside the files worth compressing
    hash       copy a tree with content-hashed names and a Django-compatible manifest
    validate   check a folder before deploying it

Exit codes: 0 success; 1 the command ran and found a problem (a file it could not compress, a
failed check, a reference missing under ``--strict``); 2 a usage error (a bad flag, a missing
folder, an invalid option, a server or codec that is not installed). Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config, ConfigError

__all__ = ["OPTIONS_WITHOUT_FLAG", "OPTION_FLAGS", "OptionFlag", "main"]

DEMO_SITE = Path(__file__).resolve().parent / "demo"

# --- Options shared by serve and validate -----------------------------------------------------


def _size(text: str) -> int:
    """A byte count: ``65536``, ``256K``, ``64M``, ``1G`` (also ``KiB``/``KB``: all binary)."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if match is None:
        raise argparse.ArgumentTypeError(f"expected a size such as 65536, 256K or 64M: {text!r}")
    exponent = " kmg".index(match[2].lower() or " ")
    return int(match[1]) << (10 * exponent)


def _pair(example: str) -> Callable[[str], tuple[str, str]]:
    """A ``KEY=VALUE`` argument (split at the first ``=``), for options that are dicts."""

    def parse(text: str) -> tuple[str, str]:
        key, equals, value = text.partition("=")
        if not equals or not key or not value:
            raise argparse.ArgumentTypeError(f"expected {example}, got {text!r}")
        return key, value

    return parse


def _origins(text: str) -> list[str]:
    """``https://a.example, https://b.example`` (or ``*``) as a list."""
    return [origin.strip() for origin in text.split(",") if origin.strip()]


@dataclass(frozen=True)
class OptionFlag:
    """A command-line flag for one ``ferrostatic.config.Options`` key.

    ``parse`` turns the flag's argument into the option's value; None makes a switch that sets
    True. ``off`` (the help of ``--no-<flag>``) adds a flag setting the option to None (False
    for a switch). ``repeat`` collects ``(key, value)`` pairs into a dict.
    """

    option: str
    parse: Callable[[str], Any] | None
    help: str
    metavar: str | None = None
    off: str = ""
    repeat: bool = False
    name: str = ""
    """The flag without ``--``, when it is not the option's name with ``-`` for ``_``."""

    @property
    def flag(self) -> str:
        """``--cache-max-age`` for ``cache_max_age``."""
        return "--" + (self.name or self.option.replace("_", "-"))


# One line per option: a new option of Ferrostatic gets its flag here, for serve and validate.
# fmt: off
OPTION_FLAGS: tuple[OptionFlag, ...] = (
    OptionFlag("prefix", str, "URL path the folder is served under (default: /)", "PATH"),
    OptionFlag("index_file", str, "served for a folder's URL (default: index.html)", "NAME",
               off="no index file, and no /dir → /dir/ redirect"),
    OptionFlag("cache_max_age", int, "max-age of names without a hash (default: 60)", "SECONDS"),
    OptionFlag("immutable_pattern", str, "regex on URL paths of hashed names, cached a year "
               "(default: Django, webpack and Vite names)", "REGEX", off="no file is immutable"),
    OptionFlag("manifest_path", str, "build manifest whose files are immutable", "PATH"),
    OptionFlag("cache_control", _pair("GLOB=VALUE"), "Cache-Control for matching files, first "
               "match wins (repeatable)", "GLOB=VALUE", repeat=True),
    OptionFlag("charset", str, "added to text media types (default: utf-8)", "NAME",
               off="no charset parameter"),
    OptionFlag("mime_types", _pair(".ext=type/subtype"), "media type of an extension or file "
               "name (repeatable)", ".EXT=TYPE", repeat=True, name="mime-type"),
    OptionFlag("allow_hidden", None, "serve hidden files (names starting with '.')"),
    OptionFlag("follow_symlinks_outside", None, "serve symlinks leading out of the folder"),
    OptionFlag("html_extension_fallback", None, "/about also serves about.html (clean URLs)"),
    OptionFlag("health_check_path", str, "URL path answering 200 OK, e.g. /healthz", "PATH"),
    OptionFlag("autocompress", None, "compress files without .br/.zst/.gz on first request"),
    OptionFlag("autocompress_max_size", _size, "larger files are never compressed on the fly "
               "(default: 1M)", "BYTES"),
    OptionFlag("autocompress_cache_size", _size, "memory for files compressed on the fly "
               "(default: 32M)", "BYTES"),
    OptionFlag("max_memory_file_size", _size, "hold files up to SIZE in memory (256K)", "SIZE"),
    OptionFlag("memory_budget", _size, "memory for those files, in all (64M)", "SIZE"),
    OptionFlag("hash_max_file_size", _size, "ETag from size+mtime above SIZE (64M)", "SIZE"),
    OptionFlag("chunk_size", _size, "read size when streaming from disk (512K)", "SIZE"),
    OptionFlag("security_headers", None, "add X-Content-Type-Options: nosniff"),
    OptionFlag("hsts", str, "Strict-Transport-Security value", "VALUE"),
    OptionFlag("csp", str, "Content-Security-Policy value", "VALUE"),
    OptionFlag("referrer_policy", str, "Referrer-Policy value", "VALUE"),
    OptionFlag("permissions_policy", str, "Permissions-Policy value", "VALUE"),
    OptionFlag("cross_origin_resource_policy", str, "Cross-Origin-Resource-Policy value", "VALUE"),
    OptionFlag("directories", _pair("PREFIX=DIR"), "also serve DIR under the URL path PREFIX "
               "(repeatable)", "PREFIX=DIR", repeat=True, name="mount"),
    OptionFlag("spa_fallback", str, "page for navigation requests that miss, e.g. index.html",
               "FILE"),
    OptionFlag("not_found_file", str, "body of 404 responses, e.g. 404.html", "FILE"),
    OptionFlag("error_responses", _pair("STATUS=FILE"), "body of another error status, e.g. "
               "405=405.html (repeatable)", "STATUS=FILE", repeat=True, name="error-response"),
    OptionFlag("cors_allow_origins", _origins, "origins allowed to read the files, comma "
               "separated, or '*'", "ORIGINS"),
    OptionFlag("cors_max_age", int, "seconds a browser may cache a preflight (default: 7200)",
               "SECONDS"),
    OptionFlag("autorefresh", None, "serve files added or changed after start-up (development)"),
    OptionFlag("request_id_header", str, "echo or generate a request id in this header, e.g. "
               "X-Request-ID", "NAME"),
)
# fmt: on

OPTIONS_WITHOUT_FLAG = {
    "directory": "the DIR argument",
    "enabled": "a server that serves nothing needs no command (FERROSTATIC_ENABLED applies)",
    "add_headers": "a Python function",
    "path_resolver": "a Python function",
    "path_resolver_roots": "only with path_resolver, a Python function",
    "on_request": "a Python function",
    "spa_fallback_app_first": "the command serves no app, so the SPA page answers every miss",
}
"""Options the flags leave out, and why (``FERROSTATIC_<OPTION>`` variables still apply)."""


def _add_option_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("server options (see ferrostatic.config.Config)")
    for spec in OPTION_FLAGS:
        dest = spec.option
        if spec.parse is None:
            group.add_argument(
                spec.flag,
                dest=dest,
                action="store_const",
                const=True,
                default=argparse.SUPPRESS,
                help=spec.help,
            )
        elif spec.repeat:
            group.add_argument(
                spec.flag,
                dest=dest,
                action="append",
                type=spec.parse,
                metavar=spec.metavar,
                default=argparse.SUPPRESS,
                help=spec.help,
            )
        else:
            group.add_argument(
                spec.flag,
                dest=dest,
                type=spec.parse,
                metavar=spec.metavar,
                default=argparse.SUPPRESS,
                help=spec.help,
            )
        if spec.off:
            group.add_argument(
                "--no-" + spec.flag[2:],
                dest=dest,
                action="store_const",
                const=False if spec.parse is None else None,
                default=argparse.SUPPRESS,
                help=spec.off,
            )


def _options_from(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, and only those: the rest keep their defaults."""
    options: dict[str, Any] = {}
    for spec in OPTION_FLAGS:
        if hasattr(args, spec.option):
            value = getattr(args, spec.option)
            options[spec.option] = dict(value) if spec.repeat and value is not None else value
    return options


# --- The parser -------------------------------------------------------------------------------

SERVE_EXAMPLES = """\
examples:
  ferrostatic serve                          the built-in demo site on http://127.0.0.1:8000
  ferrostatic serve dist/                    a build folder
  ferrostatic serve public --port 9000 --host 0.0.0.0 --workers 4
  ferrostatic serve static --prefix /static/ --cache-max-age 3600 --server granian
  ferrostatic serve site --no-index-file --mime-type .wasm=application/wasm
"""

COMPRESS_EXAMPLES = """\
examples:
  ferrostatic compress dist/                 br, zst and gz beside every file worth it
  ferrostatic compress dist/ --formats br,gz -j 4
  ferrostatic compress static --exclude 'vendor/*' --include '*.js' --include '*.css'
  ferrostatic compress dist/ --force -q      redo everything, print nothing

Already compressed formats (images, fonts, archives, audio, video) and hidden files are
skipped; a variant is written only if it is at most 95% of its source. Variants made with the
same settings and not older than their source are left alone (see docs/cli.md).
"""

HASH_EXAMPLES = """\
examples:
  ferrostatic hash assets/ dist/             dist/app.css and dist/app.3f2a9c1b7d4e.css, ...
  ferrostatic hash assets/ dist/ --clean --strict
  ferrostatic hash assets/ static-root/ --prefix /static/

References in CSS (url(), @import, source-map comments) and JavaScript (source-map comments)
are rewritten to the hashed names; dist/staticfiles.json is a Django manifest (version 1.1).
"""

VALIDATE_EXAMPLES = """\
examples:
  ferrostatic validate dist/
  ferrostatic validate static --prefix /static/ --manifest static/staticfiles.json
  ferrostatic validate dist/ --strict --json > report.json

Prints one OK, WARN or FAIL line per check; exits 1 if any FAIL (with --strict, any WARN).
"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="ferrostatic",
        description="Static files for ASGI and WSGI apps.",
        epilog="Run 'ferrostatic COMMAND --help' for a command's flags and examples.",
    )
    parser.add_argument("--version", action="version", version=f"ferrostatic {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter

    serve = commands.add_parser(
        "serve",
        help="serve a folder over HTTP",
        epilog=SERVE_EXAMPLES,
        formatter_class=formatter,
        description="Serve a folder (the built-in demo site when none is given) with uvicorn, "
        "or granian. Needs ferrostatic[serve] (uvicorn) or ferrostatic[granian].",
    )
    serve.add_argument("directory", nargs="?", type=Path, help="folder to serve (default: demo)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    serve.add_argument(
        "--workers", type=_positive, default=1, metavar="N", help="worker processes (default: 1)"
    )
    serve.add_argument(
        "--server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="the ASGI server (default: uvicorn)",
    )
    _add_option_flags(serve)

    compress = commands.add_parser(
        "compress",
        help="write .br, .zst and .gz variants",
        epilog=COMPRESS_EXAMPLES,
        formatter_class=formatter,
        description="Write pre-compressed variants (name.br, name.zst, name.gz) beside the files "
        "of a folder, for the server to send to clients that accept them.",
    )
    compress.add_argument("directory", type=Path, help="folder to compress")
    compress.add_argument(
        "--formats",
        metavar="LIST",
        help="comma-separated: br, zst (zstd), gz (gzip); default: all three",
    )
    compress.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="threads compressing at once (default: one per core)",
    )
    compress.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="compress only matching files (repeatable)",
    )
    compress.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip matching files and folders (repeatable)",
    )
    compress.add_argument("--force", action="store_true", help="redo every variant")
    compress.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")

    hashing = commands.add_parser(
        "hash",
        help="copy a tree with content-hashed names",
        epilog=HASH_EXAMPLES,
        formatter_class=formatter,
        description="Copy SRC into DEST, each file under its own name and under a name with the "
        "first 12 hex digits of its MD5 (as Django), and write DEST/staticfiles.json.",
    )
    hashing.add_argument("source", type=Path, metavar="SRC", help="folder to copy")
    hashing.add_argument(
        "destination", type=Path, metavar="DEST", help="new or empty folder, outside SRC"
    )
    hashing.add_argument(
        "--prefix",
        metavar="PATH",
        help="URL path DEST is served under: absolute references starting "
        "with it are rewritten too (others are left alone)",
    )
    hashing.add_argument("--clean", action="store_true", help="empty DEST first if it is not")
    hashing.add_argument(
        "--strict",
        action="store_true",
        help="a missing reference or a cycle is an error: write nothing, exit 1",
    )
    hashing.add_argument(
        "--manifest-name",
        default="staticfiles.json",
        metavar="NAME",
        help="manifest file name in DEST (default: staticfiles.json)",
    )
    hashing.add_argument("-q", "--quiet", action="store_true", help="no summary")

    validate = commands.add_parser(
        "validate",
        help="check a folder before deploying it",
        epilog=VALIDATE_EXAMPLES,
        formatter_class=formatter,
        description="Index a folder as the server would, with the same options, and report what "
        "will and will not be served.",
    )
    validate.add_argument("directory", type=Path, help="folder to check")
    validate.add_argument(
        "--manifest",
        type=Path,
        metavar="PATH",
        help="Django, webpack or Vite manifest to check (default: look for "
        "staticfiles.json, manifest.json, .vite/manifest.json)",
    )
    validate.add_argument("--strict", action="store_true", help="count warnings as failures")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_option_flags(validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module's docstring)."""
    for stream in (sys.stdout, sys.stderr):
        # Paths and arrows must not crash a console whose encoding cannot show them.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    args = _build_parser().parse_args(argv)
    run = {"serve": _serve, "compress": _compress, "hash": _hash, "validate": _validate}
    try:
        return run[args.command](args)
    except KeyboardInterrupt:
        print("ferrostatic: interrupted", file=sys.stderr)
        return 130


def _error(message: str, code: int = 2) -> int:
    print(f"ferrostatic: {message}", file=sys.stderr)
    return code


def _missing_directory(path: Path, what: str = "directory") -> str | None:
    if path.is_dir():
        return None
    return f"{what}: {str(path)!r} {'is not a directory' if path.exists() else 'does not exist'}"


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError  # pragma: no cover


# --- serve ------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from . import _serve_app, backend

    options = {"directory": args.directory or DEMO_SITE, **_options_from(args)}
    try:
        config = Config.from_options(options)
    except ConfigError as error:
        return _error(str(error))
    package = "uvicorn" if args.server == "uvicorn" else "granian"
    extra = "serve" if args.server == "uvicorn" else "granian"
    try:
        __import__(package)
    except ImportError:
        return _error(f"serve needs {package}: pip install 'ferrostatic[{extra}]'")
    options["directory"] = str(config.directory)
    # Every worker, in every process, builds its app from these (see _serve_app).
    os.environ[_serve_app.ENVIRONMENT_VARIABLE] = json.dumps(options)
    shown = "the demo site" if args.directory is None else str(config.directory)
    host = f"[{args.host}]" if ":" in args.host else args.host
    workers = f"{args.workers} worker{'' if args.workers == 1 else 's'}"
    print(
        f"ferrostatic: serving {shown} ({backend} router; {args.server}, {workers}) "
        f"on http://{host}:{args.port}{config.prefix}",
        flush=True,
    )
    if args.server == "uvicorn":
        import uvicorn

        uvicorn.run(
            _serve_app.TARGET,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
        )
    else:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels

        Granian(
            _serve_app.TARGET,
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            workers=args.workers,
            factory=True,
            log_level=LogLevels.warning,
        ).serve()
    return 0


# --- compress ---------------------------------------------------------------------------------


def _compress(args: argparse.Namespace) -> int:
    from .compress import compress_tree, find_codecs, normalize_formats

    problem = _missing_directory(args.directory)
    if problem:
        return _error(problem)
    try:
        wanted = normalize_formats(
            args.formats.split(",") if args.formats else ("br", "zstd", "gzip")
        )
    except ValueError as error:
        return _error(f"--formats: {error}")
    if not wanted:
        return _error("--formats: name at least one of br, zst, gz")
    codecs, missing = find_codecs(wanted)
    for fmt, reason in missing.items():
        verb = "cannot write" if args.formats else "skipping"
        print(f"ferrostatic compress: {verb} {fmt}: {reason}", file=sys.stderr)
    if missing and args.formats:
        return 2  # asked for by name: doing less than asked is not success
    summary = compress_tree(
        args.directory,
        formats=tuple(codecs),
        jobs=args.jobs,
        include=args.include,
        exclude=args.exclude,
        force=args.force,
        progress=not args.quiet,
    )
    for failure in summary.errors:
        print(f"ferrostatic compress: {failure}", file=sys.stderr)
    if not args.quiet:
        by_format = ", ".join(f"{fmt} {_human(size)}" for fmt, size in summary.bytes_by_format)
        not_worth_it = summary.variants_skipped - summary.variants_up_to_date
        print(
            f"ferrostatic compress: {summary.files} file{'' if summary.files == 1 else 's'}, "
            f"{_human(summary.bytes_before)} → {_human(summary.bytes_after)} ({by_format}); "
            f"{summary.variants_written} written, {summary.variants_up_to_date} up to date, "
            f"{not_worth_it} not worth it; {summary.seconds:.2f} s"
        )
    return 1 if summary.errors else 0


# --- hash -------------------------------------------------------------------------------------


def _hash(args: argparse.Namespace) -> int:
    from .hashing import HashError, hash_tree

    try:
        result = hash_tree(
            args.source,
            args.destination,
            prefix=args.prefix,
            clean=args.clean,
            strict=args.strict,
            manifest_name=args.manifest_name,
        )
    except HashError as error:
        return _error(str(error))
    for problem in result.problems:
        print(f"ferrostatic hash: {problem}", file=sys.stderr)
    if not args.quiet:
        for note in result.skipped:
            print(f"ferrostatic hash: skipped {note}", file=sys.stderr)
    if not result.written:
        count = len(result.problems)
        return _error(
            f"hash: nothing written: {count} problem{'' if count == 1 else 's'} (--strict)", code=1
        )
    if not args.quiet:
        problems = len(result.problems)
        print(
            f"ferrostatic hash: {result.files} file{'' if result.files == 1 else 's'} "
            f"into {args.destination}, {result.references_rewritten} reference"
            f"{'' if result.references_rewritten == 1 else 's'} rewritten, "
            f"{problems} problem{'' if problems == 1 else 's'}; manifest {result.manifest}; "
            f"{result.seconds:.2f} s"
        )
    return 0


# --- validate ---------------------------------------------------------------------------------

_SHOWN_ITEMS = 10


def _validate(args: argparse.Namespace) -> int:
    from .validate import validate

    report = validate(
        args.directory, _options_from(args), manifest=args.manifest, strict=args.strict
    )
    missing = report.checks[0].level == "fail" and report.checks[0].name == "directory"
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 2 if missing else 0 if report.ok else 1
    if missing:
        return _error(f"directory: {report.checks[0].message}")
    for check in report.checks:
        print(f"{check.level.upper():<5} {check.name:<17} {check.message}")
        for item in check.items[:_SHOWN_ITEMS]:
            print(f"        {item}")
        if len(check.items) > _SHOWN_ITEMS:
            print(f"        … and {len(check.items) - _SHOWN_ITEMS} more (--json lists all)")
    warnings, failures = report.count("warn"), report.count("fail")
    print(
        f"validate: {warnings} warning{'' if warnings == 1 else 's'}, "
        f"{failures} failure{'' if failures == 1 else 's'}"
    )
    return 0 if report.ok else 1
