"""In-process microbenchmark: an ASGI app called directly, no server, no socket.

Run as ``python -m harness.micro APP ROOT`` (one fresh interpreter per app, so that the
ferrostatic router is the one ``FERROSTATIC_BACKEND`` asks for); prints one JSON object with
the microseconds per request of each scenario: the median and spread of several timed runs,
each long enough to hold thousands of requests. Each request gets a fresh copy of a scope
shaped like uvicorn's, a ``receive`` that hands over the (empty) request body and then waits
as a real connection would, and a ``send`` that drops the messages. The ``noop`` app (it
returns at once) measures what this loop itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvloop

from harness import browser
from harness.fixtures import Fixture, spa_fixture

APPS = Path(__file__).resolve().parents[1] / "apps"
ORIGIN = "http://127.0.0.1:8000"
HIT_URL_PREFIX = "/assets/Dashboard-"  # a 38 KB script with .br and .gz siblings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Any]
Resolve = Callable[[str, str, bytes, list[tuple[bytes, bytes]]], Any]

# name -> (module:attribute under benchmarks/apps, scenarios)
IN_PROCESS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ferrostatic-rust": ("ferrostatic_app:app", ("hit", "revalidate", "passthrough", "mix")),
    "ferrostatic-python": ("ferrostatic_app:app", ("hit", "revalidate", "passthrough", "mix")),
    "whitesnout": ("whitesnout_app:app", ("hit", "revalidate", "passthrough", "mix")),
    "servestatic": ("servestatic_app:app", ("hit", "revalidate", "passthrough", "mix")),
    "starlette": ("starlette_app:app", ("hit", "revalidate", "mix")),
    "ceiling": ("ceiling_app:app", ("hit", "revalidate", "mix")),
    "inner": ("inner_app:app", ("passthrough",)),
    "noop": ("", ("passthrough",)),
}
EXPECTED_STATUS = {"hit": 200, "revalidate": 304, "passthrough": 200, "mix": 200}
REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


class Receive:
    """One request's ``receive``: the empty body once, then wait (as for a disconnect)."""

    __slots__ = ("given",)

    def __init__(self) -> None:
        """Nothing handed over yet."""
        self.given = False

    async def __call__(self) -> Message:
        """The request body first; afterwards block until cancelled."""
        if not self.given:
            self.given = True
            return REQUEST
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")


async def _drop(message: Message) -> None:
    return None


async def _noop(scope: Scope, receive: object, send: object) -> None:
    return None


def scope_for(path: str, headers: list[tuple[str, str]]) -> Scope:
    """An HTTP scope as uvicorn builds it, for a GET of ``path``."""
    raw_path, _, query = path.partition("?")
    fields = [(b"host", b"127.0.0.1:8000"), (b"connection", b"keep-alive")]
    fields += [(name.lower().encode(), value.encode()) for name, value in headers]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": fields,
        "state": {},
    }


