"""The start-up index: one walk of the directory, every per-file fact computed once.

The result is a list of ``Resource`` and ``Redirect`` records that either router is built from.
Nothing here runs on the request path, except ``reindex_file`` when a file is found changed.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

from ._cache_policy import IMMUTABLE, NO_CACHE
from ._types import CODINGS, Redirect, Resource, Variant
from .config import Config, ConfigError
from .media_types import media_type_for

__all__ = [
    "Index",
    "build_index",
    "health_check_resource",
    "inside",
    "reindex_file",
    "return_free_memory",
]

logger = logging.getLogger("ferrostatic")

# Sibling suffix → content coding. ``.zst`` is what zstd, nginx and most build tools write;
# ``.zstd`` is accepted too, ``.zst`` winning when both exist.
VARIANT_SUFFIXES = {".br": "br", ".zst": "zstd", ".zstd": "zstd", ".gz": "gzip"}


# A modification time in the first day of the epoch is a placeholder (reproducible builds, Nix,
# some archive tools), not a date: such files get no Last-Modified and rely on their ETag.
_PLACEHOLDER_MTIME = 86400

_PARALLEL_HASH_MIN_SIZE = 1024 * 1024


@dataclass
class Index:
    """What the walk found: the tables for the router, and what it left out and why."""

    resources: list[Resource] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    outside_symlinks: list[str] = field(default_factory=list)
    stale_variants: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    file_count: int = 0
    """Files indexed (``resources`` may be emptied once a router holds them)."""


@dataclass
class _Found:
    path: str
    rel: str
    st: os.stat_result
    variants: dict[str, tuple[str, os.stat_result]] = field(default_factory=dict)


def build_index(config: Config) -> Index:
    """Walk ``config.directory`` once and describe every servable file."""
    index = Index()
    files, directories = _walk(config, index)
    # Hashing releases the GIL, so large files are hashed on every core; small ones are
    # dominated by Python overhead and stay on this thread.
    large = [found for found in files if found.st.st_size >= _PARALLEL_HASH_MIN_SIZE]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        described = pool.map(lambda found: _resource(config, found, index), large)
        done = {id(found): resource for found, resource in zip(large, described, strict=True)}
    for found in files:
        resource = done[id(found)] if id(found) in done else _resource(config, found, index)
        if resource is not None:
            index.resources.append(resource)
    index.file_count = len(index.resources)
    if config.health_check_path is not None:
        index.resources.append(health_check_resource(config.health_check_path))
    for rel_dir in directories:
        redirect = _directory_redirect(config, rel_dir) if rel_dir else prefix_redirect(config)
        if redirect is not None:
            index.redirects.append(redirect)
    return index


def _walk(config: Config, index: Index) -> tuple[list[_Found], list[str]]:
    """Find the regular files under the root, grouping pre-compressed siblings with their source.

    Returns the files, and the relative paths of directories that hold the index file.
    """
    root = str(config.directory)
    files: list[_Found] = []
    with_index: list[str] = []
    # Each directory carries the identities of the directories above it: a symlink back to one
    # of them is a loop and is not followed, while a symlink to a directory elsewhere in the
    # root is walked under its own name too (the real directory is never dropped for it).
    stack = [("", root, frozenset({_identity(os.stat(root))}))]
    while stack:
        rel_dir, real_dir, ancestors = stack.pop()
        try:
            entries = list(os.scandir(real_dir))
        except OSError as error:
            index.unreadable.append(rel_dir or "/")
            logger.warning("ferrostatic: cannot read directory %r: %s", rel_dir or "/", error)
            continue
        here: dict[str, tuple[str, os.stat_result]] = {}
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.name in _NEVER_SERVED:
                continue
            if _is_hidden(entry.name, rel) and not config.allow_hidden:
                index.hidden.append(rel)
                continue
            if has_surrogates(entry.name):
                index.unreadable.append(rel.encode("utf-8", "replace").decode())
                logger.warning("ferrostatic: skipping %r: its name is not valid UTF-8", rel)
                continue
            path = entry.path
            if entry.is_symlink():
                target = os.path.realpath(path)
                if not config.follow_symlinks_outside and not inside(target, root):
                    index.outside_symlinks.append(rel)
                    continue
            try:
                st = os.stat(path)
            except OSError:
                index.unreadable.append(rel)
                continue
            if stat.S_ISDIR(st.st_mode):
                if _identity(st) not in ancestors:  # a symlink loop is not followed
                    stack.append((rel, path, ancestors | {_identity(st)}))
            elif stat.S_ISREG(st.st_mode):
                here[entry.name] = (path, st)
        files.extend(_group_variants(rel_dir, here, index))
        if config.index_file is not None and config.index_file in here:
            with_index.append(rel_dir)
    return files, with_index


def _group_variants(
    rel_dir: str, here: dict[str, tuple[str, os.stat_result]], index: Index
) -> list[_Found]:
    found: dict[str, _Found] = {}
    siblings: list[tuple[str, str, str]] = []
    # Sorted, a name comes after its base: whether the base is itself a sibling is known.
    sibling_names: set[str] = set()
    for name, (path, st) in sorted(here.items()):
        base, suffix = os.path.splitext(name)
        # ``a.js.gz.br`` beside ``a.js.gz``, itself a sibling of ``a.js``, is a file of its own.
        if suffix in VARIANT_SUFFIXES and base in here and base not in sibling_names:
            siblings.append((base, VARIANT_SUFFIXES[suffix], name))
            sibling_names.add(name)
            continue
        rel = f"{rel_dir}/{name}" if rel_dir else name
        found[name] = _Found(path, rel, st)
    for base, coding, name in siblings:
        source = found[base]
        path, st = here[name]
        if st.st_mtime_ns < source.st.st_mtime_ns:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            index.stale_variants.append(rel)
            logger.warning(
                "ferrostatic: not serving %r: it is older than %r; rebuild it "
                "(ferrostatic compress) or delete it",
                rel,
                source.rel,
            )
            continue
        if coding not in source.variants or name.endswith(".zst"):
            source.variants[coding] = (path, st)
    return list(found.values())


def _resource(
    config: Config, found: _Found, index: Index, url: str | None = None
) -> Resource | None:
    variants: list[Variant] = []
    for coding, (path, st) in [("identity", (found.path, found.st)), *found.variants.items()]:
        try:
            variants.append(_variant(config, coding, path, st))
        except OSError as error:
            if coding == "identity":
                index.unreadable.append(found.rel)
                logger.warning("ferrostatic: cannot read %r: %s", found.rel, error)
                return None
            logger.warning("ferrostatic: cannot read variant of %r: %s", found.rel, error)
    variants.sort(key=lambda v: CODINGS.index(v.coding))
    return _describe(config, found.rel, found.st, tuple(variants), url)


def _describe(
    config: Config,
    rel: str,
    st: os.stat_result,
    variants: tuple[Variant, ...],
    url: str | None = None,
) -> Resource:
    """The response facts of one file: URLs, Content-Type, Cache-Control, Last-Modified.

    ``url``, when given, is the file's only URL (a file mounted by name); otherwise the URLs
    follow from its place in the tree.
    """
    name = rel.rsplit("/", 1)[-1]
    if url is None:
        urls = _urls(config, rel, name, variants[0].path)
        url = config.prefix + rel
    else:
        urls = (url,)
    content_type = media_type_for(name, config.mime_types, charset=config.charset)
    mtime = st.st_mtime_ns // 1_000_000_000
    return Resource(
        urls=urls,
        last_modified=mtime if mtime >= _PLACEHOLDER_MTIME else None,
        content_type=content_type.encode("latin-1"),
        cache_control=_cache_control(config, rel, url, content_type),
        variants=variants,
        headers=_extra_headers(config, variants[0].path, url),
    )


def _urls(config: Config, rel: str, name: str, path: str) -> tuple[str, ...]:
    """The URLs of a file found in the tree: its own, and the folder's or the clean one."""
    url = config.prefix + rel
    if config.index_file is not None and name == config.index_file:
        return (url[: len(url) - len(name)], url)
    if (
        config.html_extension_fallback
        and name.endswith(".html")
        and len(name) > len(".html")
        # /about for about.html, unless a file named "about" is there to be served instead
        and not os.path.lexists(path[: -len(".html")])
    ):
        return (url, url[: -len(".html")])
    return (url,)


