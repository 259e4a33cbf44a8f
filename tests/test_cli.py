"""The ``ferrostatic`` command line as a user meets it: help, errors, and ``serve``.

Every test runs the command as a subprocess, as a shell or a deploy script would.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ferrostatic.cli import OPTION_FLAGS, OPTIONS_WITHOUT_FLAG
from ferrostatic.config import Options

from .conftest import run_cli

COMMANDS = ("serve", "compress", "hash", "validate")


ferrostatic = run_cli


def shadowing(tmp_path: Path, module: str) -> dict[str, str]:
    """Environment in which importing ``module`` fails, as if it were not installed."""
    shadow = tmp_path / "shadow"
    shadow.mkdir(exist_ok=True)
    (shadow / f"{module}.py").write_text("raise ImportError('not installed')\n")
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(shadow), os.environ.get("PYTHONPATH")]))
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command: str) -> None:
    """``--help`` exits 0 and shows examples."""
    result = ferrostatic(command, "--help")
    assert result.returncode == 0
    assert f"usage: ferrostatic {command}" in result.stdout and "examples:" in result.stdout


def test_console_script_is_the_module() -> None:
    """The ``ferrostatic`` console script and ``python -m ferrostatic`` are one program."""
    script = shutil.which("ferrostatic", path=str(Path(sys.executable).parent)) or shutil.which(
        "ferrostatic"
    )
    assert script is not None, "the console script is not installed (pip install -e .)"
    for args in (["--help"], ["compress", "--help"], ["--version"]):
        by_script = subprocess.run([script, *args], capture_output=True, text=True, check=False)
        assert by_script.stdout == ferrostatic(*args).stdout
        assert by_script.returncode == 0


def test_no_command_is_a_usage_error() -> None:
    """Without a command: usage on stderr, exit code 2."""
    result = ferrostatic()
    assert result.returncode == 2 and "usage: ferrostatic" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["serve", "{}"], ["compress", "{}"], ["validate", "{}"], ["hash", "{}", "{}-out"]],
    ids=lambda args: args[0],
)
def test_missing_directory_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    """A folder that does not exist: one line naming it, exit code 2, no traceback."""
    missing = str(tmp_path / "no-such-dir")
    result = ferrostatic(*(arg.format(missing) for arg in args))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no-such-dir" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_every_option_has_a_flag() -> None:
    """Each option of ``Ferrostatic`` (``config.Options``) has a flag on ``serve`` and
    ``validate``, or a stated reason not to: a new option without either fails here."""
    flags = {spec.option: spec.flag for spec in OPTION_FLAGS}
    unaccounted = set(Options.__annotations__) - set(flags) - set(OPTIONS_WITHOUT_FLAG)
    assert not unaccounted, f"add these to cli.OPTION_FLAGS: {sorted(unaccounted)}"
    for command in ("serve", "validate"):
        text = ferrostatic(command, "--help").stdout
        assert [flag for flag in flags.values() if flag not in text] == [], command


def test_serve_rejects_an_invalid_option(tmp_path: Path) -> None:
    """An option ``Config`` rejects is one line naming it, exit code 2, before any server
    starts."""
    result = ferrostatic("serve", tmp_path, "--prefix", "static")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "prefix" in result.stderr
    sized = ferrostatic("serve", tmp_path, "--chunk-size", "lots")
    assert sized.returncode == 2 and "--chunk-size" in sized.stderr


@pytest.mark.parametrize(("server", "extra"), [("uvicorn", "serve"), ("granian", "granian")])
def test_serve_without_the_server_names_the_package(
    server: str, extra: str, tmp_path: Path
) -> None:
    """Without the server installed: which extra to install, exit code 2."""
    result = ferrostatic("serve", tmp_path, "--server", server, env=shadowing(tmp_path, server))
    assert result.returncode == 2
    assert f"pip install 'ferrostatic[{extra}]'" in result.stderr


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def workers_of(pid: int) -> list[int]:
    """Child processes of ``pid`` that are server workers (not multiprocessing's tracker)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"resource_tracker" not in command:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_serve_starts_the_workers_asked_for(server: str, tmp_path: Path) -> None:
    """``--workers 2`` starts two worker processes, each built with the flags given: the file
    is served under ``--prefix`` with ``Cache-Control: public, max-age=7`` (RFC 9111 §5.2.2.1)
    and ``X-Content-Type-Options: nosniff`` (Fetch Standard §3.5)."""
    pytest.importorskip(server)
    (tmp_path / "app.css").write_text("body { color: red }\n")
    port = free_port()
    command = [
        sys.executable, "-m", "ferrostatic", "serve", str(tmp_path), "--server", server,
        "--port", str(port), "--workers", "2",
        "--prefix", "/static/", "--cache-max-age", "7", "--security-headers",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            deadline = time.monotonic() + 30
            response = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    url = f"http://127.0.0.1:{port}/static/app.css"
                    response = urllib.request.urlopen(url, timeout=2)
                    if len(workers_of(proc.pid)) == 2:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            assert response is not None, "the server never answered"
            assert response.status == 200 and response.read() == b"body { color: red }\n"
            assert response.headers["Cache-Control"] == "public, max-age=7"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert len(workers_of(proc.pid)) == 2
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        assert proc.stdout is not None
        banner = proc.stdout.read().decode()
    assert f"on http://127.0.0.1:{port}/static/" in banner and f"{server}, 2 workers" in banner
