"""OpenTelemetry tracing for ferrostatic: one SERVER span per response it produces.

``Ferrostatic(app, directory="static", on_request=OpenTelemetryHook())`` records a span from
the request's arrival to the last byte, named after the method, with the attributes of the
stable HTTP semantic conventions. The parent comes from the request's ``traceparent`` and
``tracestate`` headers. Only the OpenTelemetry API is used: the application chooses and
configures the SDK (or none, and the spans cost next to nothing).
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    from opentelemetry import propagate, trace
    from opentelemetry.context import Context
    from opentelemetry.propagators.textmap import Getter
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from opentelemetry.util.types import AttributeValue
except ImportError as exc:
    raise ImportError(
        "ferrostatic.contrib.otel needs the OpenTelemetry API: pip install 'ferrostatic[otel]'"
    ) from exc

from .. import __version__
from .._observe import RequestInfo

__all__ = ["OpenTelemetryHook"]

_Headers = Sequence[tuple[bytes, bytes]]

# Any other method is chosen by the client: the conventions fold it into "_OTHER" so that
# span names and attribute values stay low-cardinality.
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


class _HeaderGetter(Getter[_Headers]):
    """Reads propagation fields from ASGI-style ``(name, value)`` byte pairs."""

    def get(self, carrier: _Headers, key: str) -> list[str] | None:
        """Every value of the header ``key`` (case-insensitive), or None when absent."""
        name = key.lower().encode("latin-1")
        values = [value.decode("latin-1") for field, value in carrier if field == name]
        return values or None

    def keys(self, carrier: _Headers) -> list[str]:
        """The header names present, decoded."""
        return [field.decode("latin-1") for field, _ in carrier]


_GETTER = _HeaderGetter()


class OpenTelemetryHook:
    """An ``on_request`` hook recording one OpenTelemetry span per response.

    ``tracer_provider``: where the spans go; None means the global provider (as set by
    ``opentelemetry.trace.set_tracer_provider`` or the auto-instrumentation agent, even when
    that happens after this hook is created).
    """

    def __init__(self, tracer_provider: trace.TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer("ferrostatic", __version__, tracer_provider=tracer_provider)

    def __call__(self, info: RequestInfo) -> None:
        """Record the span for ``info``, from its arrival to its last byte."""
        span = self._tracer.start_span(
            _span_name(info.method),
            context=_parent_context(info.headers),
            kind=SpanKind.SERVER,
            attributes=_span_attributes(info),
            start_time=info.start_time_ns,
        )
        if info.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=info.start_time_ns + round(info.elapsed * 1e9))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _span_name(method: str) -> str:
    """The span name: the method, or ``"HTTP"`` for a method outside the standard set."""
    return method if method in _KNOWN_METHODS else "HTTP"


def _parent_context(headers: _Headers) -> Context:
    """The remote parent carried by the request headers (W3C Trace Context by default).

    The extraction starts from an empty context rather than the current one: the hook may run
    where some unrelated span is current, and only the request itself says who its parent is.
    """
    return propagate.extract(headers, context=Context(), getter=_GETTER)


def _span_attributes(info: RequestInfo) -> dict[str, AttributeValue]:
    """The semantic-convention attributes of the span for ``info``."""
    attributes: dict[str, AttributeValue] = {
        "url.path": info.path,
        "url.scheme": info.scheme,
        "http.response.status_code": info.status,
        "network.protocol.version": info.http_version,
        "http.response.body.size": info.bytes_sent,
    }
    attributes.update(_method_attributes(info.method))
    if info.status >= 500:
        attributes["error.type"] = str(info.status)
    if info.client is not None:
        attributes["client.address"] = info.client
    user_agent = _first_header(info.headers, b"user-agent")
    if user_agent is not None:
        attributes["user_agent.original"] = user_agent
    if info.encoding is not None:
        attributes["ferrostatic.content_coding"] = info.encoding
    if info.request_id is not None:
        attributes["ferrostatic.request_id"] = info.request_id
    return attributes


def _method_attributes(method: str) -> dict[str, AttributeValue]:
    """``http.request.method``, plus ``http.request.method_original`` for a non-standard one."""
    if method in _KNOWN_METHODS:
        return {"http.request.method": method}
    return {"http.request.method": "_OTHER", "http.request.method_original": method}


def _first_header(headers: _Headers, name: bytes) -> str | None:
    """The first value of the header ``name`` (lower-case), decoded, or None."""
    for field, value in headers:
        if field == name:
            return value.decode("latin-1")
    return None
