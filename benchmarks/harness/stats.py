"""Summaries of repeated load cells, and number formatting for the report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

NOISY = 10.0  # percent of a core used by other processes that makes a measurement noisy


def is_clean(run: dict[str, float]) -> bool:
    """Whether other processes left this measurement alone (under ``NOISY`` of a core)."""
    return bool(run.get("clean", float(run.get("foreign_cpu", 0.0) <= NOISY)))


def fmt_int(value: float) -> str:
    """12,345."""
    return f"{value:,.0f}"


def fmt_ratio(value: float) -> str:
    """0.93 followed by the multiplication sign."""
    return f"{value:.2f}×"


@dataclass
class CellSummary:
    """The median (and spread) of one cell's repetitions."""

    server: str
    app: str
    scenario: str
    fail: str = ""
    runs: int = 0
    rps: float = 0.0
    rps_min: float = 0.0
    rps_max: float = 0.0
    mbps: float = 0.0
    mbps_min: float = 0.0
    mbps_max: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    peak_mib: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    foreign: float = 0.0
    steal: float = 0.0
    encodings: dict[str, int] = field(default_factory=dict)
    note_id: str = ""
    total_runs: int = 0
    clean_runs: int = 0

    @property
    def ok(self) -> bool:
        """Measured, and every response checked out."""
        return not self.fail and self.runs > 0

    @property
    def key(self) -> str:
        """``server/app/scenario``."""
        return f"{self.server}/{self.app}/{self.scenario}"

    @property
    def value(self) -> float:
        """The figure the scenario is ranked by: MB/s for the download, else req/s."""
        return self.mbps if self.scenario == "download" else self.rps

    @property
    def spread(self) -> float:
        """(max - min) / median of that figure over the repetitions."""
        if self.scenario == "download":
            low, high, mid = self.mbps_min, self.mbps_max, self.mbps
        else:
            low, high, mid = self.rps_min, self.rps_max, self.rps
        return (high - low) / mid if mid else 0.0


def _median(runs: list[dict[str, float]], name: str) -> float:
    return statistics.median(run.get(name, 0.0) for run in runs)


def summarize(cell: dict[str, Any]) -> CellSummary:
    """Median and spread of a cell's runs (a failed cell keeps only its reason)."""
    summary = CellSummary(
        cell["server"], cell["app"], cell["scenario"], cell["fail"], encodings=cell["encodings"]
    )
    runs = cell["runs"]
    if summary.fail or not runs:
        return summary
    clean = [run for run in runs if is_clean(run)]
    summary.total_runs, summary.clean_runs = len(runs), len(clean)
    runs = clean or runs  # the clean repetitions, when there are any
    summary.runs = len(runs)
    summary.rps = _median(runs, "rps")
    summary.rps_min = min(run["rps"] for run in runs)
    summary.rps_max = max(run["rps"] for run in runs)
    summary.mbps = _median(runs, "mbps")
    summary.mbps_min = min(run["mbps"] for run in runs)
    summary.mbps_max = max(run["mbps"] for run in runs)
    summary.p50_ms = _median(runs, "p50_us") / 1000
    summary.p99_ms = _median(runs, "p99_us") / 1000
    summary.peak_mib = _median(runs, "peak_kib") / 1024
    summary.server_cpu = _median(runs, "server_cpu")
    summary.client_cpu = _median(runs, "client_cpu")
    summary.foreign = _median(runs, "foreign_cpu")
    summary.steal = _median(runs, "steal")
    return summary


def cell_index(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Cells by ``server/app/scenario``."""
    return {f"{c['server']}/{c['app']}/{c['scenario']}": c for c in cells}


def ceiling_key(server: str, scenario: str) -> str:
    """The ceiling cell an app on ``server`` is compared with."""
    if server == "nginx":
        server = "granian"
    app = "ceiling-inner" if scenario == "passthrough" else "ceiling"
    return f"{server}/{app}/{scenario}"


@dataclass(frozen=True)
class Ratio:
    """An app's figure over the ceiling's, repetition by repetition (paired), summarized."""

    median: float
    low: float
    high: float
    pairs: int

    def text(self) -> str:
        """The median ratio, with its range over the repetitions when there are several."""
        if self.pairs > 1:
            return f"{fmt_ratio(self.median)} ({self.low:.2f}–{self.high:.2f})"
        return fmt_ratio(self.median)


def _by_rep(cell: dict[str, Any]) -> dict[int, dict[str, float]]:
    return {int(run.get("rep", index)): run for index, run in enumerate(cell["runs"])}


def paired_ratio(cell: dict[str, Any], ceiling: dict[str, Any], metric: str) -> Ratio | None:
    """The ratio of ``metric`` to the ceiling's within each repetition, over the repetitions
    both were measured in (the clean pairs, when there are any)."""
    if cell["fail"] or ceiling["fail"]:
        return None
    mine, base = _by_rep(cell), _by_rep(ceiling)
    pairs = [(mine[rep], base[rep]) for rep in sorted(mine.keys() & base.keys())]
    clean = [(a, b) for a, b in pairs if is_clean(a) and is_clean(b)]
    ratios = [a[metric] / b[metric] for a, b in clean or pairs if b[metric]]
    if not ratios:
        return None
    return Ratio(statistics.median(ratios), min(ratios), max(ratios), len(ratios))
