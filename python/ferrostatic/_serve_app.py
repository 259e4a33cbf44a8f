"""The app ``ferrostatic serve`` runs in each server worker.

Servers start several workers from an import string, not from an app object, so the command
line puts the validated options in ``FERROSTATIC_SERVE_OPTIONS`` (JSON) before starting the
server, and each worker builds its own ``Ferrostatic`` from them with ``create_app``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .asgi import Ferrostatic

__all__ = ["ENVIRONMENT_VARIABLE", "TARGET", "create_app"]

ENVIRONMENT_VARIABLE = "FERROSTATIC_SERVE_OPTIONS"
TARGET = "ferrostatic._serve_app:create_app"


def create_app() -> Ferrostatic:
    """A standalone ``Ferrostatic`` built from the options in ``FERROSTATIC_SERVE_OPTIONS``."""
    try:
        options: dict[str, Any] = json.loads(os.environ[ENVIRONMENT_VARIABLE])
    except KeyError:
        raise RuntimeError(
            f"{ENVIRONMENT_VARIABLE} is not set: this factory is started by `ferrostatic serve`"
        ) from None
    return Ferrostatic(**options)
