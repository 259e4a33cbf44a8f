"""The request headers a browser sends, per kind of request.

Recorded from Chromium loading a page with a stylesheet, module scripts, a font, images and a
web manifest, then a fetch() call; the user agent is the desktop Chrome one. ``Host`` and
``Connection`` are added by the client (wrk, http.client).
"""

from __future__ import annotations

Headers = list[tuple[str, str]]

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
_CLIENT_HINTS: Headers = [
    ("sec-ch-ua", '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
]
_TAIL: Headers = [
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "en-US,en;q=0.9"),
]
_IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
_DOCUMENT_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)

# kind -> (Accept, Sec-Fetch-Mode, Sec-Fetch-Dest, sends Origin)
_KINDS: dict[str, tuple[str, str, str, bool]] = {
    "script": ("*/*", "cors", "script", True),
    "style": ("text/css,*/*;q=0.1", "no-cors", "style", False),
    "font": ("*/*", "cors", "font", True),
    "image": (_IMAGE_ACCEPT, "no-cors", "image", False),
    "svg": (_IMAGE_ACCEPT, "no-cors", "image", False),
    "manifest": ("*/*", "cors", "manifest", False),
    "text": ("*/*", "no-cors", "empty", False),
    "api": ("*/*", "cors", "empty", False),
}


def document(origin: str) -> Headers:
    """A navigation: the first request of a page load, or a download."""
    return [
        *_CLIENT_HINTS,
        ("Upgrade-Insecure-Requests", "1"),
        ("User-Agent", USER_AGENT),
        ("Accept", _DOCUMENT_ACCEPT),
        ("Sec-Fetch-Site", "none"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-User", "?1"),
        ("Sec-Fetch-Dest", "document"),
        *_TAIL,
    ]


def subresource(kind: str, origin: str) -> Headers:
    """A request the page makes: a script, a stylesheet, a font, an image, an API call."""
    if kind == "document":
        return document(origin)
    accept, mode, dest, cors = _KINDS[kind]
    headers: Headers = [("Origin", origin)] if cors else []
    headers += [
        ("sec-ch-ua-platform", '"Linux"'),
        ("User-Agent", USER_AGENT),
        *_CLIENT_HINTS[:2],
        ("Accept", accept),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", mode),
        ("Sec-Fetch-Dest", dest),
        ("Referer", origin + "/"),
        *_TAIL,
    ]
    return headers


def media(origin: str) -> Headers:
    """A media element reading a file by ranges (the Range field is added per request)."""
    return [
        ("sec-ch-ua-platform", '"Linux"'),
        ("User-Agent", USER_AGENT),
        *_CLIENT_HINTS[:2],
        ("Accept", "*/*"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "no-cors"),
        ("Sec-Fetch-Dest", "video"),
        ("Referer", origin + "/"),
        ("Accept-Encoding", "identity;q=1, *;q=0"),
        ("Accept-Language", "en-US,en;q=0.9"),
    ]
