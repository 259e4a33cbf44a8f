"""Optional integrations built on ``on_request`` hooks.

Each module needs a third-party package that ferrostatic itself does not depend on:

- ``ferrostatic.contrib.otel``: ``OpenTelemetryHook``, one OpenTelemetry span per response
  (``pip install 'ferrostatic[otel]'``).
- ``ferrostatic.contrib.prometheus``: ``PrometheusHook``, request counters and a latency
  histogram (``pip install 'ferrostatic[prometheus]'``).
"""

from __future__ import annotations

__all__: list[str] = []
