"""Starlette's StaticFiles, standalone (it cannot pass misses to another app)."""

from __future__ import annotations

import os

from starlette.staticfiles import StaticFiles

app = StaticFiles(directory=os.environ["BENCH_ROOT"], html=True)