def health_check_resource(path: str) -> Resource:
    """A resource for the health check: always 200 ``OK``, never stored by a cache."""
    body = b"OK"
    variant = Variant("identity", "", len(body), 0, b'"ok"', body)
    return Resource((path,), None, b"text/plain; charset=utf-8", b"no-store", (variant,))


def _cache_control(config: Config, rel: str, url: str, content_type: str) -> bytes:
    """The steps of ``_cache_policy``: rules, then immutable, then HTML, then the default."""
    for pattern, value in config.cache_control:
        if pattern.fullmatch(url):
            return value
    if rel in config.manifest_files or url in config.manifest_files:
        return IMMUTABLE
    if config.immutable_pattern is not None and config.immutable_pattern.search(url):
        return IMMUTABLE
    if content_type.startswith("text/html"):
        return NO_CACHE
    return b"public, max-age=%d" % config.cache_max_age


def _extra_headers(config: Config, path: str, url: str) -> tuple[tuple[bytes, bytes], ...]:
    """The security headers, and what ``add_headers(path, url)`` returns for a file (checked to
    be valid header fields)."""
    if config.add_headers is None:
        return config.security
    try:
        headers = config.add_headers(path, url)
        added = tuple(_header_field(name, value) for name, value in dict(headers).items())
    except Exception as error:
        raise ConfigError(f"add_headers: failed for {url!r}: {error!r}") from error
    # A header the hook sets for this file replaces the same security header.
    replaced = {name for name, _ in added}
    return tuple(h for h in config.security if h[0] not in replaced) + added


