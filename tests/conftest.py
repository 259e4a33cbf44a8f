"""Shared fixtures: every behaviour test runs against both routers and both entry points.

``make_app`` builds the ASGI ``Ferrostatic`` or the WSGI ``FerrostaticWSGI`` (the ``entry_point``
parameter), and ``call`` runs one request through either in-process. Tests about ASGI itself
(pathsend, lifespan, disconnects) carry ``@pytest.mark.asgi_only``.

``FERROSTATIC_TEST_BACKENDS=python`` limits a local run to the pure-Python router (for working
without the compiled core); CI always runs both, and a missing core fails the Rust half.
``FERROSTATIC_TEST_ENTRY_POINTS=asgi`` (or ``wsgi``) limits the entry points the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import os
import signal
import socket
import subprocess
import sys
import time
import wsgiref.util
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import ferrostatic
import ferrostatic._backend
from ferrostatic import Ferrostatic, FerrostaticWSGI, _pure

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
ENTRY_POINTS = [
    name
    for name in ("asgi", "wsgi")
    if name in os.environ.get("FERROSTATIC_TEST_ENTRY_POINTS", "asgi,wsgi").split(",")
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of tests that only make sense for the ASGI entry point."""
    config.addinivalue_line(
        "markers", "asgi_only: about ASGI itself (scopes, pathsend, disconnects): no WSGI run"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that builds apps with ``make_app`` once per entry point."""
    if "entry_point" in metafunc.fixturenames:
        asgi_only = metafunc.definition.get_closest_marker("asgi_only") is not None
        names = [name for name in ENTRY_POINTS if name == "asgi" or not asgi_only]
        metafunc.parametrize("entry_point", names, indirect=True)


@pytest.fixture
def entry_point(request: pytest.FixtureRequest) -> str:
    """``asgi`` or ``wsgi``: which adapter ``make_app`` builds."""
    return str(request.param)


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


def is_asgi(app: object) -> bool:
    """Whether ``app`` is an ASGI app (a coroutine function, or an object with one to call)."""
    method = inspect.getattr_static(app, "__call__", None)
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(method)


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
    """Run one HTTP request through an ASGI or a WSGI app in-process and collect the response.

    The arguments describe the request as an ASGI server would see it (``path`` includes
    ``root_path``); for a WSGI app they become a PEP 3333 environ. ``extensions`` is ASGI's.
    """
    if not is_asgi(app):
        return call_wsgi(app, method, path, headers, query=query, root_path=root_path)
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
    return run_asgi(app, scope)


def fetch(
    app: Callable[..., Any],
    method: str = "GET",
    path: str = "/",
    headers: list[tuple[bytes, bytes]] | None = None,
    **kwargs: Any,
) -> Response:
    """``call``, checking that a response with a body states its length right."""
    response = call(app, method, path, headers, **kwargs)
    if method != "HEAD" and response.body:
        assert response.header("content-length") == str(len(response.body)), response
    return response


def run_asgi(app: Callable[..., Any], scope: dict[str, Any]) -> Response:
    """Run an ASGI app on one HTTP scope (no request body, no disconnect)."""
    messages: list[dict[str, Any]] = []

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
def make_app(backend: str, entry_point: str) -> Callable[..., Ferrostatic | FerrostaticWSGI]:
    """Build a ``Ferrostatic`` (ASGI) or a ``FerrostaticWSGI`` with the test's router backend.

    For WSGI, a wrapped ASGI test app is run behind a small WSGI-to-ASGI shim, so that the
    middleware tests keep their ASGI inner apps and what those record.
    """

    def make(*args: Any, **options: Any) -> Ferrostatic | FerrostaticWSGI:
        if entry_point == "asgi":
            return Ferrostatic(*args, **options)
        if args and args[0] is not None and is_asgi(args[0]):
            args = (ASGIBehindWSGI(args[0]), *args[1:])
        return FerrostaticWSGI(*args, **options)

    return make


# --- WSGI, in-process ---------------------------------------------------------------------------


def wsgi_environ(
    method: str = "GET",
    path: str = "/",
    headers: Iterable[tuple[bytes, bytes]] = (),
    *,
    query: bytes = b"",
    root_path: str = "",
    file_wrapper: bool = True,
) -> dict[str, Any]:
    """A PEP 3333 environ for a request described as ``call`` describes it.

    The path becomes UTF-8 bytes decoded as latin-1 (the "native string" of the raw bytes), the
    part below ``root_path`` in ``PATH_INFO`` and ``root_path`` in ``SCRIPT_NAME``; the headers
    become ``HTTP_*`` keys, repeated ones joined with commas as servers do.
    """
    script_name, path_info = root_path, path
    if root_path and path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest or rest[0] == "/":
            path_info = rest

    def native(text: str) -> str:
        return text.encode("utf-8", "surrogateescape").decode("latin-1")

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": native(script_name),
        "PATH_INFO": native(path_info),
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if file_wrapper:
        environ["wsgi.file_wrapper"] = wsgiref.util.FileWrapper
    for name, value in headers:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]}, {text}" if key in environ else text
    return environ


def run_wsgi(app: Callable[..., Any], environ: dict[str, Any]) -> Response:
    """Run a WSGI app as a server would: iterate the body, then ``close()`` it, always.

    The status line and the headers are checked against PEP 3333 (native strings, latin-1,
    a reason phrase); each block of the body is recorded as an ASGI-like body message.
    """
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        assert not started, "start_response called twice"
        started.append((status, headers))

        def write(data: bytes) -> None:
            raise AssertionError("the write() callable is for legacy apps only")

        return write

    result = app(environ, start_response)
    chunks: list[bytes] = []
    try:
        for chunk in result:
            assert started, "body before start_response"
            assert type(chunk) is bytes, type(chunk)
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert started, "start_response never called"
    status_text, native_headers = started[0]
    code, _, phrase = status_text.partition(" ")
    assert code.isdigit() and len(code) == 3, status_text
    if int(code) in HTTPStatus._value2member_map_:
        rfc_9110 = {"416": "Range Not Satisfiable"}  # Python < 3.13 has RFC 7233's name
        assert phrase in (HTTPStatus(int(code)).phrase, rfc_9110.get(code)), status_text
    headers = []
    for name, value in native_headers:
        assert type(name) is str and type(value) is str, (name, value)
        headers.append((name.encode("latin-1"), value.encode("latin-1")))
    messages: list[dict[str, Any]] = [
        {"type": "http.response.start", "status": int(code), "headers": headers},
        *({"type": "http.response.body", "body": c, "more_body": True} for c in chunks),
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]
    return Response(int(code), headers, b"".join(chunks), messages)


def call_wsgi(
    app: Callable[..., Any],
    method: str = "GET",
    path: str = "/",
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    query: bytes = b"",
    root_path: str = "",
    file_wrapper: bool | None = None,
) -> Response:
    """``call`` for a WSGI app. Unless ``file_wrapper`` says, the environ offers
    ``wsgi.file_wrapper`` for half of the requests (chosen by a hash of the request, so that
    a run is reproducible): both ways of sending a file go through the behaviour tests."""
    if file_wrapper is None:
        key = f"{method} {path} {headers!r} {query!r}".encode("utf-8", "surrogateescape")
        file_wrapper = zlib.crc32(key) % 2 == 0
    environ = wsgi_environ(
        method, path, headers or [], query=query, root_path=root_path, file_wrapper=file_wrapper
    )
    return run_wsgi(app, environ)


class ASGIBehindWSGI:
    """A WSGI app that runs an ASGI test app: the wrapped app of the middleware tests.

    The scope it builds is what an ASGI server would give for the same request: ``path`` is
    ``SCRIPT_NAME`` + ``PATH_INFO`` decoded as UTF-8, ``root_path`` the ``SCRIPT_NAME``.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        def text(native: str) -> str:
            return native.encode("latin-1").decode("utf-8", "surrogateescape")

        headers = [
            (key[5:].lower().replace("_", "-").encode("latin-1"), value.encode("latin-1"))
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": environ["REQUEST_METHOD"],
            "scheme": "http",
            "path": text(environ["SCRIPT_NAME"] + environ["PATH_INFO"]),
            "raw_path": (environ["SCRIPT_NAME"] + environ["PATH_INFO"]).encode("latin-1"),
            "query_string": environ["QUERY_STRING"].encode("latin-1"),
            "root_path": text(environ["SCRIPT_NAME"]),
            "headers": headers,
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "extensions": {},
        }
        response = run_asgi(self.app, scope)
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "Unknown"
        start_response(
            f"{response.status} {phrase}",
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers],
        )
        return [response.body]


