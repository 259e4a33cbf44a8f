"""The benchmark's sections: load over the network, in-process micro, start-up, memory.

Each section returns plain data (dicts and lists, saved as JSON) that ``report`` turns into
tables. Load cells are repeated by restarting every server once per repetition, so that the
spread covers a fresh process as well as the noise of the moment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import checks, load
from harness.fixtures import BIG_SIZE, RANGE_SIZE, Fixture, startup_tree
from harness.load import Plan
from harness.machine import CpuMeter, CpuTimes, QuietGate
from harness.servers import (
    ALL_SCENARIOS,
    BENCH,
    SERVER_CORE,
    Server,
    Target,
    pinned,
    running,
)
from harness.stats import NOISY


def log(message: str) -> None:
    """Progress on stderr, so that a long run shows where it is."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure; ``smoke`` is the short CI subset."""

    smoke: bool
    reps: int
    duration: float
    warmup: float
    micro_budget: float
    micro_runs: int
    startup_sizes: tuple[int, ...]
    startup_runs: int
    soak_requests: int
    soak_targets: tuple[str, ...]
    download_seconds: float
    download_targets: tuple[str, ...]
    attempts: int = 4
    gate: QuietGate = field(default_factory=lambda: QuietGate(limit=10.0, budget=240.0))
    only: str = ""

    @classmethod
    def full(cls, only: str = "", reps: int = 5) -> Settings:
        """The full run: every cell, three repetitions."""
        return cls(
            smoke=False,
            reps=reps,
            duration=2.0,
            warmup=1.0,
            micro_budget=0.15,
            micro_runs=9,
            startup_sizes=(20_000, 100_000),
            startup_runs=3,
            soak_requests=1_000_000,
            soak_targets=("uvicorn/ferrostatic-rust", "granian/ferrostatic-rust"),
            download_seconds=3.0,
            download_targets=(
                "uvicorn/ferrostatic-rust",
                "uvicorn/ferrostatic-python",
                "uvicorn/whitesnout",
                "uvicorn/servestatic",
                "uvicorn/whitenoise-a2wsgi",
                "uvicorn/starlette",
                "uvicorn/ceiling",
                "granian/ferrostatic-rust",
                "granian/ceiling",
            ),
            only=only,
        )

    @classmethod
    def smoke_run(cls, only: str = "") -> Settings:
        """The CI subset: a few seconds per cell, one repetition."""
        return cls(
            smoke=True,
            reps=1,
            attempts=1,
            gate=QuietGate(limit=0.0, budget=0.0),
            duration=2.0,
            warmup=1.0,
            micro_budget=0.05,
            micro_runs=3,
            startup_sizes=(2_000,),
            startup_runs=1,
            soak_requests=50_000,
            soak_targets=("uvicorn/ferrostatic-rust",),
            download_seconds=2.0,
            download_targets=("uvicorn/ferrostatic-rust",),
            only=only,
        )


# --- Load cells ------------------------------------------------------------------------------


@dataclass
class Cell:
    """One (server, app, scenario): its runs, or why it failed."""

    server: str
    app: str
    scenario: str
    runs: list[dict[str, float]] = field(default_factory=list)
    fail: str = ""
    encodings: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``server/app/scenario``."""
        return f"{self.server}/{self.app}/{self.scenario}"


def plan_for(scenario: str, check: checks.Check) -> Plan:
    if scenario == "spa":
        return Plan("spa", check.requests, (200,), check.allowed_sizes)
    if scenario == "revalidate":
        return Plan("revalidate", check.requests, (304,), [0])
    if scenario == "passthrough":
        return Plan("passthrough", check.requests, (200,), [2], exact_body="ok")
    if scenario == "download":
        return Plan(
            "download", check.requests, (200,), [BIG_SIZE], check_bodies=False, connections=4
        )
    return Plan("ranges", check.requests, (206,), [RANGE_SIZE], random_range=True)


def check_all(server: Server, fixture: Fixture) -> dict[str, checks.Check]:
    """Every scenario's check against a running server."""
    spa, answers = checks.spa(server, fixture)
    return {
        "spa": spa,
        "revalidate": checks.revalidate(server, fixture, answers),
        "passthrough": checks.passthrough(server),
        "download": checks.download(server, fixture),
        "ranges": checks.ranges(server, fixture),
    }


