"""``python -m ferrostatic`` is the ``ferrostatic`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
