"""Raw HTTP/1.1 on sockets, and the handle of a running server, for the wire tests.

Nothing here repairs what a server sends: the bytes read are the bytes on the wire, so a framing
error (a body longer or shorter than its Content-Length, a repeated header, a body after HEAD or
304) shows up as such.
"""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Headers = Sequence[tuple[str, str]]

NO_BODY_STATUSES = frozenset({204, 304})
_STATUS_LINE = re.compile(rb"HTTP/1\.1 ([1-5][0-9]{2})(?: [^\r\n]*)?")


@dataclass
class Response:
    """A response as received: header names lower-cased, values decoded as latin-1."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The value of a header, asserting it is sent at most once."""
        values = [value for key, value in self.headers if key == name]
        assert len(values) <= 1, f"{name} repeated: {values}"
        return values[0] if values else None


class Connection:
    """One TCP connection to a server on 127.0.0.1, read through a buffer of its own."""

    def __init__(self, port: int, *, receive_buffer: int | None = None, timeout: float = 10.0):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:  # before connect, so the window starts small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(("127.0.0.1", port))
        except OSError:
            self.sock.close()
            raise
        self._buffer = bytearray()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(
        self,
        method: str,
        target: str,
        headers: Headers = (),
        *,
        body: bytes = b"",
        close: bool = False,
    ) -> None:
        """Send one request; ``target`` goes on the request line exactly as given."""
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body)

    def recv(self, size: int = 65536) -> bytes:
        """Bytes already buffered, else one read from the socket (empty at end of stream)."""
        if self._buffer:
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
            return data
        return self.sock.recv(size)

    def _fill(self) -> None:
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError(f"closed by the server; unread bytes: {bytes(self._buffer)!r}")
        self._buffer += data

    def read_head(self) -> Response:
        """Read a status line and header fields; the body stays unread."""
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        status_line, *fields = head.split(b"\r\n")
        match = _STATUS_LINE.fullmatch(status_line)
        assert match, f"not an HTTP/1.1 status line: {status_line[:200]!r}"
        headers = []
        for field in fields:
            name, sep, value = field.partition(b":")
            assert sep and name and name == name.strip(), f"malformed header field {field!r}"
            headers.append((name.decode("latin-1").lower(), value.strip(b" \t").decode("latin-1")))
        return Response(int(match[1]), headers)

    def read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read_to_eof(self) -> bytes:
        """Everything until the server closes the connection."""
        chunks = [bytes(self._buffer)]
        self._buffer.clear()
        while data := self.sock.recv(1 << 20):
            chunks.append(data)
        return b"".join(chunks)

    def read_response(self, method: str) -> Response:
        """One response on a persistent connection, framed as RFC 9112 §6.3 says: no body after
        HEAD or 304, else exactly Content-Length bytes (which every response here must carry)."""
        response = self.read_head()
        check_header_fields(response)
        if method != "HEAD" and response.status not in NO_BODY_STATUSES:
            length = response.header("content-length")
            assert length is not None, f"{response.status} without Content-Length"
            response.body = self.read_exactly(int(length))
        return response

    def request(
        self, method: str, target: str, headers: Headers = (), *, body: bytes = b""
    ) -> Response:
        """Send a request and read its response, leaving the connection open."""
        self.send(method, target, headers, body=body)
        return self.read_response(method)

    def assert_open_and_idle(self, wait: float = 0.1) -> None:
        """Nothing is left over from the last response, and the server has not closed."""
        assert not self._buffer, f"bytes after the last response: {bytes(self._buffer[:200])!r}"
        readable, _, _ = select.select([self.sock], [], [], wait)
        if readable:
            data = self.sock.recv(200, socket.MSG_PEEK)
            assert data, "the server closed the connection"
            raise AssertionError(f"bytes after the last response: {data!r}")


def check_header_fields(response: Response) -> None:
    """No field is repeated, and the body is never chunked (every length is known)."""
    names = [name for name, _ in response.headers]
    repeated = sorted({name for name in names if names.count(name) > 1})
    assert not repeated, f"repeated header fields: {repeated}"
    assert "transfer-encoding" not in names, response.headers


def check_framing(response: Response, method: str) -> None:
    """The body read up to the close is exactly what the head announced (RFC 9112 §6.3)."""
    check_header_fields(response)
    if method == "HEAD" or response.status in NO_BODY_STATUSES:
        assert response.body == b"", f"{method} {response.status} carried {len(response.body)} B"
        return
    length = response.header("content-length")
    assert length is not None, f"{response.status} without Content-Length"
    assert len(response.body) == int(length), f"Content-Length {length}, {len(response.body)} B"


def fetch(
    port: int, method: str, target: str, headers: Headers = (), *, body: bytes = b""
) -> Response:
    """One request with ``Connection: close``: the body is every byte up to the server's close,
    so its length checks the framing exactly."""
    with Connection(port) as connection:
        connection.send(method, target, headers, body=body, close=True)
        response = connection.read_head()
        response.body = connection.read_to_eof()
    check_framing(response, method)
    return response


@dataclass
class Server:
    """A server subprocess serving ``root`` through ``serve_app`` in ``mode``."""

    name: str
    backend: str
    mode: str
    root: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def fetch(
        self, method: str, target: str, headers: Headers = (), *, body: bytes = b""
    ) -> Response:
        return fetch(self.port, method, target, headers, body=body)

    def connect(self, *, receive_buffer: int | None = None) -> Connection:
        return Connection(self.port, receive_buffer=receive_buffer)

    def file(self, rel: str) -> bytes:
        """The bytes of a served file, read from disk."""
        return (self.root / rel).read_bytes()


# --- Processes (Linux /proc) -------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[int, str] | None:
    """``(parent pid, start time)`` of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[19]


def descendants(pid: int) -> list[tuple[int, str]]:
    """``(pid, start time)`` of every process below ``pid``; empty without /proc."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit() and (stat := proc_stat(int(entry))) is not None:
            parents.setdefault(stat[0], []).append((int(entry), stat[1]))
    found: list[tuple[int, str]] = []
    pending = [pid]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += [child for child, _ in children]
    return found


def read_chars(pid: int) -> int:
    """Bytes a process and its descendants read with read-like system calls (``rchar``)."""
    total = 0
    for each in [pid, *(child for child, _ in descendants(pid))]:
        try:
            lines = Path(f"/proc/{each}/io").read_text().splitlines()
        except OSError:  # exited meanwhile
            continue
        total += next(int(line.split()[1]) for line in lines if line.startswith("rchar:"))
    return total
