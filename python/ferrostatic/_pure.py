"""The pure-Python router: the same decisions as the Rust core, step for step.

It is the fallback where the compiled core is missing (or ``FERROSTATIC_BACKEND=python``) and the
oracle the Rust core is tested against. The functions carry the names of their Rust twins in
``rust/core/src`` and ``rust/py/src``: ``check_preconditions``, ``select_variant``,
``resolve_ranges``, ``render``. It does no I/O and reads no clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Final

from ._headers import (
    AcceptEncoding,
    format_http_date,
    parse_etag_list,
    parse_http_date,
    parse_range,
)
from ._types import CODINGS, Redirect, Resource, Variant

__all__ = ["Decision", "Router"]

Header = tuple[bytes, bytes]

_TEXT_PLAIN: Final = (b"content-type", b"text/plain; charset=utf-8")
_ACCEPT_RANGES: Final = (b"accept-ranges", b"bytes")
_VARY: Final = (b"vary", b"accept-encoding")
_ALLOW: Final = (b"allow", b"GET, HEAD")
_NO_BODY: Final = (b"content-length", b"0")

_NOT_FOUND_BODY: Final = b"404 Not Found\n"
_METHOD_NOT_ALLOWED_BODY: Final = b"405 Method Not Allowed\n"
_PRECONDITION_FAILED_BODY: Final = b"412 Precondition Failed\n"
_RANGE_NOT_SATISFIABLE_BODY: Final = b"416 Range Not Satisfiable\n"

_IF_MATCH: Final = 0
_IF_NONE_MATCH: Final = 1
_IF_MODIFIED_SINCE: Final = 2
_IF_UNMODIFIED_SINCE: Final = 3
_RANGE: Final = 4
_IF_RANGE: Final = 5
_ACCEPT_ENCODING: Final = 6
_WANTED: Final = {
    b"if-match": _IF_MATCH,
    b"if-none-match": _IF_NONE_MATCH,
    b"if-modified-since": _IF_MODIFIED_SINCE,
    b"if-unmodified-since": _IF_UNMODIFIED_SINCE,
    b"range": _RANGE,
    b"if-range": _IF_RANGE,
    b"accept-encoding": _ACCEPT_ENCODING,
}

_UNSEEN: Final = -1
_SLOT_OF: dict[bytes, int | None] = {}


def _slot_of(name: bytes) -> int | None:
    """The field a header name is (names are case-insensitive, RFC 9110 §5.1), remembered:
    clients send the same few names on every request."""
    slot = _WANTED.get(name.lower())
    if len(_SLOT_OF) >= 1024:
        _SLOT_OF.clear()
    _SLOT_OF[name] = slot
    return slot


# The outcomes of the precondition steps (RFC 9110 §13.2.2).
_PROCEED: Final = 0
_NOT_MODIFIED: Final = 304
_PRECONDITION_FAILED: Final = 412


class Decision:
    """How to answer one request: status, headers, and where the body comes from.

    Each ``(prefix, offset, length)`` of ``segments`` is sent as ``prefix`` then ``length``
    bytes of ``file`` from ``offset``, and ``body`` follows last (all of it, when there are no
    segments). ``file`` is set whenever the response is about a representation read from disk,
    HEAD, 304, 412 and 416 included: ``size`` and ``mtime_ns`` are what the index saw of it, and
    an adapter that finds them changed must not trust the headers. ``coding`` is the content
    coding of the selected representation, if any.

    ``holdable`` is true for a 200 with the whole of a file that the router would keep in
    memory from now on: the adapter that reads those bytes hands them over with ``hold``.
    """

    __slots__ = (
        "_holder",
        "body",
        "coding",
        "file",
        "headers",
        "mtime_ns",
        "segments",
        "size",
        "status",
    )
    _holder: _Rep

    def __init__(
        self,
        status: int,
        headers: list[Header],
        body: bytes = b"",
        file: str | None = None,
        segments: tuple[tuple[bytes, int, int], ...] = (),
        size: int = 0,
        mtime_ns: int = 0,
        coding: str | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.file = file
        self.segments = segments
        self.size = size
        self.mtime_ns = mtime_ns
        self.coding = coding
        # ``_holder`` is only set on a holdable decision: most never pay for it.

    @property
    def holdable(self) -> bool:
        """Whether ``hold`` would keep this file's bytes in memory."""
        return getattr(self, "_holder", None) is not None

    def hold(self, body: bytes) -> bool:
        """Keep ``body``, the whole file this decision is about, for the responses to come.

        False when it is not kept: the decision is not holdable, the length is not the one
        indexed, or the memory budget has been spent meanwhile.
        """
        rep: _Rep | None = getattr(self, "_holder", None)
        if rep is None or rep.memory is None:
            return False
        return rep.memory.hold(rep, body)

    def __repr__(self) -> str:
        return f"Decision(status={self.status}, file={self.file!r}, coding={self.coding!r})"


