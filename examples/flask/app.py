"""A Flask app whose static files ferrostatic serves, in front of Flask.

    pip install flask gunicorn ferrostatic
    gunicorn --chdir examples/flask app:app

Flask's own static route is turned off (``static_folder=None``): every file under
``/static/`` is answered by ferrostatic, with ETags, ranges, pre-compressed variants and cache
headers; every other request reaches Flask untouched.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ferrostatic import FerrostaticWSGI

HERE = Path(__file__).resolve().parent

app = Flask(__name__, static_folder=None)


@app.get("/")
def home() -> str:
    """A page that uses the static files."""
    return (
        "<!doctype html><title>ferrostatic + Flask</title>"
        '<link rel="stylesheet" href="/static/style.css">'
        "<h1>Hello from Flask</h1>"
        '<script src="/static/app.js"></script>'
    )


@app.get("/api/time")
def api_time() -> dict[str, str]:
    """A dynamic route next to the static files."""
    from datetime import datetime, timezone

    return {"now": datetime.now(timezone.utc).isoformat()}


# Wrap the WSGI callable (not the Flask object) so that Flask's own helpers keep working.
app.wsgi_app = FerrostaticWSGI(  # type: ignore[method-assign]
    app.wsgi_app, directory=HERE / "static", prefix="/static/"
)
