"""Static files storages that compress during ``collectstatic``, with ferrostatic's codecs.

    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "ferrostatic.django.storage.CompressedManifestStaticFilesStorage",
        },
    }

Each collected file worth compressing gets ``.br``, ``.zst`` and ``.gz`` siblings (the same
codecs and rules as ``ferrostatic compress``; ``FERROSTATIC_COMPRESS_FORMATS`` picks fewer),
which the server sends to clients that accept them. Variants already up to date are not made
again, so a second ``collectstatic`` is quick.

``CompressedManifestStaticFilesStorage`` is Django's ``ManifestStaticFilesStorage`` plus:

- ``FERROSTATIC_KEEP_ONLY_HASHED_FILES = True`` deletes the unhashed copies once the hashed
  ones are written (templates use the hashed names; nothing else should).
- A reference to a file that is not among the static files (typically a ``sourceMappingURL``
  whose ``.map`` was not shipped) fails with an error naming the file that refers to it;
  ``FERROSTATIC_MANIFEST_STRICT = False`` leaves such references as they are, with a warning.

The manifest also tells the server exactly which names are hashed (cached for a year).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage, StaticFilesStorage

from .conf import flag

__all__ = ["CompressedManifestStaticFilesStorage", "CompressedStaticFilesStorage"]

logger = logging.getLogger("ferrostatic")


class CompressMixin:
    """Compress what ``collectstatic`` collected, after any other post-processing."""

    def post_process(self, paths: dict[str, Any], dry_run: bool = False, **options: Any) -> Any:
        """Yield what the parent storage's post-processing yields, then compress the results
        (an error naming the files that could not be compressed is yielded last)."""
        parent = getattr(super(), "post_process", None)
        if parent is not None:
            yield from parent(paths, dry_run=dry_run, **options)
        if dry_run:
            return
        error = self._compress(self.names_to_compress(paths))
        if error is not None:
            yield "(compression)", None, error

    def names_to_compress(self, paths: dict[str, Any]) -> list[str]:
        """The names, relative to STATIC_ROOT, of the files the server will serve."""
        return list(paths)

    def _compress(self, names: list[str]) -> Exception | None:
        from ..compress import FORMATS, compress_files

        formats = getattr(settings, "FERROSTATIC_COMPRESS_FORMATS", FORMATS)
        path: Callable[[str], str] = self.path  # type: ignore[attr-defined]
        summary = compress_files([path(name) for name in names], formats=formats)
        logger.info(
            "ferrostatic: %d files, %d variants written, %d up to date or not worth it",
            summary.files,
            summary.variants_written,
            summary.variants_skipped,
        )
        if summary.errors:
            return RuntimeError("ferrostatic could not compress: " + "; ".join(summary.errors))
        return None


class CompressedStaticFilesStorage(CompressMixin, StaticFilesStorage):
    """Django's ``StaticFilesStorage``, with compressed variants written by ``collectstatic``."""


class CompressedManifestStaticFilesStorage(  # type: ignore[misc]  # the stubs' bases disagree
    CompressMixin, ManifestStaticFilesStorage
):
    """Django's ``ManifestStaticFilesStorage`` (hashed names), with compressed variants, an
    option to keep only the hashed files, and a clear error for a missing referenced file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._warned: set[tuple[str, str]] = set()

    def names_to_compress(self, paths: dict[str, Any]) -> list[str]:
        """The hashed names, and the unhashed ones unless they were just deleted."""
        hashed = {self.hashed_files.get(self.hash_key(self.clean_name(n))) for n in paths}
        hashed.discard(None)
        names: list[str] = sorted(name for name in hashed if isinstance(name, str))
        if flag(settings, "FERROSTATIC_KEEP_ONLY_HASHED_FILES", False):
            self._delete_unhashed(paths)
        else:
            names += [name for name in paths if name not in hashed]
        return names

    def _delete_unhashed(self, paths: dict[str, Any]) -> None:
        from ..compress import SUFFIXES

        for name in paths:
            hashed_name = self.hashed_files.get(self.hash_key(self.clean_name(name)))
            if hashed_name is None or hashed_name == name:
                continue
            for stale in (name, *(name + suffix for suffix in SUFFIXES.values())):
                if self.exists(stale):
                    self.delete(stale)

    def url_converter(
        self, name: str, hashed_files: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Callable[[re.Match[str]], str]:
        """Django's converter, with a missing target named together with ``name``."""
        convert: Callable[[re.Match[str]], str] = super().url_converter(
            name, hashed_files, *args, **kwargs
        )
        strict = flag(settings, "FERROSTATIC_MANIFEST_STRICT", True)

        def converter(match: re.Match[str]) -> str:
            try:
                return convert(match)
            except ValueError as error:
                url = match.group("url")
                if strict:
                    raise ValueError(
                        f"{name!r} refers to {url!r}, which is not among the static files "
                        f"({error}). Ship the file, fix the reference, or set "
                        "FERROSTATIC_MANIFEST_STRICT = False to leave such references as "
                        "they are."
                    ) from error
                if (name, url) not in self._warned:
                    self._warned.add((name, url))
                    logger.warning(
                        "ferrostatic: %r refers to %r, which is not among the static files; "
                        "the reference is left as it is",
                        name,
                        url,
                    )
                return match.group("matched")

        return converter