class _Memory:
    """The bytes a router may still hold in memory, handed out first come, first served."""

    def __init__(self, budget: int, max_file_size: int) -> None:
        self.left = budget
        self.max_file_size = max_file_size
        self._lock = threading.Lock()

    def hold(self, rep: _Rep, body: bytes) -> bool:
        """Keep ``body`` as ``rep``'s bytes if it is the size indexed and the budget allows."""
        with self._lock:
            variant = rep.variant
            if variant.body is not None or len(body) != variant.size or variant.size > self.left:
                return False
            self.left -= variant.size
            rep.variant = variant._replace(body=body)
            return True


class _Rep:
    """One variant with the header blocks of its responses, computed once."""

    __slots__ = ("coding", "full", "memory", "rank", "validators", "variant")

    def __init__(
        self,
        variant: Variant,
        validators: tuple[Header, ...],
        content_type: bytes,
        memory: _Memory | None,
    ):
        self.variant = variant
        # Only a file small enough to be held ever looks at the budget.
        self.memory = (
            memory
            if memory is not None and variant.body is None and variant.size <= memory.max_file_size
            else None
        )
        self.coding = variant.coding.encode("ascii")
        self.rank = CODINGS.index(variant.coding)
        self.validators = validators
        self.full = (
            *_representation_headers(content_type, variant, variant.size),
            _ACCEPT_RANGES,
            *validators,
        )


class _Entry:
    """A resource as the router keeps it."""

    __slots__ = ("choices", "content_type", "extra", "last_modified", "multi", "reps")

    def __init__(self, resource: Resource, memory: _Memory | None) -> None:
        self.choices: dict[bytes, int] | None = None
        """``select_variant``'s answer by Accept-Encoding value, for the few values clients
        send (made on first use: most entries of a large tree are never asked for)."""
        self.content_type = resource.content_type
        self.last_modified = resource.last_modified
        self.multi = len(resource.variants) > 1
        self.extra = resource.headers
        caching: list[Header] = []
        if resource.cache_control is not None:
            caching.append((b"cache-control", resource.cache_control))
        if resource.last_modified is not None:
            caching.append((b"last-modified", format_http_date(resource.last_modified)))
        self.reps = tuple(
            _Rep(
                variant,
                _validators(variant, caching, self.multi, resource.headers),
                self.content_type,
                memory,
            )
            for variant in resource.variants
        )


def _validators(
    variant: Variant, caching: list[Header], multi: bool, extra: tuple[Header, ...]
) -> tuple[Header, ...]:
    """What a 304 carries (RFC 9110 §15.4.5), and what every 200/206 ends with."""
    headers = [*caching[:1], (b"etag", variant.etag), *caching[1:]]
    if multi:
        headers.append(_VARY)
    headers.extend(extra)
    return tuple(headers)