async def call(app: App, scope: Scope) -> tuple[int, dict[bytes, bytes], int]:
    """Call the app once and record what it sent: status, header fields, body length."""
    sent: list[Message] = []

    async def record(message: Message) -> None:
        sent.append(message)

    await app(dict(scope), Receive(), record)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {bytes(k).lower(): bytes(v) for k, v in start.get("headers", [])}
    size = sum(len(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), headers, size


async def scopes_for(app: App, scenario: str, fixture: Fixture) -> list[Scope]:
    """The requests of a scenario; for a revalidation, with the ETag the app itself sends."""
    api = browser.subresource("api", ORIGIN)
    if scenario == "passthrough":
        return [scope_for(path, api) for path in ("/api/items/1", "/api/session")]
    assets = fixture.assets
    if scenario in ("hit", "revalidate"):
        assets = [a for a in fixture.assets if a.url.startswith(HIT_URL_PREFIX)]
    scopes = [scope_for(a.url, browser.subresource(a.kind, ORIGIN)) for a in assets]
    if scenario == "revalidate":
        for scope in scopes:
            _, headers, _ = await call(app, scope)
            scope["headers"] = [*scope["headers"], (b"if-none-match", headers.get(b"etag", b""))]
            if b"last-modified" in headers:
                scope["headers"].append((b"if-modified-since", headers[b"last-modified"]))
    return scopes


async def validate(app: App, scenario: str, scopes: list[Scope]) -> str:
    """'' if every request of the scenario gets the expected answer, else what went wrong."""
    for scope in scopes:
        status, _, size = await call(app, scope)
        if status != EXPECTED_STATUS[scenario]:
            return f"{scope['path']}: status {status}"
        if (scenario == "revalidate") != (size == 0):
            return f"{scope['path']}: status {status} with {size} body bytes"
    return ""


async def timed(app: App, scopes: list[Scope], iterations: int) -> float:
    """Seconds taken by ``iterations`` requests, rotating over ``scopes``."""
    count = len(scopes)
    started = time.perf_counter()
    for index in range(iterations):
        await app(dict(scopes[index % count]), Receive(), _drop)
    return time.perf_counter() - started


def timed_router(resolve: Resolve, scopes: list[Scope], iterations: int) -> float:
    """Seconds taken by ``iterations`` calls of the router alone, rotating over ``scopes``."""
    calls = [(s["method"], s["path"], s["query_string"], s["headers"]) for s in scopes]
    count = len(calls)
    started = time.perf_counter()
    for index in range(iterations):
        resolve(*calls[index % count])
    return time.perf_counter() - started


async def measure(app: App, scopes: list[Scope], budget: float, runs: int) -> dict[str, Any]:
    """Median, min and max µs/request over ``runs`` runs of about ``budget`` seconds each."""
    await timed(app, scopes, 200)  # warm-up
    per_request = await timed(app, scopes, 500) / 500
    iterations = max(1000, min(300_000, int(budget / per_request)))
    samples = [await timed(app, scopes, iterations) / iterations * 1e6 for _ in range(runs)]
    return _summary(samples, iterations)


def measure_router(
    resolve: Resolve, scopes: list[Scope], budget: float, runs: int
) -> dict[str, Any]:
    """As ``measure``, for ferrostatic's router call alone (no ASGI around it)."""
    per_request = timed_router(resolve, scopes, 1000) / 1000
    iterations = max(1000, min(1_000_000, int(budget / per_request)))
    samples = [timed_router(resolve, scopes, iterations) / iterations * 1e6 for _ in range(runs)]
    return _summary(samples, iterations)


def _summary(samples: list[float], iterations: int) -> dict[str, Any]:
    return {
        "us": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "iterations": iterations,
        "runs": len(samples),
    }


def load_app(name: str) -> App:
    """Import the app module from benchmarks/apps (BENCH_ROOT must be set)."""
    module_name, _, attribute = IN_PROCESS[name][0].partition(":")
    if not module_name:
        return _noop
    sys.path.insert(0, str(APPS))
    app: App = getattr(importlib.import_module(module_name), attribute)
    return app


async def main_async(name: str, budget: float, runs: int) -> dict[str, Any]:
    """Every scenario of app ``name``: validated, then timed."""
    fixture = spa_fixture()
    app = load_app(name)
    results: dict[str, Any] = {}
    for scenario in IN_PROCESS[name][1]:
        scopes = await scopes_for(app, scenario, fixture)
        problem = await validate(app, scenario, scopes) if name != "noop" else ""
        if problem:
            results[scenario] = {"error": problem}
            continue
        results[scenario] = await measure(app, scopes, budget, runs)
        resolve = router_of(app)
        if resolve is not None and scenario != "mix":
            results[f"router-{scenario}"] = measure_router(resolve, scopes, budget, runs)
    return results


def router_of(app: App) -> Resolve | None:
    """ferrostatic's router call (``resolve``), to time it without the ASGI adapter."""
    files = getattr(app, "_files", None)
    resolve: Resolve | None = getattr(files, "resolve", None)
    return resolve if callable(resolve) and type(app).__module__.startswith("ferrostatic") else None


def main() -> None:
    """``python -m harness.micro APP ROOT [--budget S] [--runs N]``: print JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=sorted(IN_PROCESS))
    parser.add_argument("root")
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per timed run")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ["BENCH_ROOT"] = args.root
    print(json.dumps(uvloop.run(main_async(args.app, args.budget, args.runs))))


if __name__ == "__main__":
    main()
