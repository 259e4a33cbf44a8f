"""Start-up cost: the time and memory it takes an app to index a tree of many small files.

Run as ``python -m harness.startup APP ROOT`` in a fresh interpreter per measurement. The
library is imported first; then the resident set is read (``VmRSS``), the app built over
``ROOT`` and timed, and the resident set read again (a garbage collection before each read).
Prints one JSON object: seconds, the two RSS figures, and the growth per file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

APPS = Path(__file__).resolve().parents[1] / "apps"


def _ferrostatic(**options: Any) -> Callable[[str], object]:
    from inner_app import app as inner

    from ferrostatic import Ferrostatic

    return lambda root: Ferrostatic(inner, directory=root, **options)


def _whitenoise() -> Callable[[str], object]:
    from inner_app import wsgi_app
    from whitenoise import WhiteNoise

    return lambda root: WhiteNoise(wsgi_app, root=root)


def _servestatic() -> Callable[[str], object]:
    from inner_app import app as inner
    from servestatic import ServeStaticASGI

    return lambda root: ServeStaticASGI(inner, root=root)


# name -> what imports the library and returns the constructor
BUILDERS: dict[str, Callable[[], Callable[[str], object]]] = {
    "ferrostatic-rust": _ferrostatic,
    "ferrostatic-python": _ferrostatic,
    "whitenoise": _whitenoise,
    "servestatic": _servestatic,
}


def rss_kib() -> int:
    """This process's resident set, KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def count_files(root: Path) -> int:
    """Regular files under ``root``."""
    return sum(len(files) for _, _, files in os.walk(root))


def measure(name: str, root: Path) -> dict[str, Any]:
    """Import, read RSS, build and time, read RSS again."""
    sys.path.insert(0, str(APPS))
    build = BUILDERS[name]()
    gc.collect()
    before = rss_kib()
    started = time.perf_counter()
    app = build(str(root))
    seconds = time.perf_counter() - started
    gc.collect()
    after = rss_kib()
    files = count_files(root)
    del app
    return {
        "seconds": seconds,
        "rss_imported_kib": before,
        "rss_built_kib": after,
        "files": files,
        "bytes_per_file": (after - before) * 1024 / files,
    }


def main() -> None:
    """``python -m harness.startup APP ROOT``: print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=sorted(BUILDERS))
    parser.add_argument("root", type=Path)
    args = parser.parse_args()
    print(json.dumps(measure(args.app, args.root)))


if __name__ == "__main__":
    main()