class Router:
    """Maps a request to a ``Decision``, or to None when the request is not ours to answer."""

    def __init__(
        self,
        resources: Sequence[Resource],
        redirects: Sequence[Redirect] = (),
        *,
        standalone: bool,
        current_year: int,
        memory_budget: int = 0,
        max_memory_file_size: int = 0,
    ) -> None:
        """Build the lookup table. ``standalone`` answers misses with 404 and other methods with
        405; otherwise both are left to the wrapped app (``resolve`` returns None).
        ``current_year`` resolves two-digit years in obsolete rfc850 dates.

        Files of at most ``max_memory_file_size`` bytes are held in memory once read for a
        response (``Decision.hold``), until ``memory_budget`` bytes are held in all."""
        self._standalone = standalone
        self._current_year = current_year
        self._table: dict[str, _Entry | Redirect] = {}
        memory = _Memory(memory_budget, max_memory_file_size) if memory_budget > 0 else None
        for resource in resources:
            entry = _Entry(resource, memory)
            for url in resource.urls:
                self._table[url] = entry
        for redirect in redirects:
            self._table[redirect.url] = redirect

    def __len__(self) -> int:
        return len(self._table)

    def resolve(
        self, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """Decide the answer to ``method path?query`` with the given request headers.

        ``path`` is the decoded URL path relative to the mount point. None means "not ours":
        a miss, or a method other than GET/HEAD, when not standalone.
        """
        target = self._table.get(path)
        if target is None:
            return _not_found(method) if self._standalone else None
        if method != "GET" and method != "HEAD":
            return _method_not_allowed() if self._standalone else None
        if type(target) is Redirect:
            return _redirect(target, query, method)
        assert isinstance(target, _Entry)
        fields: list[bytes | None] = [None] * 7
        for name, value in headers:
            slot = _SLOT_OF.get(name, _UNSEEN)
            if slot is _UNSEEN:
                slot = _slot_of(name)
            if slot is None:
                continue
            # Repeated fields combine into one list, in order (RFC 9110 §5.3).
            previous = fields[slot]
            fields[slot] = value if previous is None else previous + b", " + value
        return self._decide(target, method, fields)

    def _decide(self, entry: _Entry, method: str, fields: list[bytes | None]) -> Decision:
        rep = entry.reps[_chosen(entry, fields[_ACCEPT_ENCODING])]
        variant = rep.variant
        head = method == "HEAD"
        # Most requests carry no precondition at all: skip the call that would say so.
        if (
            fields[_IF_MATCH] is not None
            or fields[_IF_NONE_MATCH] is not None
            or fields[_IF_MODIFIED_SINCE] is not None
            or fields[_IF_UNMODIFIED_SINCE] is not None
        ):
            outcome = check_preconditions(
                variant.etag, entry.last_modified, fields, self._current_year
            )
            if outcome != _PROCEED:
                return render_condition(entry, rep, outcome, head)
        ranges: list[tuple[int, int]] | None = None
        if method == "GET" and fields[_RANGE] is not None:
            if_range = fields[_IF_RANGE]
            if if_range is None or if_range_passes(
                if_range, variant.etag, entry.last_modified, self._current_year
            ):
                ranges = resolve_ranges(fields[_RANGE], variant)
                if ranges is not None and not ranges:
                    return render_not_satisfiable(entry, rep)
        if ranges is None:
            return render_full(rep, head)
        if len(ranges) == 1:
            return render_single_range(entry, rep, ranges[0], head)
        return render_multipart(entry, rep, ranges, head)


# --- Steps ------------------------------------------------------------------------------------


_CHOICES_PER_ENTRY: Final = 8


def _chosen(entry: _Entry, accept_encoding: bytes | None) -> int:
    """``select_variant``, remembered per entry: browsers send the same few Accept-Encoding
    values, and a variant's size and coding never change."""
    if not entry.multi or accept_encoding is None:
        return 0
    choices = entry.choices
    if choices is None:
        choices = entry.choices = {}
    index = choices.get(accept_encoding)
    if index is None:
        index = select_variant(entry.reps, accept_encoding)
        if len(choices) < _CHOICES_PER_ENTRY:
            choices[accept_encoding] = index
    return index


def select_variant(reps: Sequence[_Rep], accept_encoding: bytes | None) -> int:
    """Pick the representation to send (RFC 9110 §12.5.3).

    1. Each variant gets the client's weight for its coding; weight 0 ("q=0") excludes it.
    2. The highest weight wins; among equal weights, the smallest file; then ``CODINGS`` order.
    3. When nothing listed is acceptable (no Accept-Encoding, identity not listed, or
       ``identity;q=0`` and no acceptable variant), identity is sent: a response without
       content coding is the RFC's fallback.
    """
    if len(reps) == 1 or accept_encoding is None:
        return 0
    accepted = _parsed_accept_encoding(accept_encoding)
    best, best_key = 0, (0, 0, 0)
    for index, rep in enumerate(reps):
        weight = accepted.weight(rep.coding)
        if weight == 0:
            continue
        key = (-weight, rep.variant.size, rep.rank)
        if best_key[0] == 0 or key < best_key:
            best, best_key = index, key
    return best


_ACCEPT_ENCODING_MEMO: dict[bytes, AcceptEncoding] = {}
_MEMO_SIZE: Final = 256


def _parsed_accept_encoding(value: bytes) -> AcceptEncoding:
    """Browsers send the same few Accept-Encoding values over and over: parse each once."""
    accepted = _ACCEPT_ENCODING_MEMO.get(value)
    if accepted is None:
        if len(_ACCEPT_ENCODING_MEMO) >= _MEMO_SIZE:
            _ACCEPT_ENCODING_MEMO.clear()
        accepted = _ACCEPT_ENCODING_MEMO[value] = AcceptEncoding(value)
    return accepted


def check_preconditions(
    etag: bytes, last_modified: int | None, fields: list[bytes | None], current_year: int
) -> int:
    """Evaluate the conditional headers in the order of RFC 9110 §13.2.2.

    1. If-Match present: false → 412 (§13.1.1, strong comparison; ``*`` is true).
    2. Else If-Unmodified-Since present and a valid date: modified after it → 412 (§13.1.4).
    3. If-None-Match present: false → 304 (GET/HEAD only reach here; §13.1.2, weak comparison).
    4. Else If-Modified-Since present and a valid date: not modified since → 304 (§13.1.3).
    5. Otherwise proceed (If-Range is evaluated with the Range header, §13.1.5).
    """
    if_match = fields[_IF_MATCH]
    if if_match is not None:
        # An exact copy of the ETag (the common case) matches without parsing.
        if if_match != etag and not _etag_matches(parse_etag_list(if_match), etag, strong=True):
            return _PRECONDITION_FAILED
    else:
        if_unmodified_since = fields[_IF_UNMODIFIED_SINCE]
        if if_unmodified_since is not None and last_modified is not None:
            date = parse_http_date(if_unmodified_since, current_year)
            if date is not None and last_modified > date:
                return _PRECONDITION_FAILED
    if_none_match = fields[_IF_NONE_MATCH]
    if if_none_match is not None:
        if if_none_match == etag or _etag_matches(
            parse_etag_list(if_none_match), etag, strong=False
        ):
            return _NOT_MODIFIED
    else:
        if_modified_since = fields[_IF_MODIFIED_SINCE]
        if if_modified_since is not None and last_modified is not None:
            date = parse_http_date(if_modified_since, current_year)
            if date is not None and last_modified <= date:
                return _NOT_MODIFIED
    return _PROCEED


def _etag_matches(tags: list[tuple[bool, bytes]] | str, etag: bytes, *, strong: bool) -> bool:
    """Whether a parsed tag list matches our (always strong) ETag (RFC 9110 §8.8.3.2).

    Strong comparison: both strong and equal. Weak comparison: equal opaque tags, ``W/`` or not.
    ``*`` matches any current representation.
    """
    if isinstance(tags, str):
        return True
    return any(tag == etag and not (strong and weak) for weak, tag in tags)


def if_range_passes(value: bytes, etag: bytes, last_modified: int | None, year: int) -> bool:
    """Whether the Range header may be honoured (RFC 9110 §13.1.5).

    An entity-tag must match strongly (a weak one never does); a date must equal Last-Modified
    exactly. Anything else, garbage included, is false: the full representation is sent.
    """
    value = value.strip(b" \t")
    if value[:1] == b'"':
        tags = parse_etag_list(value)
        return isinstance(tags, list) and len(tags) == 1 and tags[0][1] == value == etag
    if value[:2] == b"W/":
        return False
    date = parse_http_date(value, year)
    return date is not None and date == last_modified


MAX_MULTIPART_RANGES: Final = 16
"""Satisfiable ranges served as multipart at most; more is answered with the whole file."""


def resolve_ranges(value: bytes, variant: Variant) -> list[tuple[int, int]] | None:
    """The byte ranges to send, as inclusive (first, last) pairs (RFC 9110 §14.1.2, §14.2).

    None: ignore the header and send 200 — it is invalid, has too many ranges, the
    representation is empty, or a multi-range request would cost more than the whole file
    (overlapping ranges, §14.2's denial-of-service advice) or concerns a content-coded variant
    (the parts of a multipart body carry no Content-Encoding). An empty list: nothing is
    satisfiable, 416.
    """
    specs = parse_range(value)
    size = variant.size
    if specs is None or size == 0:
        return None
    ranges: list[tuple[int, int]] = []
    for first, last in specs:
        if first is None:
            assert last is not None
            if last > 0:
                ranges.append((max(size - last, 0), size - 1))
        elif first < size:
            ranges.append((first, size - 1 if last is None or last >= size else last))
    if len(ranges) > 1 and (
        len(ranges) > MAX_MULTIPART_RANGES
        or variant.coding != "identity"
        or sum(last - first + 1 for first, last in ranges) > size
    ):
        return None
    return ranges


# --- Rendering: the one place an outcome becomes status, headers and body ---------------------


def _representation_headers(content_type: bytes, variant: Variant, length: int) -> list[Header]:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % length)]
    if variant.coding != "identity":
        headers.append((b"content-encoding", variant.coding.encode("ascii")))
    return headers


