"""What the benchmark ran on: CPU, memory, kernel, versions, and how busy the CPUs were."""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from harness.servers import find_nginx

REPO = Path(__file__).resolve().parents[2]
PACKAGES = (
    "ferrostatic",
    "uvicorn",
    "uvloop",
    "httptools",
    "granian",
    "whitesnout",
    "servestatic",
    "whitenoise",
    "a2wsgi",
    "starlette",
)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _tool_version(command: list[str], pattern: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return "missing"
    match = re.search(pattern, result.stdout + result.stderr)
    return match.group(1) if match else "unknown"


def _git_revision() -> str:
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"


def describe() -> dict[str, str]:
    """The machine and software, as the report prints them."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    nginx = find_nginx()
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": _tool_version(["wrk", "--version"], r"wrk (\S+)"),
        "nginx": _tool_version([nginx or "nginx", "-v"], r"nginx/(\S+)"),
        "revision": _git_revision(),
        **{f"pkg:{name}": version for name, version in versions.items()},
    }


@dataclass(frozen=True)
class CpuTimes:
    """Cumulative jiffies per CPU from /proc/stat: (busy, idle, steal) for cpu0, cpu1, ..."""

    per_cpu: dict[str, tuple[int, int, int]]

    @classmethod
    def now(cls) -> CpuTimes:
        """Read /proc/stat."""
        per_cpu = {}
        for line in Path("/proc/stat").read_text().splitlines():
            if re.match(r"cpu\d+ ", line):
                name, *values = line.split()
                user, nice, system, idle, iowait, irq, softirq, steal = map(int, values[:8])
                per_cpu[name] = (user + nice + system + irq + softirq, idle + iowait, steal)
        return cls(per_cpu)

    def since(self, earlier: CpuTimes) -> dict[str, dict[str, float]]:
        """Busy and steal percentages of each CPU between ``earlier`` and now."""
        shares = {}
        for name, (busy, idle, steal) in self.per_cpu.items():
            old_busy, old_idle, old_steal = earlier.per_cpu.get(name, (0, 0, 0))
            total = (busy - old_busy) + (idle - old_idle) + (steal - old_steal)
            if total > 0:
                shares[name] = {
                    "busy": 100 * (busy - old_busy) / total,
                    "steal": 100 * (steal - old_steal) / total,
                }
        return shares


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the given processes (all their threads), seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """CPU time of this process's waited-for children (the load generators), seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Where the CPU time went during one measurement: the server, the client, anyone else.

    "Foreign" is the busy time of both cores that neither the server nor the load generator
    used: other processes on the machine, interrupts. "Steal" is time the hypervisor gave to
    other guests. Each is reported as a percentage of one core over the wall time.
    """

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        """Take the first snapshot; ``pids`` lists the server's processes."""
        self.pids = pids
        self.wall = time.monotonic()
        self.cpus = CpuTimes.now()
        self.server = process_cpu_seconds(pids())
        self.client = children_cpu_seconds()

    def stop(self) -> dict[str, float]:
        """Percent of one core used by each party since the first snapshot."""
        wall = time.monotonic() - self.wall
        server = process_cpu_seconds(self.pids()) - self.server
        client = children_cpu_seconds() - self.client
        now = CpuTimes.now()
        busy = steal = 0.0
        for name, (cpu_busy, _, cpu_steal) in now.per_cpu.items():
            old_busy, _, old_steal = self.cpus.per_cpu.get(name, (0, 0, 0))
            busy += (cpu_busy - old_busy) / CLOCK_TICKS
            steal += (cpu_steal - old_steal) / CLOCK_TICKS
        share = 100 / wall if wall > 0 else 0.0
        return {
            "server_cpu": server * share,
            "client_cpu": client * share,
            "foreign_cpu": max(0.0, busy - server - client) * share,
            "steal": steal * share,
        }


def busy_cores(interval: float = 0.25) -> float:
    """How many cores' worth of CPU the whole machine used over the next ``interval`` s."""
    before = CpuTimes.now()
    time.sleep(interval)
    after = CpuTimes.now()
    busy = sum(
        after.per_cpu[name][0] - before.per_cpu.get(name, (0, 0, 0))[0] for name in after.per_cpu
    )
    return busy / CLOCK_TICKS / interval


class QuietGate:
    """Waits for the machine to be idle but for us, within a budget for the whole run.

    Called between measurements, when nothing of ours is running: whatever CPU is busy then
    is someone else's (a test suite, a build). Idle means under ``threshold`` of a core over
    a quarter of a second. Each wait lasts at most ``limit`` seconds, and all of them together at
    most ``budget``: on a machine that never goes quiet the run goes on, noisier (which the
    report shows).
    """

    def __init__(self, limit: float, budget: float, threshold: float = 0.15) -> None:
        """A gate that has not waited yet."""
        self.limit = limit
        self.budget = budget
        self.threshold = threshold
        self.waited = 0.0

    def wait(self) -> float:
        """Wait for quiet (within the limits); return how long it took."""
        limit = min(self.limit, self.budget - self.waited)
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if busy_cores() < self.threshold:
                break
        spent = time.monotonic() - started
        self.waited += spent
        return spent
