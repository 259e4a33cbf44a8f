"""ferrostatic: static files for ASGI and WSGI apps, with exact HTTP semantics.

``Ferrostatic(directory="static")`` is an ASGI app; ``Ferrostatic(app, directory="static")``
serves the files in front of any ASGI app and hands it everything else. ``FerrostaticWSGI`` is
the same for WSGI; ``ferrostatic.django`` integrates with Django.
"""

from __future__ import annotations

from ._backend import BACKEND as backend
from ._observe import RequestInfo
from .asgi import Ferrostatic
from .config import DEFAULT_IMMUTABLE_PATTERN, ConfigError
from .wsgi import FerrostaticWSGI

__all__ = [
    "DEFAULT_IMMUTABLE_PATTERN",
    "ConfigError",
    "Ferrostatic",
    "FerrostaticWSGI",
    "RequestInfo",
    "__version__",
    "backend",
]

try:
    from importlib.metadata import version as _version

    __version__ = _version("ferrostatic")
except Exception:  # not installed (running from a source tree)
    __version__ = "0.0.0"
