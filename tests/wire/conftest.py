"""Real servers for the wire tests: uvicorn and granian as subprocesses on 127.0.0.1.

Each server loads ``serve_app`` with ``FERROSTATIC_BACKEND`` set to the backend under test and
is started once per module for each (server, backend) pair; the test id names both.
``FERROSTATIC_TEST_BACKENDS`` limits the backends as in the parent conftest. A server that does
not come up fails its tests with its output; it is never skipped.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import ferrostatic

from .support import Server, descendants, proc_stat

BACKENDS = [
    name
    for name in ("rust", "python")
    if name in os.environ.get("FERROSTATIC_TEST_BACKENDS", "rust,python").split(",")
]
SERVERS = {
    "uvicorn-httptools": ["-m", "uvicorn", "--http", "httptools", "--loop", "uvloop"],
    "uvicorn-h11": ["-m", "uvicorn", "--http", "h11", "--loop", "asyncio"],
    "granian": ["-m", "granian", "--interface", "asgi", "--workers", "1"],
}
WIRE_DIR = Path(__file__).resolve().parent
# The servers import the same ferrostatic as the tests (a source tree or an installed copy).
PACKAGE_ROOT = Path(ferrostatic.__file__).resolve().parents[1]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0

BIG_SIZE = 24 * 1024 * 1024  # far above max_memory_file_size: streamed from disk
MEDIUM_SIZE = 512 * 1024  # above max_memory_file_size (256 KiB) too, and under 1 MiB


def _params(servers: list[str]) -> list[object]:
    return [pytest.param((s, b), id=f"{s}-{b}") for s in servers for b in BACKENDS]


@pytest.fixture(scope="session")
def wire_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served tree: small files held in memory, two read from disk, a non-ASCII name."""
    root = tmp_path_factory.mktemp("wire") / "site"
    rng = random.Random(9110)
    script = "".join(f"console.log('line {i}');\n" for i in range(250)).encode()
    files = {
        "index.html": b"<!doctype html><title>home</title>\n",
        "app.js": script,
        "docs/index.html": b"<!doctype html><title>docs</title>\n",
        "notes.txt": b"Static files, exact HTTP.\n",
        "caf\u00e9/men\u00fc.txt": "cr\u00e8me br\u00fbl\u00e9e\n".encode(),
        "data/medium.bin": rng.randbytes(MEDIUM_SIZE),
        "big.bin": rng.randbytes(BIG_SIZE),
        # Written after their source, so they are not older than it. The .br bytes are a
        # stand-in: only their identity is checked, never decoded.
        "app.js.br": b"BR" + rng.randbytes(400),
        "app.js.gz": gzip.compress(script, mtime=0),
    }
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    """Whether the server answers an HTTP request (an accepted connection is not enough:
    granian binds the port before its worker has loaded the app)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(
                b"HEAD /-wire-probe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            return sock.recv(16).startswith(b"HTTP/1.1 ")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server by its PID, kill it after a timeout, then any worker it left."""
    family = descendants(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid, started in family:
        stat = proc_stat(pid)
        if stat is not None and stat[1] == started:  # still that process, not a reused PID
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running(name: str, backend: str, mode: str, root: Path, workdir: Path) -> Iterator[Server]:
    """Start ``name`` serving ``root`` in ``mode`` with ``backend``; stop it on exit."""
    port = _free_port()
    log = workdir / f"{name}-{backend}-{mode}.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FERROSTATIC_", "GRANIAN_", "UVICORN_", "PYTHON"))
    }
    env |= {
        "PYTHONPATH": os.pathsep.join([str(PACKAGE_ROOT), str(WIRE_DIR)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "FERROSTATIC_BACKEND": backend,
        "FERROSTATIC_TEST_ROOT": str(root),
        "FERROSTATIC_TEST_MODE": mode,
        "FERROSTATIC_TEST_REPORTS": str(workdir / "reports.jsonl"),
    }
    command = [sys.executable, *SERVERS[name], "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log", "serve_app:app"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                state = "exited" if process.poll() is not None else "is not answering"
                pytest.fail(
                    f"{name} ({backend} backend, {mode}) {state} on port {port}:\n"
                    f"{log.read_text(errors='replace')}",
                    pytrace=False,
                )
            time.sleep(0.05)
        yield Server(name, backend, mode, root, port, process, log)
    finally:
        _stop(process)


@pytest.fixture(scope="module", params=_params(list(SERVERS)))
def standalone(
    request: pytest.FixtureRequest, wire_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``Ferrostatic(directory=...)`` alone, under each server and backend."""
    name, backend = request.param
    with running(name, backend, "standalone", wire_site, tmp_path_factory.mktemp("run")) as server:
        yield server


@pytest.fixture(scope="module", params=_params(list(SERVERS)))
def middleware(
    request: pytest.FixtureRequest, wire_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``Ferrostatic(inner_app, directory=...)``, under each server and backend."""
    name, backend = request.param
    with running(name, backend, "middleware", wire_site, tmp_path_factory.mktemp("run")) as server:
        yield server


@pytest.fixture(scope="module", params=_params(["uvicorn-httptools"]))
def mounted(
    request: pytest.FixtureRequest, wire_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``Ferrostatic`` mounted at ``/static`` in a Starlette app, under uvicorn."""
    pytest.importorskip("starlette")
    name, backend = request.param
    with running(name, backend, "mounted", wire_site, tmp_path_factory.mktemp("run")) as server:
        yield server


@pytest.fixture(scope="module", params=_params(["uvicorn-httptools", "granian"]))
def operator(
    request: pytest.FixtureRequest, wire_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The operator features in front of an app (``serve_app.operator``)."""
    name, backend = request.param
    with running(name, backend, "operator", wire_site, tmp_path_factory.mktemp("run")) as server:
        yield server
