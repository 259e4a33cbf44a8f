"""Which router runs: the compiled core, or the pure-Python twin.

``FERROSTATIC_BACKEND`` chooses: ``rust`` demands the compiled core (and fails loudly without
it), ``python`` forces the twin, unset or ``auto`` prefers the core and falls back quietly.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from . import _pure

if TYPE_CHECKING:
    from ._pure import Router as RouterType
else:
    RouterType = object

__all__ = ["BACKEND", "Router"]

_CHOICES: Final = ("auto", "rust", "python")


def _choose() -> tuple[str, type[RouterType]]:
    wanted = os.environ.get("FERROSTATIC_BACKEND", "auto").strip().lower() or "auto"
    if wanted not in _CHOICES:
        raise ImportError(
            f"FERROSTATIC_BACKEND={wanted!r} is not one of {', '.join(_CHOICES)}; "
            "unset it to use the compiled core when it is available"
        )
    if wanted == "python":
        return "python", _pure.Router
    try:
        from ._core import Router as CompiledRouter
    except ImportError as error:
        if wanted == "rust":
            raise ImportError(
                "FERROSTATIC_BACKEND=rust, but the compiled core ferrostatic._core cannot be "
                f"imported ({error}); install a wheel for this platform or build from source "
                "with a Rust toolchain (pip install .)"
            ) from error
        return "python", _pure.Router
    return "rust", CompiledRouter  # type: ignore[return-value]


BACKEND, Router = _choose()
