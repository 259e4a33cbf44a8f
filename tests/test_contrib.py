"""The contrib ``on_request`` hooks, called directly with ``RequestInfo`` values.

OpenTelemetry spans go to an in-memory exporter on a private ``TracerProvider`` and Prometheus
metrics to a private ``CollectorRegistry``: nothing here touches the global provider, and only
the test of the default registry touches ``prometheus_client.REGISTRY``.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import REGISTRY, CollectorRegistry, Counter

import ferrostatic
from ferrostatic._observe import RequestInfo
from ferrostatic.contrib.otel import OpenTelemetryHook
from ferrostatic.contrib.prometheus import DURATION_BUCKETS, PrometheusHook

START_NS = 1_700_000_000_123_456_789
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
PARENT_SPAN_ID = 0x00F067AA0BA902B7
TRACEPARENT = f"00-{TRACE_ID:032x}-{PARENT_SPAN_ID:016x}-01".encode()


def request_info(**changes: Any) -> RequestInfo:
    """A 200 for ``GET /static/app.js`` sent with brotli, with ``changes`` applied."""
    info = RequestInfo(
        method="GET",
        path="/static/app.js",
        status=200,
        bytes_sent=1234,
        elapsed=0.0031234567,
        start_time_ns=START_NS,
        encoding="br",
        request_id="req-42",
        scheme="https",
        http_version="2",
        client="203.0.113.7",
        headers=((b"host", b"example.com"), (b"user-agent", b"curl/8.5.0")),
    )
    return dataclasses.replace(info, **changes)


# OpenTelemetry


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """The exporter that receives every span of the ``provider`` fixture."""
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """A private tracer provider exporting synchronously to ``exporter``."""
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


def record_span(provider: TracerProvider, exporter: InMemorySpanExporter, **changes: Any) -> Any:
    """Call a hook with ``request_info(**changes)`` and return the one span it recorded."""
    OpenTelemetryHook(provider)(request_info(**changes))
    spans = exporter.get_finished_spans()
    assert len(spans) == 1
    span: ReadableSpan = spans[0]
    return span


def test_span_covers_arrival_to_last_byte(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = record_span(provider, exporter)
    assert span.name == "GET"
    assert span.kind is SpanKind.SERVER
    assert span.start_time == START_NS
    assert span.end_time == START_NS + 3_123_457  # 0.0031234567 s, rounded to the nanosecond


def test_span_attributes_follow_the_http_conventions(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = record_span(provider, exporter)
    assert dict(span.attributes) == {
        "http.request.method": "GET",
        "url.path": "/static/app.js",
        "url.scheme": "https",
        "http.response.status_code": 200,
        "network.protocol.version": "2",
        "client.address": "203.0.113.7",
        "user_agent.original": "curl/8.5.0",
        "http.response.body.size": 1234,
        "ferrostatic.content_coding": "br",
        "ferrostatic.request_id": "req-42",
    }
    assert span.status.status_code is StatusCode.UNSET


def test_unknown_values_are_left_out(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = record_span(provider, exporter, encoding=None, request_id=None, client=None, headers=())
    assert dict(span.attributes) == {
        "http.request.method": "GET",
        "url.path": "/static/app.js",
        "url.scheme": "https",
        "http.response.status_code": 200,
        "network.protocol.version": "2",
        "http.response.body.size": 1234,
    }


def test_a_server_error_sets_the_error_status(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = record_span(provider, exporter, status=503, bytes_sent=0)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "503"
    assert span.attributes["http.response.status_code"] == 503


def test_a_client_error_leaves_the_status_unset(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = record_span(provider, exporter, status=404)
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in span.attributes


def test_the_parent_comes_from_the_traceparent_header(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    headers = ((b"traceparent", TRACEPARENT), (b"tracestate", b"vendor=value"))
    span = record_span(provider, exporter, headers=headers)
    assert span.context.trace_id == TRACE_ID
    assert span.parent is not None
    assert span.parent.span_id == PARENT_SPAN_ID
    assert span.parent.is_remote
    assert span.context.trace_state.get("vendor") == "value"


def test_without_traceparent_the_span_is_a_root_even_inside_another_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    hook = OpenTelemetryHook(provider)
    with provider.get_tracer("test").start_as_current_span("unrelated"):
        hook(request_info())
    ferrostatic_span, unrelated = exporter.get_finished_spans()
    assert ferrostatic_span.parent is None
    assert ferrostatic_span.context.trace_id != unrelated.context.trace_id


@pytest.mark.parametrize("method", ["PURGE", "get"])
def test_a_method_outside_the_standard_set_is_other(
    provider: TracerProvider, exporter: InMemorySpanExporter, method: str
) -> None:
    span = record_span(provider, exporter, method=method)
    assert span.name == "HTTP"
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == method


def test_every_standard_method_names_its_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
    hook = OpenTelemetryHook(provider)
    for method in methods:
        hook(request_info(method=method))
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == methods
    assert all("http.request.method_original" not in span.attributes for span in spans)


def test_the_tracer_is_named_after_ferrostatic(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = record_span(provider, exporter)
    assert span.instrumentation_scope.name == "ferrostatic"
    assert span.instrumentation_scope.version == ferrostatic.__version__


def test_without_a_provider_the_global_one_is_used() -> None:
    # No global SDK provider is set in the tests: the API's no-op one must accept the call.
    OpenTelemetryHook()(request_info())


# Prometheus


@pytest.fixture
def registry() -> CollectorRegistry:
    """A private registry."""
    return CollectorRegistry()


def test_a_response_is_counted(registry: CollectorRegistry) -> None:
    PrometheusHook(registry)(request_info())
    labels = {"method": "GET", "status": "200"}
    assert registry.get_sample_value("ferrostatic_requests_total", labels) == 1
    assert registry.get_sample_value("ferrostatic_response_body_bytes_total", labels) == 1234


def test_the_duration_goes_to_the_histogram(registry: CollectorRegistry) -> None:
    PrometheusHook(registry)(request_info(elapsed=0.003))
    name = "ferrostatic_request_duration_seconds"
    assert registry.get_sample_value(f"{name}_count", {"method": "GET"}) == 1
    assert registry.get_sample_value(f"{name}_sum", {"method": "GET"}) == pytest.approx(0.003)
    assert registry.get_sample_value(f"{name}_bucket", {"method": "GET", "le": "0.0025"}) == 0
    assert registry.get_sample_value(f"{name}_bucket", {"method": "GET", "le": "0.005"}) == 1


def test_the_buckets_suit_a_static_file_server(registry: CollectorRegistry) -> None:
    PrometheusHook(registry)(request_info())
    bounds = [
        sample.labels["le"]
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "ferrostatic_request_duration_seconds_bucket"
    ]
    assert bounds == [str(bound) for bound in DURATION_BUCKETS] + ["+Inf"]
    assert DURATION_BUCKETS[0] == 0.0005 and DURATION_BUCKETS[-1] == 10


def test_counts_add_up_per_method_and_status(registry: CollectorRegistry) -> None:
    hook = PrometheusHook(registry)
    hook(request_info())
    hook(request_info(bytes_sent=766))
    hook(request_info(status=304, bytes_sent=0))
    hook(request_info(method="HEAD", bytes_sent=0))
    value = registry.get_sample_value
    ok = {"method": "GET", "status": "200"}
    assert value("ferrostatic_requests_total", ok) == 2
    assert value("ferrostatic_response_body_bytes_total", ok) == 1234 + 766
    assert value("ferrostatic_requests_total", {"method": "GET", "status": "304"}) == 1
    assert value("ferrostatic_requests_total", {"method": "HEAD", "status": "200"}) == 1
    assert value("ferrostatic_request_duration_seconds_count", {"method": "GET"}) == 3


def test_a_method_outside_the_standard_set_is_counted_as_other(
    registry: CollectorRegistry,
) -> None:
    hook = PrometheusHook(registry)
    for method in ["PURGE", "get", "X" * 200]:
        hook(request_info(method=method, status=405, bytes_sent=0))
    labels = {"method": "other", "status": "405"}
    assert registry.get_sample_value("ferrostatic_requests_total", labels) == 3
    durations = "ferrostatic_request_duration_seconds_count"
    assert registry.get_sample_value(durations, {"method": "other"}) == 3


def test_the_namespace_prefixes_the_names(registry: CollectorRegistry) -> None:
    PrometheusHook(registry, namespace="static")(request_info())
    labels = {"method": "GET", "status": "200"}
    assert registry.get_sample_value("static_requests_total", labels) == 1
    assert registry.get_sample_value("ferrostatic_requests_total", labels) is None


def test_hooks_on_the_same_registry_and_namespace_share_their_metrics(
    registry: CollectorRegistry,
) -> None:
    PrometheusHook(registry)(request_info())
    PrometheusHook(registry)(request_info())
    PrometheusHook(registry, namespace="media")(request_info())
    PrometheusHook(CollectorRegistry())(request_info())
    labels = {"method": "GET", "status": "200"}
    assert registry.get_sample_value("ferrostatic_requests_total", labels) == 2
    assert registry.get_sample_value("media_requests_total", labels) == 1


def test_names_taken_by_other_metrics_raise_a_clear_error(registry: CollectorRegistry) -> None:
    Counter("ferrostatic_response_body_bytes", "Not ferrostatic's.", registry=registry)
    with pytest.raises(ValueError, match=r"namespace='ferrostatic'.*another namespace"):
        PrometheusHook(registry)
    names = {metric.name for metric in registry.collect()}
    assert names == {"ferrostatic_response_body_bytes"}  # nothing half-registered is left
    PrometheusHook(registry, namespace="static")(request_info())


def test_without_a_registry_the_default_one_is_used() -> None:
    labels = {"method": "GET", "status": "200"}
    before = REGISTRY.get_sample_value("ferrostatic_requests_total", labels) or 0
    PrometheusHook()(request_info())
    PrometheusHook()(request_info())
    assert REGISTRY.get_sample_value("ferrostatic_requests_total", labels) == before + 2


# Missing packages


@pytest.mark.parametrize(
    ("module", "package", "extra"),
    [
        ("ferrostatic.contrib.otel", "opentelemetry", "ferrostatic[otel]"),
        ("ferrostatic.contrib.prometheus", "prometheus_client", "ferrostatic[prometheus]"),
    ],
)
def test_a_missing_package_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, package: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # None makes the import fail
    monkeypatch.delitem(sys.modules, module)
    with pytest.raises(ImportError, match=re.escape(f"pip install '{extra}'")):
        importlib.import_module(module)
