"""Generate ``python/ferrostatic/media_types.py``, ferrostatic's built-in media-type table.

The table starts from nginx's ``mime.types`` (a ``types { media/type ext ext; ... }`` block) and
then applies :data:`MODERN_TYPES`, a list of corrections and additions that reflect current
registrations and what browsers expect. The result is written as a plain dict literal, sorted by
key, so that a change shows up as a one-line diff.

Nothing is taken from the machine the script runs on except the file named by ``--mime-types``.
By default that is ``scripts/nginx-mime-types.txt`` (located relative to this script, not to the
working directory): a verbatim, committed copy of nginx's ``mime.types``. nginx is distributed
under the 2-clause BSD licence. Because of that copy, regeneration and ``--check`` work on
machines without nginx, such as CI.

Usage::

    python scripts/generate_media_types.py           # rewrite the module from the committed copy
    python scripts/generate_media_types.py --check   # exit 1 if the module is out of date

To take a newer nginx table, point ``--mime-types`` at it, e.g. Debian's ``nginx-common`` package
installs ``/etc/nginx/mime.types``::

    python scripts/generate_media_types.py --mime-types /etc/nginx/mime.types

When the given file is not the committed copy, its content is also copied verbatim to
``scripts/nginx-mime-types.txt`` so that later runs and ``--check`` see the same input. With
``--check`` nothing is written at all.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NGINX_COPY = REPO_ROOT / "scripts" / "nginx-mime-types.txt"
OUTPUT = REPO_ROOT / "python" / "ferrostatic" / "media_types.py"

# Corrections to and additions on top of nginx's table. Keys are lower-case extensions with the
# leading dot, or a full lower-case file name (no leading dot) for well-known extensionless files.
# Values are media types without parameters; the charset is added at lookup time.
MODERN_TYPES: dict[str, str] = {
    # --- Scripts and data -----------------------------------------------------------------
    ".js": "text/javascript",  # RFC 9239 makes text/javascript the one current type
    ".mjs": "text/javascript",  # ES modules; browsers require a JavaScript type for them
    ".cjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",  # source maps are JSON documents
    ".jsonld": "application/ld+json",
    ".geojson": "application/geo+json",  # RFC 7946
    ".webmanifest": "application/manifest+json",  # W3C Web App Manifest
    ".wasm": "application/wasm",  # required for WebAssembly.instantiateStreaming
    ".xml": "application/xml",  # RFC 7303 prefers it over text/xml
    ".xsl": "application/xslt+xml",
    ".xslt": "application/xslt+xml",
    ".dtd": "application/xml-dtd",
    ".toml": "application/toml",  # the type named by the TOML specification
    ".yaml": "application/yaml",  # RFC 9512
    ".yml": "application/yaml",  # RFC 9512
    # --- Documents and text -----------------------------------------------------------------
    ".htm": "text/html",
    ".html": "text/html",
    ".shtml": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".txt": "text/plain",
    ".md": "text/markdown",  # RFC 7763
    ".markdown": "text/markdown",  # RFC 7763
    ".csv": "text/csv",  # RFC 4180
    ".tsv": "text/tab-separated-values",
    ".ics": "text/calendar",  # RFC 5545
    ".vcf": "text/vcard",  # RFC 6350
    ".vtt": "text/vtt",  # WebVTT captions for <track>
    ".mml": "application/mathml+xml",  # registered MathML type; nginx's text/mathml is not
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",  # RFC 4287
    ".pdf": "application/pdf",
    ".epub": "application/epub+zip",
    # --- Images -----------------------------------------------------------------------------
    ".apng": "image/apng",  # what browsers sniff and expect for animated PNG
    ".avif": "image/avif",
    ".bmp": "image/bmp",  # the WHATWG MIME Sniffing name; nginx's image/x-ms-bmp is legacy
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".jxl": "image/jxl",
    ".svg": "image/svg+xml",
    ".svgz": "image/svg+xml",  # gzip-compressed SVG; serve it with Content-Encoding: gzip
    ".webp": "image/webp",
    # image/vnd.microsoft.icon is the IANA-registered type and every current browser accepts
    # it; image/x-icon (nginx's choice) is only a de facto alias.
    ".ico": "image/vnd.microsoft.icon",
    # --- Fonts (RFC 8081) -------------------------------------------------------------------
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".ttc": "font/collection",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    # --- Audio ------------------------------------------------------------------------------
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",  # registered type (RFC 4337); nginx's audio/x-m4a is not
    ".mp3": "audio/mpeg",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",  # RFC 5334 suggests audio/ogg for a generic .ogg
    ".opus": "audio/ogg",  # Opus files are Ogg-encapsulated (RFC 7845)
    ".wav": "audio/wav",  # what browsers recognise; audio/vnd.wave is rarely understood
    ".weba": "audio/webm",
    # --- Video and streaming ----------------------------------------------------------------
    ".m4v": "video/mp4",  # an MP4 file; nginx's video/x-m4v is unregistered
    ".mp4": "video/mp4",
    ".mkv": "video/x-matroska",  # no registered type yet; this is the de facto name
    ".ogv": "video/ogg",
    ".webm": "video/webm",
    ".m3u8": "application/vnd.apple.mpegurl",  # HLS playlists (RFC 8216)
    ".mpd": "application/dash+xml",  # MPEG-DASH manifests
    ".m4s": "video/iso.segment",  # MPEG-DASH media segments
    # On a static web server .ts files are MPEG transport stream segments of HLS video;
    # TypeScript sources are compiled before they are served and have no registered type.
    ".ts": "video/mp2t",
    # --- 3D models --------------------------------------------------------------------------
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".usdz": "model/vnd.usdz+zip",
    # --- Archives and compressed files ------------------------------------------------------
    ".7z": "application/x-7z-compressed",
    ".bz2": "application/x-bzip2",
    ".gz": "application/gzip",  # RFC 6713
    ".tgz": "application/gzip",  # RFC 6713
    # RFC 7932 registers only the "br" content coding, no media type for Brotli files; the
    # unregistered x- name tells clients what the bytes are better than octet-stream would.
    ".br": "application/x-brotli",
    ".rar": "application/vnd.rar",  # IANA-registered; replaces application/x-rar-compressed
    ".tar": "application/x-tar",
    ".xz": "application/x-xz",
    ".zip": "application/zip",
    ".zst": "application/zstd",  # RFC 8878
    # --- Well-known extensionless files -----------------------------------------------------
    "apple-app-site-association": "application/json",  # iOS universal links, under /.well-known/
}

_TOKEN = re.compile(r"[{};]|[^\s{};]+")
_EXTENSION_KEY = re.compile(r"\.[a-z0-9][a-z0-9._+-]*")
_NAME_KEY = re.compile(r"[a-z0-9][a-z0-9._+-]*")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")

MODULE_HEADER = '''\
"""Host-independent media types for the files ferrostatic serves.

