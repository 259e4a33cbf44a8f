#!/usr/bin/env python3
"""Set up a development environment and serve, or test (the README's two commands).

    python3 dev.py serve [DIR]    set up, then serve DIR (or the demo site) on 127.0.0.1:8000
    python3 dev.py test           set up, then run every check CI runs

Setting up means: a virtualenv in ``.venv`` (created once), ferrostatic installed into it in
editable mode with the compiled core built by maturin (rebuilt every time, incrementally).
Needs Python >= 3.10 and a Rust toolchain (cargo) on PATH; nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    """Run a command from the repository root; stop with its exit code if it fails."""
    printable = " ".join(str(part) for part in command)
    print(f"\n$ {printable}", flush=True)
    started = time.monotonic()
    result = subprocess.run([str(part) for part in command], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        print(f"\nFAILED ({result.returncode}): {printable}", file=sys.stderr)
        raise SystemExit(result.returncode)
    print(f"  ok in {time.monotonic() - started:.1f}s", flush=True)


def set_up(extras: str) -> None:
    """Create the virtualenv if needed and (re)install ferrostatic with the given extras."""
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py itself may run on an older Python
        raise SystemExit("ferrostatic needs Python >= 3.10")
    if shutil.which("cargo") is None:
        raise SystemExit("cargo not found: install a Rust toolchain (https://rustup.rs) first")
    if not PYTHON.exists():
        print(f"creating a virtualenv in {VENV.name}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "maturin>=1.7,<2")
    # No build isolation: the venv's maturin builds the core, and cargo reuses target/.
    run(PYTHON, "-m", "pip", "install", "--quiet", "--no-build-isolation", "-e", f".[{extras}]")


def serve(arguments: list[str]) -> None:
    """Set up, then hand over to ``ferrostatic serve`` in the virtualenv."""
    set_up("serve")
    command = [str(PYTHON), "-m", "ferrostatic", "serve", *arguments]
    print(f"\n$ {' '.join(command)}", flush=True)
    os.execv(command[0], command)


def test() -> None:
    """Set up, then run the linters, type checks, Rust tests and the whole pytest suite."""
    set_up("dev")
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")
    run(PYTHON, "-m", "mypy")
    run(PYTHON, "-m", "mypy.stubtest", "ferrostatic._core", "--allowlist", ".stubtest-allowlist")
    run(PYTHON, "scripts/generate_media_types.py", "--check")
    run("cargo", "fmt", "--all", "--check")
    run("cargo", "clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings")
    run("cargo", "test", "--workspace", "--locked")
    env = dict(os.environ, FERROSTATIC_BACKEND="rust")
    if os.environ.get("CI"):
        env.setdefault("HYPOTHESIS_PROFILE", "slow")
    # The compiled core must be the one in use, and both routers are tested side by side.
    run(PYTHON, "-c", "import ferrostatic; assert ferrostatic.backend == 'rust'", env=env)
    run(PYTHON, "-m", "pytest", "-W", "error", "-p", "no:cacheprovider", env=env)
    django_matrix(env)


# The Django tests run on two Django versions: the one in .venv (5.2 LTS on Python 3.11; the
# latest on 3.12+) and the other one in a second virtualenv. That one gets no build of its own:
# the compiled core (abi3) is imported from python/, where the editable install put it.
def django_matrix(env: dict[str, str]) -> None:
    """Run tests/django again on the Django version .venv does not have."""
    probe = "import django; print(django.VERSION[0])"
    lts = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True).stdout.strip()
    wanted, name = ("django>=6,<7", "django6") if lts == "5" else ("django>=5.2,<5.3", "django52")
    python = _python_for(3, 12) if name == "django6" else sys.executable
    if python is None:
        print(f"\nSKIPPED: {wanted} needs Python >= 3.12, and none was found", flush=True)
        return
    other = ROOT / f".venv-{name}"
    other_python = other / ("Scripts" if os.name == "nt" else "bin") / PYTHON.name
    if not other_python.exists():
        run(python, "-m", "venv", other)
    packages = [wanted, "gunicorn", "uvicorn", "pytest>=8", "hypothesis>=6.100"]
    run(other_python, "-m", "pip", "install", "--quiet", *packages)
    pytest = ["-m", "pytest", "-W", "error", "-p", "no:cacheprovider", "tests/django"]
    run(other_python, *pytest, env=dict(env, PYTHONPATH=str(ROOT / "python")))


def _python_for(major: int, minor: int) -> str | None:
    """An interpreter of at least this version: on PATH, or installed by pyenv."""
    names = [f"python{major}.{n}" for n in range(minor + 3, minor - 1, -1)]
    candidates = [found for found in map(shutil.which, names) if found]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(map(str, pyenv.glob(f"{major}.*/bin/python{major}")), reverse=True)
    check = f"import sys; assert sys.version_info >= ({major}, {minor})"
    for candidate in candidates:
        if subprocess.run([candidate, "-c", check], capture_output=True).returncode == 0:
            return candidate
    return None


def main() -> None:
    """Dispatch ``serve`` or ``test``."""
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test"):
        raise SystemExit(__doc__)
    if sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        test()


if __name__ == "__main__":
    main()
