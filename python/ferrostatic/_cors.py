"""Cross-origin reads of the files (``cors_allow_origins``), per the Fetch standard's CORS
protocol: https://fetch.spec.whatwg.org/#http-cors-protocol.

Every response about a file (200, 206, 304, 412, 416) carries the CORS headers, so that a
font or a module script loads through a CDN whatever origin first filled its cache:

- ``["*"]``: ``Access-Control-Allow-Origin: *`` on every one of them; nothing varies.
- a list: an ``Origin`` on the list (compared case-insensitively) is echoed, and every file
  response says ``Vary: Origin`` (also those without the header: a cache must not hand the
  answer for one origin to another).

A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) for a file, from an allowed
origin, asking for GET or HEAD, is answered ``204`` here; any other ``OPTIONS`` is not ours.
The header blocks are built once; a request only picks and appends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._pure import Decision

__all__ = ["FILE_STATUSES", "Cors", "add_vary", "header_value"]

Header = tuple[bytes, bytes]

FILE_STATUSES: Final = frozenset({200, 206, 304, 412, 416})

# Read by scripts doing ranged or conditional reads; the safelisted ones need no mention.
_EXPOSED: Final = (
    b"access-control-expose-headers",
    b"accept-ranges, content-encoding, content-range, etag",
)
# What a request to a file may usefully send; offered when a preflight names no headers or
# names them in a form that is not a list of tokens.
_ALLOWED_HEADERS: Final = (
    b"range, if-match, if-none-match, if-modified-since, if-unmodified-since, if-range"
)
_TOKEN_LIST: Final = re.compile(
    rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*"
)


def header_value(headers: Iterable[Header], name: bytes) -> bytes | None:
    """The first value of request header ``name`` (lower-case), or None."""
    for key, value in headers:
        if key == name or key.lower() == name:
            return value
    return None


class Cors:
    """The CORS headers of one app's file responses, and its preflight answers."""

    def __init__(self, origins: frozenset[str], max_age: int) -> None:
        self.any_origin = "*" in origins
        self._origins = frozenset(origin.encode("ascii") for origin in origins)
        self._wildcard = ((b"access-control-allow-origin", b"*"), _EXPOSED)
        self._max_age = (b"access-control-max-age", b"%d" % max_age)

    def allowed(self, origin: bytes | None) -> bool:
        """Whether a request with this ``Origin`` may read the files."""
        return self.any_origin or (origin is not None and origin.lower() in self._origins)

    def decorate(self, decision: Decision, headers: Iterable[Header]) -> None:
        """Add the CORS headers to a response about a file (in place)."""
        if decision.status not in FILE_STATUSES:
            return
        if self.any_origin:
            decision.headers.extend(self._wildcard)
            return
        add_vary(decision.headers, b"origin")
        origin = header_value(headers, b"origin")
        if origin is not None and origin.lower() in self._origins:
            decision.headers.append((b"access-control-allow-origin", origin))
            decision.headers.append(_EXPOSED)

    def preflight(self, headers: Iterable[Header]) -> Decision | None:
        """The 204 answer to a preflight that asks for GET or HEAD from an allowed origin;
        None for any other OPTIONS request."""
        from ._pure import Decision

        headers = list(headers)
        wanted = header_value(headers, b"access-control-request-method")
        origin = header_value(headers, b"origin")
        # Without ``Origin`` it is no CORS request at all (Fetch §3.2.2), even with "*".
        if (
            wanted is None
            or wanted.strip() not in (b"GET", b"HEAD")
            or origin is None
            or not self.allowed(origin)
        ):
            return None
        asked = header_value(headers, b"access-control-request-headers")
        allowed = asked.strip() if asked and _TOKEN_LIST.fullmatch(asked.strip()) else None
        answer: list[Header] = [
            (b"access-control-allow-origin", b"*" if self.any_origin else origin),
            (b"access-control-allow-methods", b"GET, HEAD"),
            (b"access-control-allow-headers", allowed or _ALLOWED_HEADERS),
            self._max_age,
        ]
        vary = [] if self.any_origin else [b"origin"]
        if allowed:
            vary.append(b"access-control-request-headers")
        if vary:
            answer.append((b"vary", b", ".join(vary)))
        return Decision(204, answer)


def add_vary(headers: list[Header], name: bytes) -> None:
    """Add ``name`` to the response's Vary field, creating it if there is none."""
    for position, (key, value) in enumerate(headers):
        if key == b"vary":
            headers[position] = (key, value + b", " + name)
            return
    headers.append((b"vary", name))
