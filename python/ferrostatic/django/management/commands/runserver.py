"""``runserver`` with the static files served by ``FerrostaticMiddleware``, not Django's handler.

Django's development handler (``django.contrib.staticfiles``) serves files with its own rules;
turning it off by default means development sees the headers, ranges, ETags and compressed
variants production will send. ``--nostatic`` is still accepted (it is the default now).
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticFilesRunserver,
)


class Command(StaticFilesRunserver):
    help = (
        "Starts a lightweight web server for development. Static files are served by "
        "ferrostatic's middleware, as in production."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(use_static_handler=False)
