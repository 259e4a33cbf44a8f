"""Before any load, every answer an app gives is checked byte for byte over a real connection.

Each check returns the requests the load generator will rotate over (with what it learned, such
as each app's own ETags) and the body sizes a correct answer may have, or says what is wrong;
a wrong answer turns the cell into FAIL.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import random
from dataclasses import dataclass, field

import brotli

from harness import browser
from harness.fixtures import BIG_SIZE, BIG_URL, RANGE_SIZE, Fixture
from harness.servers import Server

Headers = list[tuple[str, str]]
PASSTHROUGH_PATHS = ("/api/items/1", "/api/items/2/comments", "/api/session", "/api/search?q=x")


@dataclass
class Check:
    """The outcome of checking one scenario on one server."""

    ok: bool = True
    reason: str = ""
    requests: list[tuple[str, Headers]] = field(default_factory=list)
    allowed_sizes: list[int] = field(default_factory=list)
    encodings: dict[str, int] = field(default_factory=dict)

    def fail(self, reason: str) -> Check:
        """Record the first thing found wrong."""
        if self.ok:
            self.ok, self.reason = False, reason
        return self


@dataclass
class Answer:
    """One response as read: status, header fields (names lower-cased), body."""

    status: int
    headers: dict[str, str]
    body: bytes
    error: str = ""  # the response could not be read: framing error, reset, time-out


def fetch(port: int, path: str, headers: Headers) -> Answer:
    """GET ``path`` from 127.0.0.1:``port`` on a fresh connection.

    A response that cannot be read as HTTP/1.1 (a body shorter than its Content-Length, a
    reset) comes back with status 0 and ``error`` saying what happened.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        fields = {name.lower(): value for name, value in response.getheaders()}
        try:
            body = response.read()
        except http.client.IncompleteRead as error:
            expected = len(error.partial) + (error.expected or 0)
            reason = f"{response.status} with {len(error.partial)} of {expected} bytes announced"
            return Answer(0, fields, error.partial, reason)
        return Answer(response.status, fields, body)
    except (OSError, http.client.HTTPException) as error:
        return Answer(0, {}, b"", f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def _status(answer: Answer) -> str:
    return answer.error or str(answer.status)


def _decoded(answer: Answer) -> bytes | None:
    coding = answer.headers.get("content-encoding", "identity").strip().lower()
    try:
        if coding == "br":
            return bytes(brotli.decompress(answer.body))
        if coding == "gzip":
            return gzip.decompress(answer.body)
    except Exception:  # a body that does not decode is simply wrong
        return None
    return answer.body if coding == "identity" else None


def spa(server: Server, fixture: Fixture) -> tuple[Check, dict[str, Answer]]:
    """Every SPA file, with the browser's headers: 200 and the file's bytes (any coding)."""
    check = Check(allowed_sizes=fixture.allowed_sizes())
    answers: dict[str, Answer] = {}
    prefix = server.target.prefix
    for asset in fixture.assets:
        path = prefix + asset.url
        headers = browser.subresource(asset.kind, server.origin)
        answer = fetch(server.port, path, headers)
        answers[asset.url] = answer
        check.requests.append((path, headers))
        coding = answer.headers.get("content-encoding", "identity")
        check.encodings[coding] = check.encodings.get(coding, 0) + 1
        if answer.status != 200:
            return check.fail(f"GET {path} answered {_status(answer)}, expected 200"), answers
        decoded = _decoded(answer) if server.target.exact_bytes else None
        if server.target.exact_bytes and (
            decoded is None or hashlib.sha256(decoded).hexdigest() != asset.sha256
        ):
            return check.fail(f"GET {path}: the body is not the file's bytes ({coding})"), answers
        if len(answer.body) not in asset.variants.values():
            return check.fail(f"GET {path}: {len(answer.body)} bytes, no such variant"), answers
    return check, answers


def revalidate(server: Server, fixture: Fixture, answers: dict[str, Answer]) -> Check:
    """Each SPA file again with ``If-None-Match`` (and ``If-Modified-Since``): 304, no body."""
    check = Check(allowed_sizes=[0])
    prefix = server.target.prefix
    for asset in fixture.assets:
        path = prefix + asset.url
        first = answers.get(asset.url)
        etag = first.headers.get("etag") if first else None
        if not etag:
            return check.fail(f"GET {path} carries no ETag to revalidate with")
        headers = [*browser.subresource(asset.kind, server.origin), ("If-None-Match", etag)]
        if first and "last-modified" in first.headers:
            headers.append(("If-Modified-Since", first.headers["last-modified"]))
        answer = fetch(server.port, path, headers)
        check.requests.append((path, headers))
        if answer.status != 304 or answer.body:
            return check.fail(
                f"GET {path} with its ETag answered {_status(answer)} "
                f"({len(answer.body)} bytes), expected 304"
            )
    return check


def passthrough(server: Server) -> Check:
    """Paths that are not files go to the wrapped app: 200 ``ok``."""
    check = Check(allowed_sizes=[2])
    for path in PASSTHROUGH_PATHS:
        headers = browser.subresource("api", server.origin)
        answer = fetch(server.port, path, headers)
        check.requests.append((path, headers))
        if answer.status != 200 or answer.body != b"ok":
            return check.fail(f"GET {path} answered {_status(answer)} {answer.body[:40]!r}")
    return check


def download(server: Server, fixture: Fixture) -> Check:
    """The 20 MB file in full: 200 and exactly its bytes."""
    path = server.target.prefix + BIG_URL
    headers = browser.document(server.origin)
    check = Check(requests=[(path, headers)], allowed_sizes=[BIG_SIZE])
    answer = fetch(server.port, path, headers)
    if answer.status != 200:
        return check.fail(f"GET {path} answered {_status(answer)}")
    if len(answer.body) != BIG_SIZE or (
        server.target.exact_bytes and hashlib.sha256(answer.body).hexdigest() != fixture.big_sha256
    ):
        return check.fail(f"GET {path}: {len(answer.body)} bytes, not the file's")
    return check


def ranges(server: Server, fixture: Fixture, samples: int = 8) -> Check:
    """Random 64 KiB ranges of the 20 MB file: 206, the right Content-Range, the right bytes."""
    path = server.target.prefix + BIG_URL
    check = Check(allowed_sizes=[RANGE_SIZE])
    rng = random.Random(99)
    with fixture.big_path.open("rb") as file:
        for _ in range(samples):
            first = rng.randrange(0, BIG_SIZE - RANGE_SIZE)
            last = first + RANGE_SIZE - 1
            headers = [*browser.media(server.origin), ("Range", f"bytes={first}-{last}")]
            answer = fetch(server.port, path, headers)
            check.requests.append((path, browser.media(server.origin)))
            file.seek(first)
            expected = file.read(RANGE_SIZE)
            content_range = answer.headers.get("content-range")
            if answer.status != 206:
                return check.fail(f"Range bytes={first}-{last} answered {_status(answer)}")
            if content_range != f"bytes {first}-{last}/{BIG_SIZE}":
                return check.fail(f"Range bytes={first}-{last}: Content-Range {content_range!r}")
            if len(answer.body) != RANGE_SIZE or (
                server.target.exact_bytes and answer.body != expected
            ):
                return check.fail(
                    f"Range bytes={first}-{last}: {len(answer.body)} bytes, not the file's"
                )
    check.requests = check.requests[:1]
    return check
