"""Where ferrostatic's time goes under uvicorn: py-spy (Python lines) and perf (libraries).

For each load scenario, ferrostatic with the Rust router runs under uvicorn as in the load
cells while py-spy samples it (non-blocking, idle time excluded) and, when ``perf`` is
installed, perf samples its CPU by shared object. Time spent in native code called from Python
(the Rust router, a socket write) is charged by py-spy to the Python line that called it.
"""

from __future__ import annotations

import collections
import concurrent.futures.thread as pool
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from harness import load
from harness.fixtures import Fixture
from harness.servers import BIN, CLIENT_CORE, WORK, Target, running
from harness.suite import Settings, check_all, log, plan_for

SECONDS = 5
FERROSTATIC_FUNCTIONS = ("Ferrostatic.", "_stream", "_wait_for", "read_at", "unchanged", "open_")
SCENARIOS = ("spa", "revalidate", "passthrough", "download", "ranges")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
LAYERS = (
    ("ferrostatic", "ferrostatic"),
    ("uvicorn", "uvicorn"),
    ("asyncio/", "event loop (uvloop, C)"),
    ("concurrent/", "thread pool"),
    ("threading", "thread pool"),
)


def _layer(frame: str) -> str:
    match = _FRAME.match(frame)
    path = match["file"] if match else frame
    return next((name for prefix, name in LAYERS if path.startswith(prefix)), "other")


def _idle_frames() -> set[str]:
    """Frames where a thread waits rather than works: a pool worker waiting for a job."""
    lines = Path(pool.__file__).read_text().splitlines()
    return {
        f"_worker (concurrent/futures/thread.py:{number})"
        for number, text in enumerate(lines, 1)
        if "work_queue.get(block=True)" in text
    }


def _function(frame: str) -> str:
    """``name (file)`` of a ``name (file:line)`` frame."""
    match = _FRAME.match(frame)
    return f"{match['function']} ({match['file']})" if match else frame


def summarize_pyspy(path: Path, top: int = 8) -> dict[str, Any]:
    """Sample shares: by layer of the innermost frame, inclusive per function, top lines."""
    leaves: collections.Counter[str] = collections.Counter()
    layers: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    idle = _idle_frames()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if frames[-1] in idle:
            continue
        total += int(count)
        leaves[frames[-1]] += int(count)
        layers[_layer(frames[-1])] += int(count)
        for function in {_function(frame) for frame in frames}:
            if function.startswith(FERROSTATIC_FUNCTIONS):
                inclusive[function] += int(count)
    share = {name: 100 * n / total for name, n in layers.most_common()} if total else {}
    return {
        "samples": total,
        "layers": share,
        "inclusive": {k: 100 * n / total for k, n in inclusive.most_common(6)} if total else {},
        "lines": [(frame, 100 * n / total) for frame, n in leaves.most_common(top)]
        if total
        else [],
    }


def summarize_perf(path: Path) -> dict[str, float]:
    """CPU share per shared object, from ``perf report --sort dso``."""
    result = subprocess.run(
        ["perf", "report", "-i", str(path), "--sort", "dso", "--stdio", "-g", "none"],
        capture_output=True,
        text=True,
        check=False,
    )
    shares = {}
    for line in result.stdout.splitlines():
        match = re.match(r"\s+([\d.]+)%\s+(\S+)", line)
        if match:
            name = re.sub(r"\.cpython-\d+-[^.]+\.so$", ".so", match[2])
            shares[name] = float(match[1])
    return shares


def _profile_scenario(target: Target, fixture: Fixture, scenario: str) -> dict[str, Any]:
    out = WORK / "profile"
    out.mkdir(parents=True, exist_ok=True)
    with running(target, fixture.root) as server:
        check = check_all(server, fixture)[scenario]
        if not check.ok:
            return {"fail": check.reason}
        plan = plan_for(scenario, check)
        load.run(server, plan, 1)
        raw, perf_data = out / f"{scenario}.pyspy.txt", out / f"{scenario}.perf.data"
        pin = ["taskset", "-c", CLIENT_CORE]
        pid = str(server.process.pid)
        spy_command = [str(BIN / "py-spy"), "record", "--nonblocking", "-r", "250", "-f", "raw"]
        spy = subprocess.Popen(
            [*pin, *spy_command, "-d", str(SECONDS), "-o", str(raw), "-p", pid],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        perf = None
        if shutil.which("perf"):
            perf_command = ["perf", "record", "-F", "499", "-o", str(perf_data), "-p", pid]
            perf = subprocess.Popen(
                [*pin, *perf_command, "--", "sleep", str(SECONDS)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        result, _ = load.run(server, plan, SECONDS + 1)
        spy.wait(timeout=60)
        if perf is not None:
            perf.wait(timeout=60)
    found: dict[str, Any] = {"rps": result.rps, "mbps": result.mbps}
    if raw.exists():
        found["pyspy"] = summarize_pyspy(raw)
    if perf is not None and perf_data.exists():
        found["perf"] = summarize_perf(perf_data)
    return found


def run(targets: list[Target], fixture: Fixture, settings: Settings) -> dict[str, Any]:
    """Profile every scenario of ferrostatic-rust under uvicorn."""
    target = next(t for t in targets if t.key == "uvicorn/ferrostatic-rust")
    if not (BIN / "py-spy").exists():
        return {}
    results = {}
    for scenario in SCENARIOS:
        log(f"profile: {scenario}")
        results[scenario] = _profile_scenario(target, fixture, scenario)
    return results


def render(profile: dict[str, Any]) -> list[str]:
    """The profile section of the report."""
    lines = [
        "## Where ferrostatic's time goes (uvicorn, Rust router)",
        "",
        "Sampled while the load ran (py-spy, 250 Hz, idle threads and pool workers waiting "
        "for a job excluded; perf at 499 Hz when installed). *By layer* charges each sample "
        "to the innermost Python frame: time in the Rust router, in a socket write or in the "
        "interpreter itself lands on the Python line that called it. *By library* is perf's "
        "split of the server's CPU time.",
        "",
    ]
    for scenario, found in profile.items():
        if "fail" in found:
            lines += [f"### {scenario}", "", f"Not profiled: {found['fail']}", ""]
            continue
        spy = found.get("pyspy", {})
        layers = ", ".join(f"{name} {share:.0f}%" for name, share in spy.get("layers", {}).items())
        inclusive = ", ".join(f"`{k}` {v:.0f}%" for k, v in spy.get("inclusive", {}).items())
        libraries = ", ".join(
            f"{name} {share:.1f}%" for name, share in list(found.get("perf", {}).items())[:7]
        )
        lines += [
            f"### {scenario} ({found['rps']:,.0f} req/s, {found['mbps']:,.0f} MB/s while sampled)",
            "",
            f"- by layer: {layers}",
            f"- inside ferrostatic (inclusive): {inclusive or 'no sample'}",
        ]
        if libraries:
            lines.append(f"- by library: {libraries}")
        lines += ["", "| innermost Python line | samples |", "|---|--:|"]
        lines += [f"| `{frame}` | {share:.1f}% |" for frame, share in spy.get("lines", [])]
        lines.append("")
    return lines
