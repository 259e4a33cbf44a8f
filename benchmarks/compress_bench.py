#!/usr/bin/env python3
"""Pre-compression of a static tree: ferrostatic against WhiteNoise, ServeStatic and whitesnout.

    python benchmarks/compress_bench.py [--tree DIR] [--copies N] [--repeat N]

Each tool compresses a fresh copy of the same tree, in its own process, with its own defaults
and its own parallelism; the time is measured around the compression call only (not the
interpreter's start-up), and the best of ``--repeat`` runs is kept; each tool then runs again
on the tree it just compressed (a deploy that changed nothing). The bytes are those of the
variant files each tool wrote. Prints a Markdown table.

Installs nothing: it expects ``ferrostatic`` (with its compiled core), ``whitenoise``,
``servestatic``, ``whitesnout`` and ``brotli`` in the running environment; a tool that cannot
be imported gets a row saying so. The default tree is Django's admin static files when Django
is installed (real CSS, JavaScript, SVG and fonts), otherwise a generated one.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

VARIANT_SUFFIXES = {".br": "br", ".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
CODINGS = ("br", "gzip", "zstd")

# Each runs in a fresh interpreter with the tree's path as argv[1] and prints its seconds.
TOOLS: dict[str, tuple[str, str]] = {
    "ferrostatic (br, gzip)": (
        "br 11, gzip 9; threads",
        "from ferrostatic.compress import compress_tree\n"
        "run = lambda root: compress_tree(root, formats=('br', 'gzip'))",
    ),
    "ferrostatic (br, zstd, gzip)": (
        "br 11, zstd 19, gzip 9; threads",
        "from ferrostatic.compress import compress_tree\nrun = lambda root: compress_tree(root)",
    ),
    "whitenoise": (
        "br 11, gzip 9; threads",
        "from whitenoise.compress import main\nrun = lambda root: main([root, '--quiet'])",
    ),
    "servestatic": (
        "br 11, gzip 9 (zstd on 3.14+); threads",
        "from servestatic.compress import main\nrun = lambda root: main([root, '--quiet'])",
    ),
    "whitesnout": (
        "br 6, gzip 9; processes",
        "from whitesnout.compress import compress_directory\n"
        "run = lambda root: compress_directory(root, quiet=True)",
    ),
}

TIMED = """
import sys, time
{setup}
started = time.perf_counter()
run(sys.argv[1])
print(time.perf_counter() - started)
"""


def default_tree(scratch: Path) -> tuple[Path, str]:
    """Django's admin static files if Django is installed, else a generated tree."""
    try:
        import django
    except ImportError:
        return generated_tree(scratch / "generated"), "generated CSS/JS/SVG/JSON"
    admin = Path(django.__file__).parent / "contrib" / "admin" / "static"
    return admin, f"Django {django.__version__} admin static files"


def generated_tree(root: Path) -> Path:
    """A reproducible tree of text assets of varied sizes, plus images that are skipped."""
    rng = random.Random(5)
    words = [
        "color", "margin", "padding", "display", "flex", "grid", "function", "return",
        "const", "let", "await", "async", "module", "export", "import", "border", "width",
    ]  # fmt: skip
    for index in range(120):
        kind = ("css", "js", "svg", "json")[index % 4]
        lines = []
        for line in range(rng.randint(20, 3000)):
            picked = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            lines.append(f"{picked} {line} {rng.randint(0, 10**6):x};")
        folder = root / kind / f"part{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"asset{index}.{kind}").write_text("\n".join(lines) + "\n")
    for index in range(10):
        (root / "img").mkdir(exist_ok=True)
        (root / "img" / f"photo{index}.png").write_bytes(rng.randbytes(20_000))
    return root


@dataclass
class Run:
    """What one tool did to one copy of the tree."""

    seconds: float = 0.0
    again: float = 0.0
    """A second run on the same, unchanged tree."""
    variants: int = 0
    sizes: dict[str, int] = field(default_factory=dict)
    smallest: int = 0
    error: str = ""


def measure(tree: Path, copies: int, scratch: Path, setup: str) -> Run:
    """Copy the tree, run one tool on it in a subprocess, tally what it wrote."""
    work = scratch / "work"
    if work.exists():
        shutil.rmtree(work)
    for copy in range(copies):
        shutil.copytree(tree, work / f"copy{copy}", symlinks=True)
    timings = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", TIMED.format(setup=setup), str(work)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return Run(error=(result.stderr.strip().splitlines() or ["failed"])[-1])
        timings.append(float(result.stdout.strip().splitlines()[-1]))
    run = Run(seconds=timings[0], again=timings[1])
    best: dict[Path, int] = {}
    for path in work.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue
        coding = VARIANT_SUFFIXES.get(path.suffix)
        source = path.with_suffix("")
        if coding is None or not source.is_file():
            best.setdefault(path, path.stat().st_size)
            continue
        size = path.stat().st_size
        run.variants += 1
        run.sizes[coding] = run.sizes.get(coding, 0) + size
        best[source] = min(best.get(source, size), size, source.stat().st_size)
    run.smallest = sum(best.values())
    return run


def human(size: int) -> str:
    """Bytes in KiB with thousands separators, for the table."""
    return f"{size / 1024:,.0f} KiB"


def main(argv: list[str] | None = None) -> int:
    """Run every tool on the tree and print the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="folder to compress (default: see above)")
    parser.add_argument("--copies", type=int, default=1, help="copies of the tree side by side")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best counts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compress-bench-") as temporary:
        scratch = Path(temporary)
        tree, label = (args.tree, str(args.tree)) if args.tree else default_tree(scratch)
        files = [p for p in tree.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files) * args.copies
        print(
            f"Tree: {label}, ×{args.copies}: {len(files) * args.copies} files, {human(total)}. "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores; best of {args.repeat}.\n"
        )
        print(
            "| tool | settings | variants | br | gzip | zstd | smallest per file | seconds "
            "| again, unchanged |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        # Round-robin, so that a burst of load elsewhere on the machine hits every tool alike.
        results: dict[str, list[Run]] = {name: [] for name in TOOLS}
        for _ in range(args.repeat):
            for name, (_, setup) in TOOLS.items():
                results[name].append(measure(tree, args.copies, scratch, setup))
        for name, (settings, _) in TOOLS.items():
            runs = results[name]
            if runs[0].error:
                print(f"| {name} | {settings} | not run: {runs[0].error} | | | | | | |")
                continue
            last = runs[-1]
            cells = [human(last.sizes[c]) if c in last.sizes else "–" for c in CODINGS]
            seconds = min(run.seconds for run in runs)
            again = min(run.again for run in runs)
            print(
                f"| {name} | {settings} | {last.variants} | {' | '.join(cells)} | "
                f"{human(last.smallest)} | {seconds:.2f} | {again:.2f} |"
            )
        print(
            "\nsmallest per file: the files as a client accepting every coding downloads them "
            "(each file's smallest variant, or the file itself)."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