def _slice(rep: _Rep, status: int, headers: list[Header], first: int, length: int) -> Decision:
    """A response whose body is ``length`` bytes of the representation from ``first``."""
    variant = rep.variant
    if variant.body is not None:
        if length == variant.size:
            return Decision(status, headers, variant.body, coding=variant.coding)
        return Decision(
            status, headers, variant.body[first : first + length], coding=variant.coding
        )
    segments = ((b"", first, length),)
    decision = Decision(
        status, headers, b"", variant.path, segments, variant.size, variant.mtime_ns, variant.coding
    )
    memory = rep.memory
    if memory is not None and status == 200 and variant.size <= memory.left:
        decision._holder = rep
    return decision


def _about(rep: _Rep, status: int, headers: list[Header], body: bytes = b"") -> Decision:
    """A response that sends none of the representation's bytes, but depends on them."""
    variant = rep.variant
    if variant.body is not None:
        return Decision(status, headers, body, coding=variant.coding)
    return Decision(
        status, headers, body, variant.path, (), variant.size, variant.mtime_ns, variant.coding
    )


def render_full(rep: _Rep, head: bool) -> Decision:
    """200 with the whole selected representation."""
    if head:
        return _about(rep, 200, list(rep.full))
    return _slice(rep, 200, list(rep.full), 0, rep.variant.size)