This module is generated by ``scripts/generate_media_types.py`` from nginx's ``mime.types`` plus
modern corrections. Do not edit it by hand: change the generator and run it again.

:func:`media_type_for` never consults the host's :mod:`mimetypes` module or any registry, so a
file gets the same ``Content-Type`` on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_MEDIA_TYPES", "is_text_like", "media_type_for"]

#: Lower-case extension with its leading dot (or a full lower-case file name, for well-known
#: extensionless files) -> media type without parameters.
DEFAULT_MEDIA_TYPES: dict[str, str] = {
'''

MODULE_FOOTER = '''\
}

_FALLBACK = "application/octet-stream"

# Types outside text/* whose bodies are text and should say which charset they use.
_TEXT_LIKE_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/json",
        "application/toml",
        "application/x-ecmascript",
        "application/x-javascript",
        "application/xml",
        "application/xml-dtd",
        "application/yaml",
    }
)

# Structured-syntax suffixes (RFC 6839, RFC 9512) of text formats.
_TEXT_LIKE_SUFFIXES = ("+json", "+xml", "+yaml")


def is_text_like(media_type: str) -> bool:
    """Return whether a body of ``media_type`` is text that should carry a charset.

    Parameters after ``;`` are ignored and the comparison is case-insensitive. True for
    ``text/*``, JavaScript, JSON, XML, YAML and TOML, and any ``+json``, ``+xml`` or ``+yaml``
    subtype (``image/svg+xml``, ``application/manifest+json``, ...).
    """
    essence = media_type.split(";", 1)[0].strip().lower()
    top, slash, sub = essence.partition("/")
    if not (top and slash and sub):
        return False
    if top == "text":
        return True
    return essence in _TEXT_LIKE_TYPES or sub.endswith(_TEXT_LIKE_SUFFIXES)


def _candidate_keys(filename: str) -> list[str]:
    """Return the lookup keys for ``filename``, most specific first.

    The lower-cased base name comes first, then every dotted suffix from the longest to the
    shortest: ``"a.tar.gz"`` gives ``["a.tar.gz", ".tar.gz", ".gz"]``.
    """
    name = filename.replace("\\\\", "/").rpartition("/")[2].lower()
    if not name:
        return []
    keys = [name]
    dot = name.find(".", 1)
    while dot != -1:
        keys.append(name[dot:])
        dot = name.find(".", dot + 1)
    return keys