_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _header_field(name: object, value: object) -> tuple[bytes, bytes]:
    """A header from ``add_headers``: a token name (RFC 9110 §5.1) and a visible-ASCII value."""
    if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a header name")
    if not isinstance(value, str) or not _FIELD_VALUE.fullmatch(value):
        raise ValueError(f"the value of {name} must be visible ASCII text, got {value!r}")
    return name.lower().encode("ascii"), value.strip().encode("ascii")


def _variant(config: Config, coding: str, path: str, st: os.stat_result) -> Variant:
    """A representation read from disk per request (the router may hold it in memory later)."""
    if st.st_size <= config.hash_max_file_size:
        etag = _etag_of_file(path)
    else:
        # Hashing very large files would make start-up slow; their ETag is derived from
        # modification time and size, like nginx's: still strong (a change of content changes
        # the time), but not identical across hosts whose copies differ in mtime.
        etag = b'"m%x-%x"' % (st.st_mtime_ns, st.st_size)
    return Variant(coding, path, st.st_size, st.st_mtime_ns, etag, None)


def _digest() -> hashlib._Hash:
    # SHA-256 is hardware-accelerated on current CPUs (faster than BLAKE2b here); 96 bits of it
    # are plenty to tell versions of one file apart.
    return hashlib.sha256()


def etag_of_bytes(data: bytes) -> bytes:
    """The strong ETag of a representation's bytes (the first 96 bits of their SHA-256)."""
    digest = _digest()
    digest.update(data)
    return b'"%s"' % digest.hexdigest()[:24].encode("ascii")


def _etag_of_file(path: str) -> bytes:
    digest = _digest()
    with open(path, "rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return b'"%s"' % digest.hexdigest()[:24].encode("ascii")


def return_free_memory() -> None:
    """Hand the heap pages the walk freed back to the OS (glibc's ``malloc_trim``).

    Indexing allocates and frees a few hundred bytes of scratch per file (names, lists, the
    walk's records); glibc keeps freed pages mapped, so a 100,000-file app would stay some
    20 MB larger than its tables for its whole life. Where there is no ``malloc_trim`` (musl,
    macOS) there is nothing to do.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _directory_redirect(config: Config, rel_dir: str) -> Redirect:
    name = rel_dir.rsplit("/", 1)[-1]
    location = "./" + quote(name, safe="!$&'()*+,;=:@-._~") + "/"
    cache_control = b"public, max-age=%d" % config.cache_max_age
    return Redirect(config.prefix + rel_dir, location.encode("ascii"), cache_control)


def prefix_redirect(config: Config) -> Redirect | None:
    """``/static`` → ``/static/`` when the prefix's root has an index file."""
    if config.prefix == "/" or config.index_file is None:
        return None
    name = config.prefix.rstrip("/").rsplit("/", 1)[-1]
    location = "./" + quote(name, safe="!$&'()*+,;=:@-._~") + "/"
    cache_control = b"public, max-age=%d" % config.cache_max_age
    return Redirect(config.prefix.rstrip("/"), location.encode("ascii"), cache_control)


def reindex_file(config: Config, rel: str, url: str | None = None) -> Resource | None:
    """Describe one file again (it changed after start-up); None if it is gone.

    The same rules as the start-up walk apply (siblings, stale variants, symlinks), through
    the same functions; the file is read from disk per request, never held in memory.
    """
    path = os.path.join(config.directory, *rel.split("/"))
    directory, name = os.path.split(path)
    here: dict[str, tuple[str, os.stat_result]] = {}
    for candidate in (name, *(name + suffix for suffix in VARIANT_SUFFIXES)):
        candidate_path = os.path.join(directory, candidate)
        try:
            st = os.stat(candidate_path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and _allowed(config, candidate_path):
            here[candidate] = (candidate_path, st)
    if name not in here:
        return None
    scratch = Index()
    found = [f for f in _group_variants(rel.rpartition("/")[0], here, scratch) if f.rel == rel]
    try:
        return _resource(config, found[0], scratch, url=url)
    except ConfigError as error:  # add_headers failed: a request must not become a 500
        logger.warning("ferrostatic: not serving changed file %r: %s", rel, error)
        return None


def _allowed(config: Config, path: str) -> bool:
    """The start-up symlink rule for a file re-indexed later: it, and every directory on the
    way to it, may have become a link leaving the root since the walk."""
    return config.follow_symlinks_outside or inside(os.path.realpath(path), str(config.directory))


# Bookkeeping of `ferrostatic compress`: never served, even with allow_hidden=True.
_NEVER_SERVED = frozenset({".ferrostatic-compress.json"})


def _is_hidden(name: str, rel: str) -> bool:
    return name.startswith(".") and rel != ".well-known"


def has_surrogates(name: str) -> bool:
    """Whether a file name is not valid UTF-8 (decoded with surrogateescape)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def inside(target: str, root: str) -> bool:
    """Whether the real path ``target`` is ``root`` or below it."""
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)
