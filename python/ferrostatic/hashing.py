"""Content-hashed copies of a tree and a Django-compatible manifest (``ferrostatic hash``).

Each file is copied twice into the destination: under its own name, and under a name carrying
the first 12 hex digits of the MD5 of its content (``app.css`` → ``app.3f2a9c1b7d4e.css``),
exactly as Django's ``ManifestStaticFilesStorage`` names it. References inside CSS (``url()``,
``@import``, source-map comments) and JavaScript (source-map comments) are rewritten to the
hashed names first, so a file's hash covers the names it refers to: a changed image changes
the name of the stylesheet using it. ``staticfiles.json`` maps each original name to its
hashed name (Django's manifest, version 1.1), so Django's storage, and anything reading that
manifest, finds the hashed files.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import posixpath
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

__all__ = [
    "HASH_LENGTH",
    "MANIFEST_NAME",
    "HashError",
    "HashResult",
    "Problem",
    "hash_tree",
    "hashed_name",
    "manifest_hash",
]

MANIFEST_NAME = "staticfiles.json"
MANIFEST_VERSION = "1.1"
HASH_LENGTH = 12

# Files whose references are rewritten, by extension.
_CSS = (".css",)
_JS = (".js", ".mjs", ".cjs")

# url(...) with a double-quoted, single-quoted or bare argument; CSS function names are
# case-insensitive (CSS Syntax Level 3 §4.3.6).
_CSS_URL = re.compile(
    r"""\burl\(\s*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s'"()]*))\s*\)""",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(r"""@import\s*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_SOURCE_MAP = re.compile(r"/\*[#@][ \t]*sourceMappingURL=(?P<bare>[^\s*]+)[ \t]*\*/")
_JS_SOURCE_MAP = re.compile(r"^[ \t]*//[#@][ \t]*sourceMappingURL=(?P<bare>\S+)[ \t]*$", re.M)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class HashError(Exception):
    """The run cannot start (a missing source, a destination inside it, one not empty)."""


@dataclass(frozen=True)
class Problem:
    """A reference that could not be rewritten, or a cycle of references."""

    file: str
    line: int
    reference: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.reference:
            return f"{where}: {self.reference}: {self.message}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class HashResult:
    """What ``hash_tree`` found and did.

    ``paths`` is the manifest (original → hashed, ``/``-separated, relative to the
    destination). ``problems`` lists missing references and cycles; with ``strict``, any
    problem means nothing was written (``written`` is False).
    """

    files: int
    paths: dict[str, str]
    references_rewritten: int
    problems: tuple[Problem, ...]
    skipped: tuple[str, ...]
    manifest: Path
    written: bool
    seconds: float = 0.0


@dataclass
class _Reference:
    start: int
    end: int
    line: int
    url: str
    target: str | None = None
    """The referenced file, relative to the source root, once resolved."""


@dataclass
class _File:
    rel: str
    path: str
    references: list[_Reference] = field(default_factory=list)
    text: str | None = None


def hashed_name(name: str, digest: str) -> str:
    """``app.css`` → ``app.<digest>.css``; ``LICENSE`` → ``LICENSE.<digest>`` (as Django)."""
    root, extension = posixpath.splitext(name)
    return f"{root}.{digest}{extension}"


def hash_tree(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    prefix: str | None = None,
    clean: bool = False,
    strict: bool = False,
    manifest_name: str = MANIFEST_NAME,
) -> HashResult:
    """Copy ``source`` into ``destination`` with hashed names, and write the manifest there.

    Relative references are resolved against the referencing file; an absolute one
    (``/static/img/a.png``) only when ``prefix`` (the URL path the tree is served under,
    such as ``/static/``) starts it, and is left alone otherwise, as are ``data:``, ``http:``
    and other URLs with a scheme, ``//host/...`` and ``#fragment`` references. Query strings
    and fragments are kept. Hidden files are not copied.

    Raises ``HashError`` when ``source`` is not a folder, when one of the two folders is inside
    the other, or when ``destination`` is not empty (unless ``clean``, which empties it).
    """
    started = time.perf_counter()
    src = Path(source).expanduser()
    dest = Path(destination).expanduser()
    if not src.is_dir():
        what = "is not a directory" if src.exists() else "does not exist"
        raise HashError(f"source: {str(src)!r} {what}")
    src = src.resolve()
    dest_resolved = dest.resolve()
    if dest_resolved == src or src in dest_resolved.parents:
        raise HashError(f"destination: {str(dest)!r} is inside the source {str(src)!r}")
    if dest_resolved in src.parents:
        raise HashError(f"destination: {str(dest)!r} contains the source {str(src)!r}")
    if dest.exists() and not dest.is_dir():
        raise HashError(f"destination: {str(dest)!r} exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not clean:
        raise HashError(f"destination: {str(dest)!r} is not empty; pass --clean to empty it first")
    if prefix is not None and (not prefix.startswith("/") or "//" in prefix):
        raise HashError(f"prefix: expected a URL path such as '/static/', got {prefix!r}")
    if prefix is not None and not prefix.endswith("/"):
        prefix += "/"

    skipped: list[str] = []
    files = dict(_walk(src, skipped))
    if files.pop(manifest_name, None) is not None:
        skipped.append(f"{manifest_name}: replaced by the manifest this run writes")
    problems: list[Problem] = []
    for file in files.values():
        if file.rel.endswith(_CSS + _JS):
            _find_references(file, files, prefix, problems)
    order, cycles = _order(files)
    for cycle in cycles:
        problems.append(Problem(cycle[0], 0, "", "references form a cycle: " + " → ".join(cycle)))
    manifest = dest / manifest_name
    if strict and problems:
        return HashResult(
            files=len(files),
            paths={},
            references_rewritten=0,
            problems=tuple(problems),
            skipped=tuple(skipped),
            manifest=manifest,
            written=False,
            seconds=time.perf_counter() - started,
        )

    # References between members of one cycle keep their original names (copied too): no
    # order of hashing could make each member's name cover the others'.
    component = {rel: number for number, cycle in enumerate(cycles) for rel in cycle}
    paths: dict[str, str] = {}
    digests: dict[str, str] = {}
    contents: dict[str, bytes | None] = {}
    rewritten = 0
    for rel in order:
        file = files[rel]
        if file.text is None:
            digest = _digest_file(file.path)
            contents[rel] = None
        else:
            data, count = _rewrite(file, digests, component)
            rewritten += count
            digest = _digest(data)
            contents[rel] = data
        directory, name = posixpath.split(rel)
        digests[rel] = digest
        paths[rel] = posixpath.join(directory, hashed_name(name, digest))

    if clean and dest.is_dir():
        _empty(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for rel, hashed in paths.items():
        file = files[rel]
        original = dest / rel
        original.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file.path, original)
        rewritten_bytes = contents[rel]
        if rewritten_bytes is None:
            shutil.copy2(file.path, dest / hashed)
        else:
            (dest / hashed).write_bytes(rewritten_bytes)
            shutil.copystat(file.path, dest / hashed)
    ordered = dict(sorted(paths.items()))
    payload = {"paths": ordered, "version": MANIFEST_VERSION, "hash": manifest_hash(ordered)}
    manifest.write_text(json.dumps(payload), encoding="utf-8")
    return HashResult(
        files=len(files),
        paths=ordered,
        references_rewritten=rewritten,
        problems=tuple(problems),
        skipped=tuple(skipped),
        manifest=manifest,
        written=True,
        seconds=time.perf_counter() - started,
    )


def manifest_hash(paths: dict[str, str]) -> str:
    """The manifest's own ``hash``, as Django computes it: the first 12 hex digits of the MD5
    of the JSON list of sorted ``[original, hashed]`` pairs."""
    return _digest(json.dumps(sorted(paths.items())).encode())


def _digest(data: bytes) -> str:
    # MD5 names files here, it protects nothing: Django's choice, kept for identical names.
    return hashlib.md5(data, usedforsecurity=False).hexdigest()[:HASH_LENGTH]


def _digest_file(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()[:HASH_LENGTH]


def _walk(src: Path, skipped: list[str]) -> Iterator[tuple[str, _File]]:
    """Regular files under ``src`` by relative path; hidden names and links out are skipped."""
    root = str(src)
    for directory, folders, names in os.walk(root):
        rel_dir = os.path.relpath(directory, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        kept = []
        for folder in sorted(folders):
            if folder.startswith("."):
                continue
            if os.path.islink(os.path.join(directory, folder)):
                skipped.append(f"{rel_dir}{folder}/: a symlinked folder is not copied")
                continue
            kept.append(folder)
        folders[:] = kept
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            rel = rel_dir + name
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                skipped.append(f"{rel!a}: the name is not valid UTF-8")
                continue
            if os.path.islink(path):
                target = os.path.realpath(path)
                if not (target + os.sep).startswith(root + os.sep):
                    skipped.append(f"{rel}: a symlink leading out of the source")
                    continue
            if os.path.isfile(path):
                yield rel, _File(rel, path)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _find_references(
    file: _File, files: dict[str, _File], prefix: str | None, problems: list[Problem]
) -> None:
    with open(file.path, "rb") as handle:
        # Undecodable bytes survive the round trip: only the references change.
        text = handle.read().decode("utf-8", "surrogateescape")
    file.text = text
    found: list[_Reference] = []
    if file.rel.endswith(_CSS):
        comments = [match.span() for match in _CSS_COMMENT.finditer(text)]
        starts = [start for start, _ in comments]

        def in_comment(offset: int) -> bool:
            before = bisect.bisect_right(starts, offset) - 1
            return before >= 0 and offset < comments[before][1]

        for pattern in (_CSS_URL, _CSS_IMPORT):
            for match in pattern.finditer(text):
                if not in_comment(match.start()):
                    found.append(_reference(match, text))
        found.extend(_reference(match, text) for match in _CSS_SOURCE_MAP.finditer(text))
    else:
        found.extend(_reference(match, text) for match in _JS_SOURCE_MAP.finditer(text))
    for reference in sorted(found, key=lambda r: r.start):
        target = _resolve(file.rel, reference.url, prefix)
        if target is None:
            continue
        if target.startswith("../") or target == "..":
            problems.append(
                Problem(file.rel, reference.line, reference.url, "points outside the source")
            )
        elif target not in files:
            problems.append(Problem(file.rel, reference.line, reference.url, "no such file"))
        else:
            reference.target = target
            file.references.append(reference)


def _reference(match: re.Match[str], text: str) -> _Reference:
    groups = match.groupdict()
    group = next(name for name in ("dq", "sq", "bare") if groups.get(name) is not None)
    start, end = match.span(group)
    return _Reference(start, end, _line(text, match.start()), match.group(group))


def _split(url: str) -> tuple[str, str]:
    """The path of a URL reference, and the query and fragment after it."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i != -1), default=len(url))
    return url[:cut], url[cut:]


def _resolve(rel: str, url: str, prefix: str | None) -> str | None:
    """The source-relative path a reference names, or None when it is left alone."""
    url = url.strip()
    if not url or url.startswith(("#", "//")) or _SCHEME.match(url):
        return None  # a fragment, another host, data:, http(s):, ...
    path, _ = _split(url)
    if not path:
        return None
    if path.startswith("/"):
        if prefix is None or not path.startswith(prefix):
            return None  # elsewhere on the site: not ours to rename
        return posixpath.normpath(unquote(path[len(prefix) :]))
    return posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(path)))


def _order(files: dict[str, _File]) -> tuple[list[str], list[list[str]]]:
    """Every file, each after the files it refers to; and the cycles, each as a closed path.

    Tarjan's algorithm: strongly connected components come out dependencies first.
    """
    order: list[str] = [rel for rel, file in files.items() if file.text is None]
    edges = {
        rel: sorted({r.target for r in file.references if r.target in files})
        for rel, file in files.items()
        if file.text is not None
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        # Iterative, so a long chain of imports cannot exhaust Python's recursion limit.
        work = [(node, iter(edges[node]))]
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            child = next((c for c in children if c in edges), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[current] = min(low[current], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                component.sort()
                order.extend(component)
                if len(component) > 1 or current in edges[current]:
                    cycles.append(_cycle_path(component, edges))

    for rel in sorted(edges):
        if rel not in index:
            visit(rel)
    return order, cycles


def _cycle_path(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A closed path through the component from its first member, for the report."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in edges[node]:
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start, start]


def _rewrite(file: _File, digests: dict[str, str], component: dict[str, int]) -> tuple[bytes, int]:
    """The file's bytes with each reference renamed to its target's hashed name."""
    assert file.text is not None
    text = file.text
    pieces: list[str] = []
    position = 0
    count = 0
    for reference in file.references:
        target = reference.target
        if target is None or target not in digests:
            continue
        if file.rel in component and component.get(target) == component[file.rel]:
            continue
        pieces.append(text[position : reference.start])
        pieces.append(_renamed(reference.url, digests[target]))
        position = reference.end
        count += 1
    pieces.append(text[position:])
    return "".join(pieces).encode("utf-8", "surrogateescape"), count


def _renamed(url: str, digest: str) -> str:
    """``url`` with the digest inserted into its last path segment; the surrounding
    whitespace, the directories, the query and the fragment stay as written."""
    stripped = url.strip()
    lead = url[: len(url) - len(url.lstrip())]
    trail = url[len(url.rstrip()) :]
    path, rest = _split(stripped)
    directory, slash, segment = path.rpartition("/")
    candidate = hashed_name(segment, digest)
    expected = hashed_name(unquote(segment), digest)
    if unquote(candidate) != expected:  # an encoded dot: spell the new name out
        candidate = quote(expected)
    return f"{lead}{directory}{slash}{candidate}{rest}{trail}"


def _empty(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
