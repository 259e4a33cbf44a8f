"""WhiteNoise in front of the WSGI wrapped app: ``wsgi_app`` natively (granian's WSGI
interface), ``app`` through a2wsgi's WSGIMiddleware for ASGI servers (uvicorn)."""

from __future__ import annotations

import os

from a2wsgi import WSGIMiddleware
from inner_app import wsgi_app as inner
from whitenoise import WhiteNoise

wsgi_app = WhiteNoise(inner, root=os.environ["BENCH_ROOT"], index_file=True)
app = WSGIMiddleware(wsgi_app)