def _measure(server: Server, plan: Plan, settings: Settings) -> tuple[dict[str, float], str]:
    """Warm up, then measure; the figures, or what was wrong.

    The machine may be shared: a measurement during which other processes took more than
    ``NOISY`` percent of a core is not clean; it is taken again (up to ``settings.attempts``
    times, each after waiting for the machine to go quiet) and the quietest attempt is kept,
    marked clean or not.
    """
    server.reset_peak()
    warm, _ = load.run(server, plan, settings.warmup)
    problems = warm.problems(plan)
    kept: dict[str, float] = {}
    for attempt in range(settings.attempts):
        waited = settings.gate.wait()
        figures, found = _attempt(server, plan, settings)
        figures.update(attempt=float(attempt + 1), waited=waited)
        figures["clean"] = float(figures["foreign_cpu"] <= NOISY)
        if found:
            return figures, "; ".join(problems + found)
        if not kept or figures["foreign_cpu"] < kept["foreign_cpu"]:
            kept = figures
        if figures["clean"]:
            break
    return kept, "; ".join(problems)


def _attempt(server: Server, plan: Plan, settings: Settings) -> tuple[dict[str, float], list[str]]:
    meter = CpuMeter(server.pids)
    result, _ = load.run(server, plan, settings.duration)
    usage = meter.stop()
    problems = result.problems(plan)
    if not server.alive():
        problems.append(f"the server exited: {server.log_tail(5)}")
    figures = {
        "rps": result.rps,
        "p50_us": result.p50_us,
        "p99_us": result.p99_us,
        "mbps": result.mbps,
        "peak_kib": float(server.peak_kib()),
        "requests": float(result.requests),
        **usage,
    }
    return figures, problems


def _cell(cells: dict[str, Cell], target: Target, scenario: str) -> Cell:
    return cells.setdefault(f"{target.key}/{scenario}", Cell(target.server, target.app, scenario))


def _run_cell(
    cell: Cell, server: Server, check: checks.Check, settings: Settings, rep: int
) -> None:
    """One repetition of one cell on a running server, recorded into ``cell``."""
    if cell.fail:
        return
    if not check.ok:
        cell.fail = check.reason
    elif not server.alive():
        cell.fail = f"the server exited: {server.log_tail(3)}"
    else:
        figures, problem = _measure(server, plan_for(cell.scenario, check), settings)
        figures["rep"] = float(rep)
        cell.fail = problem
        if not problem:
            cell.runs.append(figures)
            log(
                f"  {cell.key}: {figures['rps']:,.0f} req/s, p50 {figures['p50_us'] / 1000:.2f} ms,"
                f" {figures['mbps']:,.0f} MB/s, peak {figures['peak_kib'] / 1024:.0f} MiB"
            )
            return
    log(f"  {cell.key}: FAIL {cell.fail}")


def _start_all(
    targets: list[Target], fixture: Fixture, stack: contextlib.ExitStack, cells: dict[str, Cell]
) -> dict[str, tuple[Server, dict[str, checks.Check]]]:
    """Start every target (idle servers cost nothing) and check each one's answers."""
    started = {}
    for target in targets:
        try:
            server = stack.enter_context(running(target, fixture.root))
        except RuntimeError as error:  # the server did not start
            for scenario in target.scenarios:
                cell = _cell(cells, target, scenario)
                cell.fail = cell.fail or str(error).splitlines()[0]
            log(f"  {target.key}: {error}")
            continue
        found = check_all(server, fixture)
        if "spa" in target.scenarios:
            _cell(cells, target, "spa").encodings = found["spa"].encodings
        started[target.key] = (server, found)
    return started


def paired_order(targets: list[Target]) -> list[Target]:
    """Each server's ceiling first, then ferrostatic, then the rest: the cells compared with
    each other are measured seconds apart, so that a slow drift of the machine's speed (which
    no counter inside a VM shows) hits both alike."""

    def rank(target: Target) -> tuple[int, int]:
        servers = ("uvicorn", "granian", "nginx")
        server = servers.index(target.server) if target.server in servers else len(servers)
        kind = 0 if target.app.startswith("ceiling") else 1 if target.is_ferrostatic else 2
        return server, kind

    return sorted(targets, key=rank)


