"""Shared fixtures: every behaviour test runs against both routers.

``FERROSTATIC_TEST_BACKENDS=python`` limits a local run to the pure-Python router (for working
without the compiled core); CI always runs both, and a missing core fails the Rust half.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import ferrostatic._backend
from ferrostatic import Ferrostatic, _pure

settings.register_profile("fast", max_examples=200, deadline=None)
settings.register_profile(
    "slow", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

BACKENDS = [
    name
    for name in ("rust", "python")
    if name in os.environ.get("FERROSTATIC_TEST_BACKENDS", "rust,python").split(",")
]


def router_class(name: str) -> Any:
    """The Router class of a backend; the Rust one must be built (``pip install -e .``)."""
    if name == "python":
        return _pure.Router
    try:
        from ferrostatic import _core
    except ImportError as error:  # pragma: no cover - a broken build must not pass quietly
        pytest.fail(f"the compiled core is not built ({error}); run: pip install -e .[test]")
    return _core.Router


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The router every app built in this test uses: ``rust`` or ``python``."""
    monkeypatch.setattr(ferrostatic._backend, "Router", router_class(request.param))
    return str(request.param)


@dataclass
class Response:
    """What an ASGI app sent for one request, checked for well-formedness."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The value of a header (latin-1), asserting it is not repeated."""
        values = [v for k, v in self.headers if k.decode("latin-1").lower() == name.lower()]
        assert len(values) <= 1, f"{name} repeated: {values}"
        return values[0].decode("latin-1") if values else None


def call(
    app: Callable[..., Any],
    method: str = "GET",
    path: str = "/",
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    query: bytes = b"",
    root_path: str = "",
    extensions: dict[str, Any] | None = None,
) -> Response:
    """Run one HTTP request through an ASGI app in-process and collect the response."""
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "root_path": root_path,
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "extensions": extensions or {},
    }

    async def run() -> None:
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    assert messages, "the app sent nothing"
    start = messages[0]
    if start["type"] != "http.response.start":
        return Response(0, [], b"", messages)
    body = b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")
    if messages[1:] and messages[-1]["type"] == "http.response.pathsend":
        body = Path(messages[-1]["path"]).read_bytes()
    else:
        assert messages[-1].get("more_body", False) is False, "the body never finished"
    return Response(start["status"], list(start["headers"]), body, messages)


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create files (and their folders) under ``root``; return ``root``."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small site: HTML, a script with br/gzip siblings, an index in a folder, a big file."""
    root = tmp_path / "site"
    write_tree(
        root,
        {
            "index.html": "<!doctype html><title>home</title>",
            "app.js": "console.log('hello');\n" * 200,
            "docs/index.html": "<!doctype html><title>docs</title>",
            "docs/guide.txt": "abcdefghijklmnopqrstuvwxyz",
            "big.bin": bytes(range(256)) * 4096,
            "café/menu.txt": "crème brûlée",
            ".env": "SECRET=1",
            ".git/config": "[core]",
            ".well-known/security.txt": "Contact: mailto:security@example.com",
        },
    )
    # Compressed siblings must not be older than their source.
    (root / "app.js.br").write_bytes(b"BR" * 100)
    (root / "app.js.gz").write_bytes(b"GZ" * 150)
    return root


@pytest.fixture
def make_app(backend: str) -> Callable[..., Ferrostatic]:
    """Build a ``Ferrostatic`` with the test's router backend."""

    def make(*args: Any, **options: Any) -> Ferrostatic:
        return Ferrostatic(*args, **options)

    return make
