"""Prometheus metrics for ferrostatic: request counts, body bytes and latency.

``Ferrostatic(app, directory="static", on_request=PrometheusHook())`` counts every response
ferrostatic produces in the default ``prometheus_client`` registry; expose them as usual
(``prometheus_client.make_asgi_app()``, ``start_http_server``, ...).

Metrics, with ``<ns>`` the namespace (``ferrostatic`` unless told otherwise):

- ``<ns>_requests_total{method, status}``: responses.
- ``<ns>_response_body_bytes_total{method, status}``: body bytes handed to the server.
- ``<ns>_request_duration_seconds{method}``: histogram of arrival to last byte.

Hooks created for the same registry and namespace share one set of metrics (creating the
app twice in a process, or two apps counted together, must not fail with "Duplicated
timeseries"); give each its own ``namespace`` to count them apart.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
except ImportError as exc:
    raise ImportError(
        "ferrostatic.contrib.prometheus needs prometheus_client: "
        "pip install 'ferrostatic[prometheus]'"
    ) from exc

from .._observe import RequestInfo

__all__ = ["DURATION_BUCKETS", "PrometheusHook"]

# A static file is usually answered in well under a millisecond; large downloads to slow
# clients take seconds. The buckets span both ends.
DURATION_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

# Clients choose the method: anything outside this set is counted as "other" so that a
# scanner sending random methods cannot create unbounded label values.
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


@dataclass(frozen=True)
class _Metrics:
    """The three metrics of one (registry, namespace)."""

    requests: Counter
    body_bytes: Counter
    duration: Histogram


_shared_lock = threading.Lock()
_shared_metrics: weakref.WeakKeyDictionary[CollectorRegistry, dict[str, _Metrics]] = (
    weakref.WeakKeyDictionary()
)


class PrometheusHook:
    """An ``on_request`` hook counting responses in Prometheus metrics.

    ``registry``: where the metrics are registered; None means ``prometheus_client.REGISTRY``.
    ``namespace``: the prefix of the metric names.

    A second hook with the same registry and namespace reuses the metrics of the first. A
    ``ValueError`` is raised only when the names are already taken by metrics that were not
    created by a ``PrometheusHook``.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, namespace: str = "ferrostatic"
    ) -> None:
        self._namespace = namespace
        self._metrics = _metrics_for(REGISTRY if registry is None else registry, namespace)

    def __call__(self, info: RequestInfo) -> None:
        """Count the response ``info`` describes."""
        method = _method_label(info.method)
        status = str(info.status)
        self._metrics.requests.labels(method, status).inc()
        self._metrics.body_bytes.labels(method, status).inc(info.bytes_sent)
        self._metrics.duration.labels(method).observe(info.elapsed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(namespace={self._namespace!r})"


def _method_label(method: str) -> str:
    """The ``method`` label value: a standard method as is, anything else ``"other"``."""
    return method if method in _KNOWN_METHODS else "other"


def _metrics_for(registry: CollectorRegistry, namespace: str) -> _Metrics:
    """The metrics of ``namespace`` in ``registry``, registered on first use."""
    with _shared_lock:
        by_namespace = _shared_metrics.setdefault(registry, {})
        if namespace not in by_namespace:
            by_namespace[namespace] = _register(registry, namespace)
        return by_namespace[namespace]


def _register(registry: CollectorRegistry, namespace: str) -> _Metrics:
    """Create and register the metrics; on a name clash, leave the registry as it was."""
    created: list[Counter | Histogram] = []
    try:
        requests = Counter(
            "requests",
            "Responses produced by ferrostatic.",
            ("method", "status"),
            namespace=namespace,
            registry=registry,
        )
        created.append(requests)
        body_bytes = Counter(
            "response_body_bytes",
            "Response body bytes ferrostatic handed to the server.",
            ("method", "status"),
            namespace=namespace,
            registry=registry,
        )
        created.append(body_bytes)
        duration = Histogram(
            "request_duration_seconds",
            "Seconds from a request's arrival to the last byte of ferrostatic's response.",
            ("method",),
            namespace=namespace,
            registry=registry,
            buckets=DURATION_BUCKETS,
        )
    except ValueError as exc:
        for metric in created:
            registry.unregister(metric)
        raise ValueError(
            f"PrometheusHook(namespace={namespace!r}): {exc}. Hooks with the same registry and "
            "namespace share their metrics, but names taken by other metrics need another "
            "namespace."
        ) from exc
    return _Metrics(requests, body_bytes, duration)
