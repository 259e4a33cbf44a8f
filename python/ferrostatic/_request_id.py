"""``request_id_header``: the id that ties a response to its request in every log.

A well-formed incoming id (1 to 128 characters from a conservative set: letters, digits and
``-_.:+=/@``) is kept, so that an id set by a proxy or load balancer carries through; anything
else (missing, empty, too long, spaces, control characters) is replaced by a fresh random id,
32 hex digits. The id goes on the response in the same header.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

__all__ = ["request_id"]

_WELL_FORMED: Final = re.compile(rb"[A-Za-z0-9_.:+=/@-]{1,128}")


def request_id(incoming: bytes | None) -> str:
    """The incoming id if well-formed, else a new one."""
    if incoming is not None and _WELL_FORMED.fullmatch(incoming):
        return incoming.decode("ascii")
    return uuid.uuid4().hex