def run_load(targets: list[Target], fixture: Fixture, settings: Settings) -> dict[str, Any]:
    """Every cell, ``settings.reps`` times; and how busy the CPUs were meanwhile.

    Each repetition starts every server afresh, then takes one scenario at a time across all
    of them (ceiling first), and stops them all.
    """
    cells: dict[str, Cell] = {}
    started = CpuTimes.now()
    order = paired_order(targets)
    for rep in range(settings.reps):
        log(f"load, repetition {rep + 1} of {settings.reps}")
        with contextlib.ExitStack() as stack:
            running_servers = _start_all(order, fixture, stack, cells)
            for scenario in ALL_SCENARIOS:
                for target in order:
                    if scenario in target.scenarios and target.key in running_servers:
                        server, found = running_servers[target.key]
                        cell = _cell(cells, target, scenario)
                        _run_cell(cell, server, found[scenario], settings, rep)
    return {
        "cells": [asdict(cell) for cell in cells.values()],
        "cpu": CpuTimes.now().since(started),
    }


# --- In-process micro ------------------------------------------------------------------------

MICRO_APPS = (
    "ferrostatic-rust",
    "ferrostatic-python",
    "whitesnout",
    "servestatic",
    "starlette",
    "ceiling",
    "inner",
    "noop",
)


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **extra)
    env.pop("FERROSTATIC_BACKEND", None)
    env.update(extra)
    return env


def _backend_env(app: str) -> dict[str, str]:
    if app.startswith("ferrostatic-python"):
        return {"FERROSTATIC_BACKEND": "python"}
    if app.startswith("ferrostatic"):
        return {"FERROSTATIC_BACKEND": "rust"}
    return {}


def _run_child(module: str, args: list[str], env: dict[str, str], timeout: float) -> Any:
    command = [*pinned(SERVER_CORE), sys.executable, "-m", module, *args]
    result = subprocess.run(
        command,
        cwd=BENCH,
        env=_child_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} {args[0]} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_micro(fixture: Fixture, settings: Settings) -> dict[str, Any]:
    """µs per request of every app called in-process (one fresh interpreter per app)."""
    log("in-process micro")
    results: dict[str, Any] = {}
    for app in MICRO_APPS:
        args = [
            app,
            str(fixture.root),
            "--budget",
            str(settings.micro_budget),
            "--runs",
            str(settings.micro_runs),
        ]
        settings.gate.wait()
        try:
            results[app] = _run_child("harness.micro", args, _backend_env(app), 900)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            results[app] = {"error": str(error)}
        log(f"  {app}: {_micro_line(results[app])}")
    return results


def _micro_line(result: dict[str, Any]) -> str:
    return ", ".join(
        f"{name} {value['us']:.2f} µs" if "us" in value else f"{name} FAIL"
        for name, value in result.items()
        if isinstance(value, dict)
    )


# --- Start-up --------------------------------------------------------------------------------

STARTUP_APPS = (
    "ferrostatic-rust",
    "ferrostatic-python",
    "whitenoise",
    "servestatic",
)


