"""The ``ferrostatic`` command line (also ``python -m ferrostatic``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import ConfigError

__all__ = ["main"]

DEMO_SITE = Path(__file__).resolve().parent / "demo"

SERVE_EXAMPLES = """\
examples:
  ferrostatic serve                  serve the built-in demo site on http://127.0.0.1:8000
  ferrostatic serve dist/            serve a build folder
  ferrostatic serve public --port 9000 --host 127.0.0.1
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for a usage or configuration error)."""
    parser = argparse.ArgumentParser(
        prog="ferrostatic", description="Static files for ASGI and WSGI apps."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve a directory over HTTP",
        description="Serve a directory (the built-in demo site when none is given) with uvicorn.",
        epilog=SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("directory", nargs="?", type=Path, help="folder to serve (default: demo)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    args = parser.parse_args(argv)
    return _serve(args.directory, args.host, args.port)


def _serve(directory: Path | None, host: str, port: int) -> int:
    try:
        import uvicorn
    except ImportError:
        print("ferrostatic serve needs uvicorn: pip install 'ferrostatic[serve]'", file=sys.stderr)
        return 2
    from . import Ferrostatic, backend

    try:
        app = Ferrostatic(directory=directory or DEMO_SITE)
    except ConfigError as error:
        print(f"ferrostatic: {error}", file=sys.stderr)
        return 2
    shown = "the demo site" if directory is None else str(app.config.directory)
    print(
        f"ferrostatic: serving {shown} ({app.index.file_count} "
        f"file{'' if app.index.file_count == 1 else 's'}, {backend} router) "
        f"on http://{host}:{port}/",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