def render_single_range(
    entry: _Entry, rep: _Rep, byte_range: tuple[int, int], head: bool
) -> Decision:
    """206 with one range of the selected representation (RFC 9110 §14.4, §15.3.7)."""
    variant = rep.variant
    first, last = byte_range
    headers = _representation_headers(entry.content_type, variant, last - first + 1)
    headers.append((b"content-range", b"bytes %d-%d/%d" % (first, last, variant.size)))
    headers.append(_ACCEPT_RANGES)
    headers.extend(rep.validators)
    if head:
        return _about(rep, 206, headers)
    return _slice(rep, 206, headers, first, last - first + 1)


_BOUNDARY_SAFE: Final = frozenset(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._"
)


def multipart_boundary(etag: bytes) -> bytes:
    """A boundary derived from the representation's ETag: stable, and absent from its bytes.

    Only characters valid both in a token (RFC 9110 §5.6.2, the media-type parameter) and in a
    MIME boundary (RFC 2046 §5.1.1) are kept, and at most 70 in all.
    """
    return (b"ferrostatic-" + bytes(c for c in etag if c in _BOUNDARY_SAFE))[:70]


def render_multipart(
    entry: _Entry, rep: _Rep, ranges: list[tuple[int, int]], head: bool
) -> Decision:
    """206 multipart/byteranges, one part per range in the order asked (RFC 9110 §14.6)."""
    variant = rep.variant
    boundary = multipart_boundary(variant.etag)
    prefixes = [
        b"%s--%s\r\ncontent-type: %s\r\ncontent-range: bytes %d-%d/%d\r\n\r\n"
        % (b"\r\n" if index else b"", boundary, entry.content_type, first, last, variant.size)
        for index, (first, last) in enumerate(ranges)
    ]
    closing = b"\r\n--%s--\r\n" % boundary
    length = sum(map(len, prefixes)) + len(closing)
    length += sum(last - first + 1 for first, last in ranges)
    headers: list[Header] = [
        (b"content-type", b"multipart/byteranges; boundary=" + boundary),
        (b"content-length", b"%d" % length),
        _ACCEPT_RANGES,
        *rep.validators,
    ]
    if head:
        return _about(rep, 206, headers)
    if variant.body is not None:
        data = variant.body
        parts = [
            p + data[first : last + 1] for p, (first, last) in zip(prefixes, ranges, strict=True)
        ]
        return Decision(206, headers, b"".join(parts) + closing, coding=variant.coding)
    segments = tuple(
        (prefix, first, last - first + 1)
        for prefix, (first, last) in zip(prefixes, ranges, strict=True)
    )
    return Decision(
        206,
        headers,
        closing,
        variant.path,
        segments,
        variant.size,
        variant.mtime_ns,
        variant.coding,
    )


