"""The run inside the virtualenv: pick the cells, run the sections, save and report."""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness import machine, report, suite
from harness.fixtures import spa_fixture
from harness.servers import WORK, Target, asgi_targets, reference_targets

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "benchmarks.md"
SMOKE_TARGETS = ("uvicorn/ferrostatic-rust", "uvicorn/ceiling", "uvicorn/ceiling-inner")
SECTIONS = ("load", "micro", "startup", "memory", "profile")


def all_targets() -> list[Target]:
    """Every (server, app) of the full run, in table order."""
    return [*asgi_targets("uvicorn"), *asgi_targets("granian"), *reference_targets()]


def chosen_targets(smoke: bool, only: str) -> list[Target]:
    """The load targets of this run."""
    targets = all_targets()
    if smoke:
        targets = [target for target in targets if target.key in SMOKE_TARGETS]
    if only:
        targets = [target for target in targets if only in target.key]
    return targets


def ferrostatic_failures(results: dict[str, Any]) -> list[str]:
    """Every ferrostatic cell that failed its checks, named."""
    failed = [
        f"{cell['server']}/{cell['app']}/{cell['scenario']}: {cell['fail']}"
        for cell in results.get("load", {}).get("cells", [])
        if cell["app"].startswith("ferrostatic") and cell["fail"]
    ]
    for app, scenarios in results.get("micro", {}).items():
        if app.startswith("ferrostatic"):
            failed += [
                f"in-process {app}/{name}: {value.get('error')}"
                for name, value in scenarios.items()
                if isinstance(value, dict) and "error" in value
            ]
    memory = results.get("memory", {})
    for row in memory.get("soak", []) + memory.get("downloads", []):
        if "ferrostatic" in row["target"] and row.get("fail"):
            failed.append(f"memory {row['target']}: {row['fail']}")
    return failed


def run_sections(args: argparse.Namespace, settings: suite.Settings) -> dict[str, Any]:
    """Run the sections asked for; return everything measured."""
    sections = set(args.sections.split(","))
    fixture = spa_fixture()
    results: dict[str, Any] = {
        "mode": run_name(args),
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {name: value for name, value in vars(settings).items() if name != "gate"},
        "machine": machine.describe(),
        "load_average": machine.load_average(),
        "setup_seconds": float(os.environ.get("BENCH_SETUP_SECONDS", "0")),
    }
    started = time.monotonic()
    targets = chosen_targets(settings.smoke, settings.only)
    if "load" in sections:
        results["load"] = suite.run_load(targets, fixture, settings)
    if "micro" in sections:
        results["micro"] = suite.run_micro(fixture, settings)
    if "startup" in sections:
        results["startup"] = suite.run_startup(settings)
    if "memory" in sections:
        results["memory"] = suite.run_memory(all_targets(), fixture, settings)
    if "profile" in sections and not settings.smoke:
        from harness import profile

        results["profile"] = profile.run(all_targets(), fixture, settings)
    results["elapsed_seconds"] = time.monotonic() - started
    results["quiet_waited"] = settings.gate.waited
    return results


def run_name(args: argparse.Namespace) -> str:
    """``smoke``, ``full`` (every section and cell: the one that writes the docs) or ``partial``."""
    if args.smoke:
        return "smoke"
    complete = not args.only and set(args.sections.split(",")) >= set(SECTIONS)
    return "full" if complete else "partial"


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so every running server is stopped


def run(args: argparse.Namespace) -> int:
    """Run (or, with --report-only, reload) the results; write JSON and Markdown; exit code."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    name = run_name(args)
    raw = WORK / f"results-{name}.json"
    if args.report_only:
        results = json.loads(raw.read_text())
    else:
        settings = (
            suite.Settings.smoke_run(args.only)
            if args.smoke
            else suite.Settings.full(args.only, args.reps)
        )
        results = run_sections(args, settings)
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(results, indent=1))
    markdown = report.render(results)
    out = DOC if name == "full" else WORK / f"{name}.md"
    out.write_text(markdown)
    suite.log(f"wrote {out.relative_to(REPO)} and {raw.relative_to(REPO)}")
    failures = ferrostatic_failures(results)
    for failure in failures:
        suite.log(f"FAIL {failure}")
    return 1 if failures else 0
