"""Custom bodies for the error responses ferrostatic answers itself.

``not_found_file="404.html"`` and ``error_responses={405: b"...", 416: "range.txt"}`` replace
the short text bodies of those responses. The files are read once, at construction; a request
only swaps the body and its two representation headers (Content-Type, Content-Length). Every
other header of the response stays: ``Allow`` on a 405, ``Content-Range`` on a 416, the
validators and CORS headers on a 412.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .media_types import media_type_for

if TYPE_CHECKING:
    from ._pure import Decision

__all__ = ["CUSTOMISABLE", "ErrorBody", "load_error_bodies", "with_error_body"]

CUSTOMISABLE = (404, 405, 412, 416, 503)
"""The statuses ferrostatic answers with a body of its own (a 304 or 301 has none)."""

MAX_ERROR_BODY = 1024 * 1024
"""An error page is sent from memory; a larger one is a mistake worth reporting."""


class ErrorBody(NamedTuple):
    """A replacement body and its media type."""

    content_type: bytes
    body: bytes


def load_error_bodies(
    error_responses: object, not_found_file: object, directory: Path, charset: str | None
) -> dict[int, ErrorBody]:
    """Read the configured bodies, raising ``ConfigError`` naming the option that is wrong."""
    from .config import ConfigError

    bodies: dict[int, ErrorBody] = {}
    if error_responses is not None:
        if not isinstance(error_responses, Mapping):
            raise ConfigError(
                "error_responses: expected a dict like {404: '404.html', 405: b'...'}, "
                f"got {error_responses!r}"
            )
        for key, value in error_responses.items():
            status = _status(key)
            if status not in CUSTOMISABLE:
                raise ConfigError(
                    f"error_responses: {key!r} is not one of the statuses ferrostatic answers "
                    f"with a body: {', '.join(map(str, CUSTOMISABLE))}"
                )
            bodies[status] = _load("error_responses", value, directory, charset)
    if not_found_file is not None:
        if 404 in bodies:
            raise ConfigError(
                "not_found_file: error_responses already sets the 404 body; keep one of them"
            )
        bodies[404] = _load("not_found_file", not_found_file, directory, charset)
    return bodies


def _status(key: object) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.isdigit():  # JSON object keys (FERROSTATIC_ERROR_RESPONSES)
        return int(key)
    return None


def _load(option: str, value: object, directory: Path, charset: str | None) -> ErrorBody:
    from .config import ConfigError

    if isinstance(value, bytes):
        return ErrorBody(b"text/plain; charset=utf-8", value)
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigError(
            f"{option}: expected a file path (relative to the directory) or bytes, got {value!r}"
        )
    path = directory / os.fsdecode(value)
    try:
        size = path.stat().st_size
        if size > MAX_ERROR_BODY:
            raise ConfigError(
                f"{option}: {str(path)!r} is {size} bytes; an error page is held in memory and "
                f"may be at most {MAX_ERROR_BODY}"
            )
        body = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{option}: cannot read {str(path)!r} ({error.strerror}); give a file relative to "
            "the directory, or an absolute path"
        ) from None
    media_type = media_type_for(path.name, None, charset=charset)
    return ErrorBody(media_type.encode("latin-1"), body)


_REPLACED = frozenset({b"content-type", b"content-length"})


def with_error_body(decision: Decision, error: ErrorBody, method: str) -> Decision:
    """The same response with ``error``'s body (none for HEAD, whose length it still states)."""
    from ._pure import Decision

    headers = [
        (b"content-type", error.content_type),
        (b"content-length", b"%d" % len(error.body)),
        *(header for header in decision.headers if header[0] not in _REPLACED),
    ]
    return Decision(
        decision.status,
        headers,
        b"" if method == "HEAD" else error.body,
        decision.file,
        (),
        decision.size,
        decision.mtime_ns,
        decision.coding,
    )