def media_type_for(
    filename: str,
    overrides: Mapping[str, str] | None = None,
    *,
    charset: str | None = "utf-8",
) -> str:
    """Return the ``Content-Type`` value for ``filename``.

    ``filename`` may be a bare name or a path (``/`` and ``\\\\`` both separate components); only
    its base name matters. The lower-cased base name is looked up first, which is how
    extensionless names such as ``apple-app-site-association`` match; then each dotted suffix
    from the longest to the shortest (``.tar.gz`` before ``.gz``). The first key found wins,
    and ``application/octet-stream`` is returned when none is.

    ``overrides`` uses the same key forms as :data:`DEFAULT_MEDIA_TYPES` (``".ext"`` or a full
    file name), matched case-insensitively; for any one key it wins over the table.

    When ``charset`` is set and the result is text-like (see :func:`is_text_like`) and has no
    ``charset=`` parameter yet, ``; charset=<charset>`` is appended. Pass ``charset=None`` to get
    the media type as it is.
    """
    extra = {key.lower(): value for key, value in overrides.items()} if overrides else {}
    media_type = _FALLBACK
    for key in _candidate_keys(filename):
        if key in extra:
            media_type = extra[key]
            break
        if key in DEFAULT_MEDIA_TYPES:
            media_type = DEFAULT_MEDIA_TYPES[key]
            break
    if charset and is_text_like(media_type) and "charset=" not in media_type.lower():
        media_type = f"{media_type}; charset={charset}"
    return media_type
'''


def parse_nginx_mime_types(text: str) -> dict[str, str]:
    """Parse nginx's ``types { media/type ext ...; ... }`` format into ``{".ext": type}``.

    Comments (``#`` to the end of the line) are ignored. As in nginx, when an extension is listed
    twice the later entry wins. Raises :class:`ValueError` on anything else.
    """
    tokens = [
        token for line in text.splitlines() for token in _TOKEN.findall(line.split("#", 1)[0])
    ]
    if tokens[:2] != ["types", "{"] or tokens[-1:] != ["}"]:
        raise ValueError("expected a single 'types { ... }' block")
    table: dict[str, str] = {}
    statement: list[str] = []
    for token in tokens[2:-1]:
        if token in ("{", "}"):
            raise ValueError(f"unexpected {token!r} inside the types block")
        if token != ";":
            statement.append(token)
            continue
        if len(statement) < 2:
            raise ValueError(f"a type needs at least one extension: {' '.join(statement)!r}")
        media_type, *extensions = statement
        media_type = media_type.lower()
        if not _MEDIA_TYPE.fullmatch(media_type):
            raise ValueError(f"malformed media type {media_type!r}")
        for extension in extensions:
            key = "." + extension.lower()
            if not _EXTENSION_KEY.fullmatch(key):
                raise ValueError(f"malformed extension {extension!r}")
            table[key] = media_type
        statement = []
    if statement:
        raise ValueError(f"missing ';' after {' '.join(statement)!r}")
    return table


def build_table(nginx_text: str) -> dict[str, str]:
    """Return the final table: nginx's entries with :data:`MODERN_TYPES` applied, sorted."""
    table = parse_nginx_mime_types(nginx_text)
    table.update(MODERN_TYPES)
    for key, media_type in table.items():
        if not (_EXTENSION_KEY.fullmatch(key) or _NAME_KEY.fullmatch(key)):
            raise ValueError(f"malformed key {key!r}")
        if not _MEDIA_TYPE.fullmatch(media_type):
            raise ValueError(f"malformed media type {media_type!r} for {key!r}")
    return dict(sorted(table.items()))


def render_module(table: dict[str, str]) -> str:
    """Return the source of ``media_types.py`` for ``table``."""
    # The key and value patterns admit no quote or backslash, so plain double quotes suffice.
    entries = "".join(f'    "{key}": "{media_type}",\n' for key, media_type in table.items())
    return MODULE_HEADER + entries + MODULE_FOOTER


def _display(path: Path) -> str:
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate python/ferrostatic/media_types.py from nginx's mime.types."
    )
    parser.add_argument(
        "--mime-types",
        type=Path,
        default=NGINX_COPY,
        metavar="PATH",
        help="nginx mime.types file to start from (default: scripts/nginx-mime-types.txt)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the committed module differs from what would be written",
    )
    args = parser.parse_args(argv)
    source: Path = args.mime_types

    try:
        nginx_text = source.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {_display(source)}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        module = render_module(build_table(nginx_text))
    except ValueError as exc:
        print(f"{_display(source)}: {exc}", file=sys.stderr)
        return 2

    if args.check:
        try:
            current = OUTPUT.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"{_display(OUTPUT)} is missing; run scripts/generate_media_types.py")
            return 1
        if current != module:
            print(f"{_display(OUTPUT)} is out of date; run scripts/generate_media_types.py")
            return 1
        return 0

    OUTPUT.write_text(module, encoding="utf-8", newline="\n")
    if source.resolve() != NGINX_COPY.resolve():
        NGINX_COPY.write_bytes(source.read_bytes())
        print(f"copied {_display(source)} to {_display(NGINX_COPY)}")
    print(f"wrote {_display(OUTPUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