# --- Real servers, as subprocesses on 127.0.0.1 -------------------------------------------------

PACKAGE_ROOT = Path(ferrostatic.__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (as of now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    """Whether an HTTP server answers on ``port`` (an accepted connection is not enough: a
    pre-forking server binds the port before its worker has loaded the app)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"HEAD /-probe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


def stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Terminate a server by its PID, kill it after ``timeout``, then any worker it left."""
    from .wire.support import descendants, proc_stat

    family = descendants(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid, started in family:
        stat = proc_stat(pid)
        if stat is not None and stat[1] == started:  # still that process, not a reused PID
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def gunicorn_command(port: int, app: str, *options: str) -> list[str]:
    """``gunicorn`` serving ``app`` on 127.0.0.1:``port`` with one worker, quietly."""
    import gunicorn.config

    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--log-level", "warning", *options]
    if any(setting.name == "control_socket" for setting in gunicorn.config.KNOWN_SETTINGS):
        command.append("--no-control-socket")  # one per user by default: servers would share it
    return [*command, app]


@dataclass
class Subprocess:
    """A server started by ``serving``: its port, process and log file."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def serving(
    command: list[str],
    *,
    port: int,
    log: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    pythonpath: Iterable[Path] = (),
    timeout: float = 20.0,
) -> Iterator[Subprocess]:
    """Run ``command`` (a server listening on ``port``) until it answers; stop it on exit.

    The server imports the ferrostatic under test; ``FERROSTATIC_*`` variables of this process
    are not passed on (a server reads the options it is given, not the developer's).
    """
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FERROSTATIC_", "PYTHON", "DJANGO_", "GUNICORN_", "UVICORN_"))
    }
    clean["PYTHONPATH"] = os.pathsep.join(str(p) for p in [PACKAGE_ROOT, *pythonpath])
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    clean.update(env or {})
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=clean,
        )
    try:
        deadline = time.monotonic() + timeout
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                state = "exited" if process.poll() is not None else "is not answering"
                pytest.fail(
                    f"{command[:4]} {state} on port {port}:\n{log.read_text(errors='replace')}",
                    pytrace=False,
                )
            time.sleep(0.05)
        yield Subprocess(port, process, log)
    finally:
        stop_process(process)


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ferrostatic`` as a subprocess and collect its output."""
    return subprocess.run(
        [sys.executable, "-m", "ferrostatic", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