def _warm_page_cache(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            Path(folder, name).read_bytes()


def run_startup(settings: Settings) -> list[dict[str, Any]]:
    """Start-up time and RSS per file, per app and tree size (median of the runs)."""
    rows: list[dict[str, Any]] = []
    for size in settings.startup_sizes:
        log(f"start-up, {size:,} files")
        root = startup_tree(size)
        _warm_page_cache(root)
        for app in STARTUP_APPS:
            runs = []
            for _ in range(settings.startup_runs):
                settings.gate.wait()
                try:
                    runs.append(
                        _run_child("harness.startup", [app, str(root)], _backend_env(app), 900)
                    )
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    log(f"  {app}: {error}")
            if not runs:
                rows.append({"app": app, "files": size, "error": "did not start"})
                continue
            row = {
                "app": app,
                "files": size,
                "seconds": statistics.median(r["seconds"] for r in runs),
                "seconds_min": min(r["seconds"] for r in runs),
                "seconds_max": max(r["seconds"] for r in runs),
                "bytes_per_file": statistics.median(r["bytes_per_file"] for r in runs),
                "rss_built_kib": statistics.median(r["rss_built_kib"] for r in runs),
            }
            rows.append(row)
            log(f"  {app}: {row['seconds']:.2f} s, {row['bytes_per_file']:.0f} B/file")
    return rows


# --- Memory ----------------------------------------------------------------------------------


class RssSampler:
    """Samples a server's RSS in a thread while a load runs."""

    def __init__(self, read: Callable[[], int], interval: float = 0.5) -> None:
        """Sample ``read()`` every ``interval`` seconds once started."""
        self.read = read
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(self.read())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _soak(target: Target, fixture: Fixture, settings: Settings) -> dict[str, Any]:
    """RSS before and after many small requests (hits, 304s and pass-throughs, rotating)."""
    with running(target, fixture.root) as server:
        found = check_all(server, fixture)
        parts = [found[name] for name in ("spa", "revalidate", "passthrough")]
        if not all(part.ok for part in parts):
            return {"target": target.key, "fail": "; ".join(p.reason for p in parts if p.reason)}
        requests = [request for part in parts for request in part.requests]
        sizes = sorted({size for part in parts for size in part.allowed_sizes})
        warm = Plan("soak", requests, (200, 304), sizes, stop_after=20_000)
        load.run(server, warm, 120)
        start = server.rss_kib()
        plan = Plan("soak", requests, (200, 304), sizes, stop_after=settings.soak_requests)
        with RssSampler(server.rss_kib) as sampler:
            result, _ = load.run(server, plan, settings.soak_requests / 1000 + 60)
        end = server.rss_kib()
        problems = result.problems(plan)
        return {
            "target": target.key,
            "requests": result.requests,
            "seconds": result.seconds,
            "rss_start_kib": start,
            "rss_end_kib": end,
            "rss_max_kib": max([*sampler.samples, end]),
            "growth": (end - start) / start,
            "fail": "; ".join(problems),
        }


class SocketBuffers:
    """The kernel's send buffers of a server's connections, sampled while a load runs.

    ``ss -tm`` gives each socket's send buffer size (``tb``, ``SO_SNDBUF`` as autotuned) and
    the bytes queued in it (``w``); the largest sums seen over the samples are kept.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.size = 0
        self.queued = 0
        self.sockets = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> SocketBuffers:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            try:
                listing = subprocess.run(
                    ["ss", "-tmnH", "state", "established", f"( sport = :{self.port} )"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            except (OSError, subprocess.CalledProcessError):
                return
            sizes = [int(found) for found in re.findall(r"\btb(\d+)", listing)]
            queued = [int(found) for found in re.findall(r"\bw(\d+)", listing)]
            self.size = max(self.size, sum(sizes))
            self.queued = max(self.queued, sum(queued))
            self.sockets = max(self.sockets, len(sizes))


def _downloads(target: Target, fixture: Fixture, settings: Settings) -> dict[str, Any]:
    """RSS added by 200 concurrent downloads of the 20 MB file, and the kernel's send buffers
    of those connections meanwhile."""
    with running(target, fixture.root) as server:
        check = checks.download(server, fixture)
        if not check.ok:
            return {"target": target.key, "fail": check.reason}
        idle = server.rss_kib()
        server.reset_peak()
        plan = Plan(
            "download",
            check.requests,
            (200,),
            [BIG_SIZE],
            check_bodies=False,
            connections=200,
            timeout=60,
        )
        with SocketBuffers(server.port) as buffers:
            result, _ = load.run(server, plan, settings.download_seconds)
        peak = server.peak_kib()
        # A server too slow to finish one 20 MB download per connection in the window is
        # slow, not wrong: the memory it holds meanwhile is still what is measured.
        problems = [p for p in result.problems(plan) if p != "no response completed"]
        return {
            "target": target.key,
            "idle_kib": idle,
            "peak_kib": peak,
            "added_kib": peak - idle,
            "socket_buffers_kib": buffers.size // 1024,
            "socket_queued_kib": buffers.queued // 1024,
            "sockets": buffers.sockets,
            "requests": result.requests,
            "mbps": result.mbps,
            "fail": "; ".join(problems),
        }


def run_memory(targets: list[Target], fixture: Fixture, settings: Settings) -> dict[str, Any]:
    """The soak (RSS flat over many requests) and the 200 concurrent downloads."""
    by_key = {target.key: target for target in targets}
    soaks, downloads = [], []
    for key in settings.soak_targets:
        if key in by_key:
            log(f"memory: {settings.soak_requests:,} requests on {key}")
            soaks.append(_soak(by_key[key], fixture, settings))
            log(f"  {soaks[-1]}")
    for key in settings.download_targets:
        if key in by_key:
            log(f"memory: 200 concurrent 20 MB downloads on {key}")
            downloads.append(_downloads(by_key[key], fixture, settings))
            log(f"  {downloads[-1]}")
    return {"soak": soaks, "downloads": downloads}
