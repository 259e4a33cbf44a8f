#!/usr/bin/env python3
"""Benchmark ferrostatic against its peers and against the constant-body ceiling.

    python3 benchmarks/run.py            the full run (about 30 minutes); writes docs/benchmarks.md
    python3 benchmarks/run.py --smoke    the CI subset (under 3 minutes); writes .work/smoke.md and
                                         exits non-zero if a ferrostatic cell fails its checks

It sets itself up first: wrk and nginx from apt-get when missing (as root), a virtualenv in
``benchmarks/.venv`` holding the peers and ferrostatic built from this checkout (release mode),
then runs again inside it. Fixtures, logs and raw results go to ``benchmarks/.work/``. Every
server listens on 127.0.0.1 only and every load is bounded in time or request count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV = BENCH / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
WORK = BENCH / ".work"
APT_PACKAGES = {"wrk": "wrk", "nginx": "nginx-light", "taskset": "util-linux"}


def _run(command: list[str], **kwargs: object) -> None:
    print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
    result = subprocess.run(command, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")


def _has(tool: str) -> bool:
    return shutil.which(tool) is not None or any(
        Path(folder, tool).exists() for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin")
    )


def ensure_tools() -> None:
    """Install wrk and nginx with apt-get if they are missing (needs root)."""
    missing = sorted({package for tool, package in APT_PACKAGES.items() if not _has(tool)})
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"missing {', '.join(missing)}: install them (apt-get) or run as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def ensure_venv() -> None:
    """Create benchmarks/.venv and (re)install ferrostatic[bench] from this checkout into it."""
    if not VENV_PYTHON.exists():
        print(f"creating {VENV.relative_to(REPO)}", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, "maturin>=1.7,<2"])
    # Built by this venv's maturin in the repository's cargo target dir (reused between runs),
    # as an ordinary wheel in release mode: the working tree's own _core is left alone.
    env = dict(os.environ, MATURIN_PEP517_ARGS="--profile release")
    _run([*pip, "--no-build-isolation", f"{REPO}[bench]"], env=env, cwd=REPO)


def in_venv() -> bool:
    """Whether this interpreter is benchmarks/.venv's."""
    return Path(sys.prefix).resolve() == VENV.resolve()


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="the short CI subset")
    parser.add_argument("--only", default="", help="only targets whose server/app contains this")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each load cell")
    parser.add_argument(
        "--sections",
        default="load,micro,startup,memory,profile",
        help="comma-separated subset of load,micro,startup,memory,profile",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from the last results"
    )
    parser.add_argument("--no-setup", action="store_true", help="skip apt-get and pip")
    return parser.parse_args()


def main() -> None:
    """Set up, then run inside the benchmark's virtualenv."""
    args = parse_args()
    if not in_venv():
        started = time.monotonic()
        if not args.no_setup:
            ensure_tools()
            ensure_venv()
        print(f"set-up took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        env = dict(os.environ, BENCH_SETUP_SECONDS=f"{time.monotonic() - started:.1f}")
        command = [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]]
        os.execve(command[0], command, env)
    sys.path.insert(0, str(BENCH))
    from harness.main import run  # importable only inside the virtualenv

    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
