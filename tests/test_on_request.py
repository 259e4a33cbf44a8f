"""``on_request``: one report per response ferrostatic produces, after its last byte.

Runs on both routers and both entry points; the Prometheus and OpenTelemetry hooks are checked
end to end here (their unit tests are in ``test_contrib``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ferrostatic import ConfigError, Ferrostatic, RequestInfo
from ferrostatic.contrib.otel import OpenTelemetryHook
from ferrostatic.contrib.prometheus import PrometheusHook

from .conftest import call

MakeApp = Callable[..., Ferrostatic]


async def inner_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The wrapped app: 200 ``app`` for everything."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})


def recorder() -> tuple[list[RequestInfo], Callable[[RequestInfo], None]]:
    """A sync hook and the list it appends to."""
    seen: list[RequestInfo] = []
    return seen, seen.append


def test_every_status_is_reported_once(make_app: MakeApp, site: Path) -> None:
    """200, 206, 304, 301, 404, 405, 412, 416 and the health check: one report each, with
    the status sent and the body bytes handed over (none for HEAD and 304, RFC 9110 §9.3.2,
    §15.4.5)."""
    seen, hook = recorder()
    app = make_app(directory=site, on_request=hook, health_check_path="/healthz")
    etag = call(app, path="/docs/guide.txt").header("etag")
    assert etag is not None
    requests: list[tuple[str, str, list[tuple[bytes, bytes]], int, int]] = [
        ("GET", "/docs/guide.txt", [], 200, 26),
        ("HEAD", "/docs/guide.txt", [], 200, 0),
        ("GET", "/docs/guide.txt", [(b"range", b"bytes=0-4")], 206, 5),
        ("GET", "/docs/guide.txt", [(b"if-none-match", etag.encode())], 304, 0),
        ("GET", "/docs", [], 301, 0),
        ("GET", "/missing", [], 404, len(b"404 Not Found\n")),
        ("POST", "/docs/guide.txt", [], 405, len(b"405 Method Not Allowed\n")),
        ("GET", "/docs/guide.txt", [(b"if-match", b'"nope"')], 412, 24),
        ("GET", "/docs/guide.txt", [(b"range", b"bytes=100-")], 416, 26),
        ("GET", "/healthz", [], 200, 2),
    ]
    seen.clear()
    for method, path, headers, status, sent in requests:
        response = call(app, method, path, headers)
        assert response.status == status
        assert len(response.body) == sent
    assert [(i.method, i.path, i.status, i.bytes_sent) for i in seen] == [
        (m, p, s, n) for m, p, _, s, n in requests
    ]


def test_the_report_describes_the_request(make_app: MakeApp, site: Path) -> None:
    """Timing, the content coding chosen (RFC 9110 §8.4), the protocol facts and headers."""
    seen, hook = recorder()
    app = make_app(directory=site, on_request=hook)
    before = time.time_ns()
    response = call(app, path="/app.js", headers=[(b"accept-encoding", b"br, gzip")])
    assert response.header("content-encoding") == "br"
    (info,) = seen
    assert before <= info.start_time_ns <= time.time_ns()
    assert 0 < info.elapsed < 5
    assert info.encoding == "br"
    assert info.bytes_sent == len(response.body) == 200
    assert (info.scheme, info.http_version, info.client) == ("http", "1.1", "127.0.0.1")
    assert (b"accept-encoding", b"br, gzip") in info.headers
    assert info.request_id is None


def test_streamed_files_count_what_was_sent(make_app: MakeApp, site: Path) -> None:
    """A file read from disk in chunks (1 MiB, beyond what is held in memory) is counted in
    full; so is a multipart range response (RFC 9110 §14.6)."""
    seen, hook = recorder()
    app = make_app(directory=site, on_request=hook, max_memory_file_size=0, chunk_size=65536)
    whole = call(app, path="/big.bin")
    parts = call(app, path="/big.bin", headers=[(b"range", b"bytes=0-9,100-109")])
    assert [i.bytes_sent for i in seen] == [len(whole.body), len(parts.body)]
    assert len(whole.body) == 1024 * 1024
    assert seen[1].status == 206


def test_responses_of_the_wrapped_app_are_not_reported(make_app: MakeApp, site: Path) -> None:
    """The app's responses are the app's to report."""
    seen, hook = recorder()
    app = make_app(inner_app, directory=site, on_request=hook)
    assert call(app, path="/api").body == b"app"
    assert call(app, "POST", "/index.html").body == b"app"
    assert seen == []
    call(app, path="/index.html")
    assert [i.status for i in seen] == [200]


def test_request_id_is_reported(make_app: MakeApp, site: Path) -> None:
    """With ``request_id_header`` the report carries the id the response was given."""
    seen, hook = recorder()
    app = make_app(directory=site, on_request=hook, request_id_header="X-Request-ID")
    response = call(app, path="/index.html", headers=[(b"x-request-id", b"req-42")])
    assert response.header("x-request-id") == "req-42"
    assert seen[0].request_id == "req-42"


def test_a_failing_hook_is_logged_and_swallowed(
    make_app: MakeApp, site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in a hook never reaches the client; the next hook still runs."""
    seen, hook = recorder()

    def broken(info: RequestInfo) -> None:
        raise RuntimeError("metrics backend down")

    app = make_app(directory=site, on_request=[broken, hook])
    with caplog.at_level(logging.ERROR, logger="ferrostatic"):
        response = call(app, path="/index.html")
    assert response.status == 200
    assert len(seen) == 1
    assert "metrics backend down" in caplog.text