def render_condition(entry: _Entry, rep: _Rep, outcome: int, head: bool) -> Decision:
    """304 with the validators and caching headers a 200 would carry (RFC 9110 §15.4.5),
    or 412 with a short text body."""
    if outcome == _NOT_MODIFIED:
        return _about(rep, 304, list(rep.validators))
    headers = [_TEXT_PLAIN, (b"content-length", b"%d" % len(_PRECONDITION_FAILED_BODY))]
    if entry.multi:
        headers.append(_VARY)
    headers.extend(entry.extra)
    return _about(rep, 412, headers, b"" if head else _PRECONDITION_FAILED_BODY)


def render_not_satisfiable(entry: _Entry, rep: _Rep) -> Decision:
    """416 naming the selected representation's length (RFC 9110 §15.5.17, §14.4)."""
    headers = [
        _TEXT_PLAIN,
        (b"content-length", b"%d" % len(_RANGE_NOT_SATISFIABLE_BODY)),
        (b"content-range", b"bytes */%d" % rep.variant.size),
        _ACCEPT_RANGES,
    ]
    if entry.multi:
        headers.append(_VARY)
    headers.extend(entry.extra)
    return _about(rep, 416, headers, _RANGE_NOT_SATISFIABLE_BODY)


def _not_found(method: str) -> Decision:
    headers = [_TEXT_PLAIN, (b"content-length", b"%d" % len(_NOT_FOUND_BODY))]
    return Decision(404, headers, b"" if method == "HEAD" else _NOT_FOUND_BODY)


def _method_not_allowed() -> Decision:
    length = b"%d" % len(_METHOD_NOT_ALLOWED_BODY)
    headers = [_TEXT_PLAIN, (b"content-length", length), _ALLOW]
    return Decision(405, headers, _METHOD_NOT_ALLOWED_BODY)


# What a query may carry as it is (RFC 3986 §3.4), less what browsers and proxies mangle; '%'
# stays only where it starts an escape (§2.1).
_QUERY_SAFE: Final = frozenset(range(0x21, 0x7F)) - frozenset(b'"#<>[\\]^`{|}%')
_HEX_BYTES: Final = frozenset(bytes((c,)) for c in b"0123456789abcdefABCDEF")


def _encode_query(query: bytes) -> bytes:
    encoded = bytearray()
    for index, c in enumerate(query):
        if c in _QUERY_SAFE or (
            c == 0x25
            and query[index + 1 : index + 2] in _HEX_BYTES
            and query[index + 2 : index + 3] in _HEX_BYTES
        ):
            encoded.append(c)
        else:
            encoded += b"%%%02X" % c
    return bytes(encoded)


def _redirect(target: Redirect, query: bytes, method: str) -> Decision:
    """301 to the directory URL, keeping the query string (percent-encoded where unsafe)."""
    location = target.location
    if query:
        location += b"?" + _encode_query(query)
    headers = [(b"location", location), _NO_BODY]
    if target.cache_control is not None:
        headers.append((b"cache-control", target.cache_control))
    return Decision(301, headers)
