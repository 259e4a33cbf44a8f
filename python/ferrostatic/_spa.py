"""``spa_fallback``: the page a single-page app's client-side routes are served from.

A request gets the fallback page (status 200, ``Cache-Control: no-cache``) when it missed and
it is a navigation: GET or HEAD, a path under the prefix whose last segment has no file
extension (``/settings/profile``, not ``/assets/app.js``), and an ``Accept`` that lists
``text/html`` (or ``application/xhtml+xml``) with a weight above 0 — what browsers send when
following a link, and what ``fetch()`` does not send by default. A missing asset therefore
stays a 404: a broken deploy is not hidden behind a page of HTML.

The page is answered by a router of its own, so conditional requests, ranges and its
pre-compressed variants work as for any file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._cors import add_vary, header_value
from ._index import reindex_file
from .config import Config, ConfigError

if TYPE_CHECKING:
    from ._pure import Decision, Router

__all__ = ["SpaFallback", "accepts_html"]

Header = tuple[bytes, bytes]

_PAGE_TYPES = (b"text/html", b"application/xhtml+xml")


def accepts_html(accept: bytes | None) -> bool:
    """Whether an ``Accept`` value lists an HTML media type with q > 0 (RFC 9110 §12.5.1)."""
    if not accept:
        return False
    for item in accept.split(b","):
        media_range, _, parameters = item.partition(b";")
        if media_range.strip().lower() not in _PAGE_TYPES:
            continue
        weight = 1.0
        for parameter in parameters.split(b";"):
            name, _, value = parameter.partition(b"=")
            if name.strip().lower() == b"q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        if weight > 0:
            return True
    return False


class SpaFallback:
    """Answers navigation requests that missed with the fallback page."""

    def __init__(self, config: Config, router_class: type[Router], year: int) -> None:
        assert config.spa_fallback is not None
        self.file_rel = config.spa_fallback
        self.url = config.prefix + config.spa_fallback
        self._prefix = config.prefix
        self._under = config.prefix.rstrip("/")
        resource = reindex_file(config, config.spa_fallback)
        if resource is None:
            raise ConfigError(f"spa_fallback: cannot read {config.spa_fallback!r}")
        resource = resource._replace(urls=(self.url,), cache_control=b"no-cache")
        self.path = resource.variants[0].path
        self.router = router_class([resource], (), standalone=True, current_year=year)

    def applies(self, method: str, path: str, headers: Iterable[Header]) -> bool:
        """Whether a request that missed is a navigation the page should answer."""
        if method != "GET" and method != "HEAD":
            return False
        # Under the prefix on a segment boundary: ``/app/`` has ``/app`` and ``/app/x``, not
        # ``/application``.
        if not (path.startswith(self._prefix) or path == self._under):
            return False
        if "." in path.rpartition("/")[2]:
            return False
        return accepts_html(header_value(headers, b"accept"))

    def resolve(self, method: str, path: str, query: bytes, headers: Iterable[Header]) -> Decision:
        """The page, decided as a request for it with the same method and headers.

        The same URL is the page or a miss depending on ``Accept``: caches are told so
        (RFC 9110 §12.5.5).
        """
        decision = self.router.resolve(method, self.url, query, headers)
        assert decision is not None  # a standalone router with the page's URL
        add_vary(decision.headers, b"accept")
        return decision
