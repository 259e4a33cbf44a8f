"""ferrostatic in front of the wrapped app; ``FERROSTATIC_BACKEND`` picks the router."""

from __future__ import annotations

import os

from inner_app import app as inner

import ferrostatic
from ferrostatic import Ferrostatic

_wanted = os.environ.get("FERROSTATIC_BACKEND", "auto")
if _wanted != "auto" and ferrostatic.backend != _wanted:
    raise RuntimeError(f"FERROSTATIC_BACKEND={_wanted} but the {ferrostatic.backend} router runs")

app = Ferrostatic(inner, directory=os.environ["BENCH_ROOT"])
