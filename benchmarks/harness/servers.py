"""Start, measure and stop the servers under test: one per (server, app), on 127.0.0.1 only.

Every server runs pinned to core 0 (``taskset -c 0``) with one worker, on a free port, and is
stopped by its PID. Memory is read from ``/proc``: the resident set of the server and every
process it started (granian's and nginx's workers), and its peak (``VmHWM``), which is reset
before each measurement by writing ``5`` to ``/proc/<pid>/clear_refs``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
APPS = BENCH / "apps"
WORK = BENCH / ".work"
BIN = Path(sys.executable).parent
SERVER_CORE = "0"
CLIENT_CORE = "1"
ALL_SCENARIOS = ("spa", "revalidate", "passthrough", "download", "ranges")
# As root, the measured processes run at a higher priority so that other work on a shared
# machine (a test suite, a build) disturbs them less; what it still takes is reported.
PRIORITY = ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def pinned(core: str) -> list[str]:
    """The command prefix that runs a process on ``core`` (at the measuring priority)."""
    return [*PRIORITY, "taskset", "-c", core]


@dataclass(frozen=True)
class Target:
    """One server running one app: what to start and which scenarios it takes part in."""

    server: str  # uvicorn | granian | nginx
    app: str  # the label in the tables: ferrostatic-rust, ceiling, ...
    module: str = ""  # "module:attribute" under benchmarks/apps
    interface: str = "asgi"  # granian's --interface
    env: dict[str, str] = field(default_factory=dict)
    scenarios: tuple[str, ...] = ALL_SCENARIOS
    prefix: str = ""  # URL prefix the files are served under
    static_mount: bool = False  # granian serving the files itself
    exact_bytes: bool = True  # False for the ceiling: right sizes, constant bytes

    @property
    def key(self) -> str:
        """``server/app``: how cells are named."""
        return f"{self.server}/{self.app}"

    @property
    def is_ferrostatic(self) -> bool:
        """Whether this is one of ferrostatic's own targets (whose failures fail the run)."""
        return self.app.startswith("ferrostatic")


def asgi_targets(server: str) -> list[Target]:
    """The ASGI apps under test on ``server`` (uvicorn or granian), ceiling included."""
    wsgi = server == "granian"
    return [
        Target(
            server, "ferrostatic-rust", "ferrostatic_app:app", env={"FERROSTATIC_BACKEND": "rust"}
        ),
        Target(
            server,
            "ferrostatic-python",
            "ferrostatic_app:app",
            env={"FERROSTATIC_BACKEND": "python"},
        ),
        Target(server, "whitesnout", "whitesnout_app:app"),
        Target(server, "servestatic", "servestatic_app:app"),
        Target(
            server,
            "whitenoise-wsgi" if wsgi else "whitenoise-a2wsgi",
            "whitenoise_app:wsgi_app" if wsgi else "whitenoise_app:app",
            interface="wsgi" if wsgi else "asgi",
        ),
        Target(
            server,
            "starlette",
            "starlette_app:app",
            scenarios=("spa", "revalidate", "download", "ranges"),
        ),
        Target(
            server,
            "ceiling",
            "ceiling_app:app",
            scenarios=("spa", "revalidate", "download", "ranges"),
            exact_bytes=False,
        ),
        Target(server, "ceiling-inner", "inner_app:app", scenarios=("passthrough",)),
    ]


def reference_targets() -> list[Target]:
    """The outside references: nginx, granian serving the files itself, and on uvicorn (no
    pathsend) the least a download costs there: read the file and send it."""
    return [
        Target("uvicorn", "read-and-send", "read_app:app", scenarios=("download",)),
        Target("nginx", "nginx", scenarios=("spa", "revalidate", "download", "ranges")),
        Target("granian", "granian-static", "inner_app:app", prefix="/static", static_mount=True),
    ]


# --- Processes -------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_nginx() -> str | None:
    """The nginx binary (Debian puts it in /usr/sbin, not always on PATH)."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)),
        None,
    )


def _nginx_config(root: Path, port: int, home: Path) -> Path:
    """nginx.conf: one worker, sendfile, gzip_static, no access log, state kept in ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    temp = "".join(
        f"    {name}_temp_path {home / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    conf = home / "nginx.conf"
    conf.write_text(
        f"""worker_processes 1;
daemon off;
pid {home / "nginx.pid"};
error_log {home / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    {mime}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    gzip_static on;
    gzip_vary on;
{temp}    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        location / {{ add_header Cache-Control "public, max-age=60"; }}
    }}
}}
"""
    )
    return conf


def command(target: Target, root: Path, port: int) -> list[str]:
    """The command line that starts ``target`` serving ``root`` on ``port``."""
    host = ["--host", "127.0.0.1", "--port", str(port)]
    if target.server == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            *host,
            "--app-dir",
            str(APPS),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            target.module,
        ]
    if target.server == "granian":
        static = []
        if target.static_mount:
            static = [
                "--static-path-route",
                target.prefix,
                "--static-path-mount",
                str(root),
                "--static-path-dir-to-file",
                "index.html",
            ]
        return [
            str(BIN / "granian"),
            *host,
            "--interface",
            target.interface,
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--no-ws",
            "--log-level",
            "warning",
            "--working-dir",
            str(APPS),
            *static,
            target.module,
        ]
    nginx = find_nginx()
    if nginx is None:
        raise RuntimeError("nginx not found; run benchmarks/run.py as root to install it")
    home = WORK / "nginx" / str(port)
    conf = _nginx_config(root, port, home)
    return [nginx, "-p", str(home), "-e", str(home / "error.log"), "-c", str(conf)]


@dataclass
class Server:
    """A running server: its target, port, process and log file."""

    target: Target
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The server's PID and those of every process under it."""
        return _tree(self.process.pid)

    def rss_kib(self) -> int:
        """Resident memory of the whole process tree, KiB."""
        return sum(_status_field(pid, "VmRSS") for pid in self.pids())

    def peak_kib(self) -> int:
        """Peak resident memory since the last ``reset_peak``, summed over the tree, KiB."""
        return sum(_status_field(pid, "VmHWM") for pid in self.pids())

    def reset_peak(self) -> None:
        """Start a new peak-RSS measurement (``clear_refs`` 5 resets VmHWM to VmRSS)."""
        for pid in self.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the server wrote (for error messages)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the server by PID; SIGKILL it and its leftover children if it lingers."""
        children = self.pids()[1:]
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in children:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}").exists():
                    os.kill(pid, signal.SIGKILL)


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                pids.extend(_tree(int(child)))
    return pids


def _status_field(pid: int, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start(target: Target, root: Path, timeout: float = 60.0) -> Server:
    """Start ``target`` on core 0 serving ``root``; return once it answers HTTP."""
    port = free_port()
    log = WORK / "logs" / f"{target.server}-{target.app}-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BENCH_ROOT=str(root), PYTHONDONTWRITEBYTECODE="1")
    env.pop("FERROSTATIC_BACKEND", None)
    env.update(target.env)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*pinned(SERVER_CORE), *command(target, root, port)],
            cwd=APPS,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(target, port, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"{target.key} exited at start-up:\n{server.log_tail()}")
        if _answers(port):
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{target.key} did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/robots.txt")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def running(target: Target, root: Path) -> Iterator[Server]:
    """Start ``target``, yield it, and always stop it."""
    server = start(target, root)
    try:
        yield server
    finally:
        server.stop()
