"""ServeStatic's ASGI app in front of the wrapped app, serving index.html for ``/``."""

from __future__ import annotations

import os

from inner_app import app as inner
from servestatic import ServeStaticASGI

app = ServeStaticASGI(inner, root=os.environ["BENCH_ROOT"], index_file=True)