def test_async_hooks_run_without_holding_the_response(site: Path) -> None:
    """An async hook is scheduled as a task: the response is complete before it finishes."""
    finished = threading.Event()
    started: list[RequestInfo] = []

    async def slow(info: RequestInfo) -> None:
        started.append(info)
        await asyncio.sleep(0.3)
        finished.set()

    app = Ferrostatic(directory=site, on_request=slow)
    messages: list[dict[str, Any]] = []

    async def run() -> float:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/index.html",
            "headers": [],
            "query_string": b"",
        }
        began = time.perf_counter()
        await app(scope, receive, send)
        took = time.perf_counter() - began
        assert not finished.is_set()
        await asyncio.sleep(0.5)
        return took

    took = asyncio.run(run())
    assert took < 0.3
    assert finished.is_set()
    assert started[0].status == 200
    assert messages[-1].get("more_body", False) is False


def test_async_hooks_run_under_wsgi(site: Path) -> None:
    """Under WSGI an async hook runs on ferrostatic's own event loop thread."""
    from ferrostatic import FerrostaticWSGI

    done = threading.Event()
    seen: list[int] = []

    async def hook(info: RequestInfo) -> None:
        seen.append(info.status)
        done.set()

    app = FerrostaticWSGI(directory=site, on_request=hook)
    assert call(app, path="/index.html").status == 200
    assert done.wait(5)
    assert seen == [200]


@pytest.mark.parametrize("value", ["not callable", [print, 3]])
def test_a_hook_must_be_callable(site: Path, value: object) -> None:
    """The error names the option."""
    with pytest.raises(ConfigError, match="on_request"):
        Ferrostatic(directory=site, on_request=value)  # type: ignore[arg-type]


def test_prometheus_counts_true_bytes(make_app: MakeApp, site: Path) -> None:
    """The Prometheus hook, end to end: requests by method and status, body bytes, latency."""
    registry = CollectorRegistry()
    app = make_app(directory=site, on_request=PrometheusHook(registry=registry))
    call(app, path="/docs/guide.txt")
    call(app, "HEAD", "/docs/guide.txt")
    call(app, path="/nothing-here")

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("ferrostatic_requests_total", method="GET", status="200") == 1
    assert sample("ferrostatic_requests_total", method="HEAD", status="200") == 1
    assert sample("ferrostatic_requests_total", method="GET", status="404") == 1
    assert sample("ferrostatic_response_body_bytes_total", method="GET", status="200") == 26
    assert sample("ferrostatic_response_body_bytes_total", method="HEAD", status="200") == 0
    assert sample("ferrostatic_request_duration_seconds_count", method="GET") == 2
    # What a Prometheus server scrapes says the same.
    exposition = generate_latest(registry).decode()
    scraped = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }
    key = ("ferrostatic_response_body_bytes_total", (("method", "GET"), ("status", "200")))
    assert scraped[key] == 26


def test_opentelemetry_records_a_span_per_response(make_app: MakeApp, site: Path) -> None:
    """The OpenTelemetry hook, end to end: one SERVER span per response, parented by the
    request's ``traceparent``."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = make_app(directory=site, on_request=OpenTelemetryHook(tracer_provider=provider))
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = f"00-{trace_id}-00f067aa0ba902b7-01".encode()
    call(app, path="/index.html", headers=[(b"traceparent", parent)])
    call(app, path="/nope")
    first, second = exporter.get_finished_spans()
    assert first.name == "GET"
    assert first.attributes is not None
    assert first.attributes["http.response.status_code"] == 200
    assert first.context is not None
    assert format(first.context.trace_id, "032x") == trace_id
    assert second.attributes is not None
    assert second.attributes["http.response.status_code"] == 404
    assert first.start_time is not None and first.end_time is not None
    assert first.start_time <= first.end_time
