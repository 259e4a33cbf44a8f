"""whitesnout in front of the wrapped app, its request log off (as every other app's is)."""

from __future__ import annotations

import os

from inner_app import app as inner
from whitesnout import WhiteSnout

app = WhiteSnout(inner, directory=os.environ["BENCH_ROOT"], log_level=None)  # type: ignore[arg-type]
