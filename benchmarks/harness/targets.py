"""The issue's targets: each evaluated from the results, met or not, and why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.stats import (
    CellSummary,
    ceiling_key,
    cell_index,
    fmt_int,
    fmt_ratio,
    paired_ratio,
    summarize,
)

FERRO = "ferrostatic-rust"
# scenario -> (title, minimum ratio to the ceiling)
LOAD_GOALS = (
    ("spa", "SPA mix", 0.90),
    ("revalidate", "304 revalidation", 0.90),
    ("passthrough", "pass-through", 0.95),
    ("download", "20 MB download, MB/s", 0.80),
    ("ranges", "random 64 KiB ranges", 0.50),
)
# load scenario -> the in-process scenario that isolates the same work
MICRO_FOR = {"spa": "mix", "revalidate": "revalidate", "passthrough": "passthrough"}


@dataclass
class Goal:
    """One target: what it asks, what was measured, whether it is met, and why not."""

    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run
    why: list[str] = field(default_factory=list)


# --- Load ------------------------------------------------------------------------------------


def _micro_us(results: dict[str, Any], app: str, scenario: str) -> float | None:
    value = results.get("micro", {}).get(app, {}).get(scenario)
    return float(value["us"]) if isinstance(value, dict) and "us" in value else None


def _per_request(mine: CellSummary, base: CellSummary) -> str:
    if mine.scenario == "download":
        mine_ms = 20.97 / mine.mbps * 1000 if mine.mbps else 0
        base_ms = 20.97 / base.mbps * 1000 if base.mbps else 0
        text = (
            f"At the measured rates a 20 MB response costs {mine_ms:.1f} ms of the server's "
            f"time against the ceiling's {base_ms:.1f} ms (server CPU {mine.server_cpu:.0f}% vs "
            f"{base.server_cpu:.0f}% of a core, wrk {mine.client_cpu:.0f}% vs "
            f"{base.client_cpu:.0f}%)."
        )
        if base.client_cpu > 80:
            text += " The ceiling was partly limited by wrk itself (reading its bytes)."
        return text
    mine_us, base_us = 1e6 / mine.rps, 1e6 / base.rps
    text = (
        f"Per request the server spends {mine_us:.1f} µs against the ceiling's {base_us:.1f} µs: "
        f"{mine_us - base_us:.1f} µs more (server CPU {mine.server_cpu:.0f}% vs "
        f"{base.server_cpu:.0f}% of a core)."
    )
    if mine.server_cpu < 90:
        text += (
            f" The server was not saturated ({mine.server_cpu:.0f}% of a core): requests "
            "waited on something other than its CPU (the thread pool, the disk, wrk)."
        )
    return text


def _in_process(results: dict[str, Any], scenario: str) -> str:
    micro = MICRO_FOR.get(scenario)
    if micro is None:
        return ""
    mine = _micro_us(results, FERRO, micro)
    base_app = "inner" if scenario == "passthrough" else "ceiling"
    base = _micro_us(results, base_app, micro)
    if mine is None or base is None:
        return ""
    what = "the wrapped app called directly" if base_app == "inner" else "the constant app"
    return (
        f"In-process, the same requests cost {mine:.2f} µs against {what}'s {base:.2f} µs "
        f"({mine - base:+.2f} µs): the rest of the gap under load is the server's own "
        "per-response work (more header fields to validate and write, larger bodies)."
    )


def _closest(index: dict[str, dict[str, Any]], scenario: str) -> str:
    found = []
    metric = "mbps" if scenario == "download" else "rps"
    for server in ("uvicorn", "granian"):
        cell, base = (
            index.get(f"{server}/{FERRO}/{scenario}"),
            index.get(ceiling_key(server, scenario)),
        )
        paired = paired_ratio(cell, base, metric) if cell and base else None
        if paired is not None:
            found.append(f"{server} {paired.text()}")
    return f"ferrostatic-rust on each server: {', '.join(found)}." if found else ""


def _floor(
    index: dict[str, dict[str, Any]],
    server: str,
    scenario: str,
    cell: dict[str, Any],
    ceiling_cell: dict[str, Any] | None,
    minimum: float,
) -> str:
    """For a download without pathsend: how far the bare read-and-send app itself gets, and
    how far ferrostatic gets of that."""
    floor = index.get(f"{server}/read-and-send/{scenario}")
    if floor is None or ceiling_cell is None or not summarize(floor).ok:
        return ""
    of_ceiling = paired_ratio(floor, ceiling_cell, "mbps")
    of_floor = paired_ratio(cell, floor, "mbps")
    if of_ceiling is None or of_floor is None:
        return ""
    text = (
        f"{server} offers no pathsend, so the bytes must be read into Python before they are "
        "written to the socket, where the ceiling only writes them. An app that does nothing "
        "else (read-and-send: read into a reused buffer and send, no checks, no thread) "
        f"reaches {of_ceiling.text()} of the ceiling; ferrostatic reaches "
        f"{of_floor.text()} of that app."
    )
    if of_ceiling.high < minimum:
        text += (
            " The goal is out of reach for any file server on this server: what is left to "
            "ferrostatic is its distance to read-and-send."
        )
    return text


def _load_goal(
    results: dict[str, Any],
    index: dict[str, dict[str, Any]],
    server: str,
    goal: tuple[str, str, float],
) -> Goal | None:
    scenario, title, minimum = goal
    cell = index.get(f"{server}/{FERRO}/{scenario}")
    if cell is None:
        return None
    name = f"{title} ≥ {minimum:.0%} of the ceiling ({server})"
    wanted = f"≥ {minimum:.2f}×"
    mine = summarize(cell)
    if not mine.ok:
        return Goal(name, wanted, f"FAIL: {mine.fail}", False, [f"The cell failed: {mine.fail}"])
    ceiling_cell = index.get(ceiling_key(server, scenario))
    base = summarize(ceiling_cell) if ceiling_cell else None
    if base is None or not base.ok or not base.value:
        return Goal(name, wanted, "ceiling not measured", None)
    metric = "mbps" if scenario == "download" else "rps"
    paired = paired_ratio(cell, ceiling_cell, metric) if ceiling_cell else None
    ratio = paired.median if paired else mine.value / base.value
    unit = "MB/s" if scenario == "download" else "req/s"
    measured = (
        f"{paired.text() if paired else fmt_ratio(ratio)}; medians {fmt_int(mine.value)} vs "
        f"{fmt_int(base.value)} {unit}"
    )
    if not (mine.clean_runs and base.clean_runs):
        measured += ", noisy"
    if ratio >= minimum:
        return Goal(name, wanted, measured, True)
    why = [
        _floor(index, server, scenario, cell, ceiling_cell, minimum),
        _per_request(mine, base),
        _in_process(results, scenario),
        _closest(index, scenario),
    ]
    if paired is not None and paired.high >= minimum:
        why.append(
            f"The repetitions straddle the goal ({paired.low:.2f}× to {paired.high:.2f}×): "
            "the shortfall is within the run's noise."
        )
    return Goal(name, wanted, measured, False, [line for line in why if line])


# --- In-process ------------------------------------------------------------------------------


def _router_split(results: dict[str, Any], app: str, scenario: str) -> str:
    router = _micro_us(results, app, f"router-{scenario}")
    whole = _micro_us(results, app, scenario)
    if router is None or whole is None:
        return ""
    return (
        f"Of {app}'s {whole:.2f} µs, the router call (`resolve`) takes {router:.2f} µs; the "
        f"ASGI adapter around it (reading the scope, building two messages, two awaited sends) "
        f"the other {whole - router:.2f} µs."
    )


def _micro_goals(results: dict[str, Any]) -> list[Goal]:
    goals: list[Goal] = []
    hit, constant = _micro_us(results, FERRO, "hit"), _micro_us(results, "ceiling", "hit")
    if hit and constant:
        ratio = hit / constant
        goal = Goal(
            "in-process hit within 1.5× of the constant-body app",
            "≤ 1.50×",
            f"{ratio:.2f}× ({hit:.2f} vs {constant:.2f} µs)",
            ratio <= 1.5,
        )
        if not goal.met:
            noop = _micro_us(results, "noop", "passthrough") or 0.0
            goal.why = [
                _router_split(results, FERRO, "hit"),
                f"Net of the measuring loop ({noop:.2f} µs, the `noop` app) the ratio is "
                f"{(hit - noop) / (constant - noop):.2f}×.",
            ]
        goals.append(goal)
    passed, inner = (
        _micro_us(results, FERRO, "passthrough"),
        _micro_us(results, "inner", "passthrough"),
    )
    if passed and inner:
        goals.append(
            Goal(
                "in-process pass-through within 1 µs of calling the wrapped app",
                "≤ +1.00 µs",
                f"{passed - inner:+.2f} µs ({passed:.2f} vs {inner:.2f} µs)",
                passed - inner <= 1.0,
            )
        )
    for scenario, label in (("hit", "hit"), ("revalidate", "304"), ("passthrough", "pass-through")):
        python, rust = (
            _micro_us(results, "ferrostatic-python", scenario),
            _micro_us(results, FERRO, scenario),
        )
        if python and rust:
            goal = Goal(
                f"pure-Python router within 2× of the Rust router in-process ({label})",
                "≤ 2.00×",
                f"{python / rust:.2f}× ({python:.2f} vs {rust:.2f} µs)",
                python / rust <= 2.0,
            )
            if not goal.met:
                goal.why = [
                    _router_split(results, "ferrostatic-python", scenario),
                    _router_split(results, FERRO, scenario),
                ]
            goals.append(goal)
    return goals


# --- Start-up and memory ---------------------------------------------------------------------


def _startup_goals(results: dict[str, Any]) -> list[Goal]:
    rows = [row for row in results.get("startup", []) if "error" not in row]
    if not rows:
        return []
    largest = max(row["files"] for row in rows)
    at_size = {row["app"]: row for row in rows if row["files"] == largest}
    others = ", ".join(
        f"{app} {row['seconds']:.2f} s / {row['bytes_per_file']:.0f} B"
        for app, row in at_size.items()
        if not app.startswith("ferrostatic-rust")
    )
    # The targets are the product's: the compiled core. The pure-Python router is reported
    # (its start-up is a Python object per file) but has no start-up target of its own.
    row = at_size.get(FERRO)
    if row is None:
        return []
    timing = Goal(
        f"start-up of {largest:,} files ≤ 1 s ({FERRO})",
        "≤ 1.00 s",
        f"{row['seconds']:.2f} s",
        row["seconds"] <= 1.0,
    )
    memory = Goal(
        f"start-up of {largest:,} files ≤ 300 bytes RSS per file ({FERRO})",
        "≤ 300 B",
        f"{row['bytes_per_file']:.0f} B per file",
        row["bytes_per_file"] <= 300,
    )
    for goal in (timing, memory):
        if goal.met is False:
            goal.why = [f"The others at {largest:,} files: {others}."]
    return [timing, memory]


def _memory_goals(results: dict[str, Any]) -> list[Goal]:
    goals = []
    for row in results.get("memory", {}).get("soak", []):
        if "growth" not in row:
            goals.append(
                Goal(
                    f"RSS flat over many requests ({row['target']})",
                    "≤ +5%",
                    f"FAIL: {row.get('fail')}",
                    False,
                )
            )
            continue
        start, end = row["rss_start_kib"] / 1024, row["rss_end_kib"] / 1024
        goal = Goal(
            f"RSS flat over {row['requests']:,} requests ({row['target']})",
            "≤ +5%",
            f"{row['growth']:+.1%} ({start:.1f} → {end:.1f} MiB)",
            row["growth"] <= 0.05 and not row.get("fail"),
        )
        if row.get("fail"):
            goal.why = [f"The load itself failed its checks: {row['fail']}"]
        goals.append(goal)
    for row in results.get("memory", {}).get("downloads", []):
        if not row["target"].endswith(f"/{FERRO}") or not row.get("sockets"):
            continue
        added, buffers = row["added_kib"] / 1024, row["socket_buffers_kib"] / 1024
        goal = Goal(
            f"200 concurrent 20 MB downloads add no more than their socket buffers "
            f"({row['target']})",
            "≤ socket buffers",
            f"+{added:.0f} MiB against {buffers:.0f} MiB of send buffers "
            f"({row['socket_queued_kib'] / 1024:.1f} MiB queued in them)",
            added <= buffers and not row.get("fail"),
        )
        if row.get("fail"):
            goal.why = [f"The load itself failed its checks: {row['fail']}"]
        goals.append(goal)
    return goals


def evaluate(results: dict[str, Any]) -> list[Goal]:
    """Every target this run measured."""
    index = cell_index(results.get("load", {}).get("cells", []))
    goals: list[Goal] = []
    for goal in LOAD_GOALS:
        for server in ("uvicorn", "granian"):
            found = _load_goal(results, index, server, goal)
            if found is not None:
                goals.append(found)
    return goals + _micro_goals(results) + _startup_goals(results) + _memory_goals(results)


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def render_table(goals: list[Goal]) -> list[str]:
    """The targets table, with a one-line count."""
    met = sum(1 for goal in goals if goal.met)
    lines = [
        "## Targets",
        "",
        f"{met} of {len(goals)} targets met. Load ratios compare ferrostatic with the Rust router "
        "against the constant-body ceiling on the same server, in the same run.",
        "",
        "| target | goal | measured | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {g.name} | {g.goal} | {g.measured} | {_mark(g.met)} |" for g in goals]
    lines.append("")
    return lines


def render_misses(goals: list[Goal], results: dict[str, Any]) -> list[str]:
    """For each target not met: the measurement that shows why, and the closest result."""
    missed = [goal for goal in goals if goal.met is False]
    if not missed:
        return []
    lines = ["## Targets not met: why, and the closest result", ""]
    for goal in missed:
        lines.append(f"- **{goal.name}**: {goal.measured}.")
        lines += [f"  {line}" for line in goal.why if line]
    lines.append("")
    return lines
