"""The operator features through real servers: framing, bytes on the wire, and what the
``on_request`` hook reports about them (``serve_app.operator``)."""

from __future__ import annotations

import json
import time

from .support import Response, Server

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ORIGIN = "https://app.example.com"


def _reports(server: Server, count: int) -> list[dict[str, object]]:
    """The last ``count`` reports the server's hook wrote (waiting briefly for them)."""
    path = server.log.parent / "reports.jsonl"
    deadline = time.monotonic() + 5
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [json.loads(line) for line in lines[-count:]]
        time.sleep(0.02)


def test_one_keep_alive_connection_through_every_feature(operator: Server) -> None:
    """On one persistent connection: the SPA page (after the app's 404), a second root, a
    CORS preflight (204, no Content-Length, RFC 9110 §8.6), a CORS read, the app's own
    routes and 404s, the health check. Each response is framed exactly (RFC 9112 §6.3) and
    carries the request id; each one ferrostatic produced is reported with the bytes sent."""
    index = operator.file("index.html")
    medium = operator.file("data/medium.bin")
    with operator.connect() as connection:

        def request(method: str, target: str, *headers: tuple[str, str]) -> Response:
            response = connection.request(method, target, [*headers, ("X-Request-ID", target)])
            assert response.header("x-request-id") == target
            return response

        page = request("GET", "/settings/profile", ("Accept", BROWSER_ACCEPT))
        assert (page.status, page.body) == (200, index)
        assert page.header("cache-control") == "no-cache"

        missing_asset = request("GET", "/assets/missing.js", ("Accept", BROWSER_ACCEPT))
        assert missing_asset.status == 404
        assert missing_asset.body == b"app: no such page"

        api = request("GET", "/api/users")
        assert json.loads(api.body)["app"] is True

        mounted = request("GET", "/media/medium.bin")
        assert mounted.body == medium

        preflight = request(
            "OPTIONS",
            "/app.js",
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "GET"),
        )
        assert preflight.status == 204
        assert preflight.header("content-length") is None
        assert preflight.header("access-control-allow-origin") == ORIGIN

        script = request("GET", "/app.js", ("Origin", ORIGIN))
        assert script.header("access-control-allow-origin") == ORIGIN
        assert "origin" in str(script.header("vary"))
        assert script.body == operator.file("app.js")

        health = request("HEAD", "/healthz")
        assert health.status == 200
        connection.assert_open_and_idle()

    ours = _reports(operator, 5)
    assert [(r["path"], r["status"], r["bytes_sent"]) for r in ours] == [
        ("/settings/profile", 200, len(index)),
        ("/media/medium.bin", 200, len(medium)),
        ("/app.js", 204, 0),
        ("/app.js", 200, len(operator.file("app.js"))),
        ("/healthz", 200, 0),
    ]
    assert [r["request_id"] for r in ours] == [r["path"] for r in ours]
