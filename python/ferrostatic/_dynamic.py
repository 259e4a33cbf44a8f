"""Files that are not in the start-up index: ``autorefresh`` and ``path_resolver``.

``autorefresh=True`` re-checks the disk when a request misses: the URL is mapped to a path
under each directory served (the same candidates as the index: the file, the folder's index
file, the ``.html`` of a clean URL) and the file, if it exists now, is described and served.
Files that changed or vanished since start-up are already caught for every request by the
size-and-mtime check of the adapters. Re-checking on a miss was chosen over watching the
filesystem because it needs no dependency and no thread, works where change notifications do
not arrive (network filesystems, some container bind mounts, editors that replace files), and
costs a few ``stat`` calls on misses only — a cost for development, which is what it is for.

``path_resolver(url_path)`` is asked for URLs still missing; what it returns is served only if
its real path (symlinks resolved) lies in one of ``path_resolver_roots``.

Both follow the index's rules: no ``.``/``..``/empty segments, no hidden names unless
``allow_hidden``, no symlink leading out of the root unless ``follow_symlinks_outside``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ._index import _NEVER_SERVED, _is_hidden, has_surrogates, inside, reindex_file
from ._types import Resource
from .config import Config

if TYPE_CHECKING:
    from ._pure import Decision, Router

__all__ = ["DiskLookup"]

logger = logging.getLogger("ferrostatic")

Header = tuple[bytes, bytes]

_REMEMBERED = 4096


class DiskLookup:
    """Finds, on disk, the files of URLs the index does not have."""

    def __init__(
        self,
        config: Config,
        roots: Callable[[], Iterable[Config]],
        router_class: type[Router],
        year: int,
        standalone: bool,
    ) -> None:
        """``roots`` gives the options of each directory served, in lookup order."""
        self._config = config
        self._roots = roots
        self._router_class = router_class
        self._year = year
        self._standalone = standalone
        self._routers: dict[str, Router] = {}
        self._resolved: dict[str, tuple[Config, str, str]] = {}
        self._lock = threading.Lock()

    def find(
        self, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """The decision for a file found on disk for ``path`` now; None if there is none."""
        router = self._routers.get(path)
        if router is not None:
            decision = router.resolve(method, path, query, headers)
            if decision is None or decision.file is None or os.path.exists(decision.file):
                return decision  # a changed file is described again by the adapter (refresh)
            # Its file is gone: look again, for another candidate or a new resolver answer.
            with self._lock:
                if self._routers.get(path) is router:
                    del self._routers[path]
        router = self._router_for(path)
        if router is None:
            return None
        return router.resolve(method, path, query, headers)

    def forget(self) -> None:
        """Drop what was found so far (the roots changed)."""
        with self._lock:
            self._routers.clear()
            self._resolved.clear()

    def owner(self, file: str) -> tuple[Config, str, str] | None:
        """How to describe again a file ``path_resolver`` found: options, rel path, URL."""
        return self._resolved.get(file)

    def _router_for(self, path: str) -> Router | None:
        found = None
        if self._config.autorefresh:
            found = self._in_roots(path)
        if found is None and self._config.path_resolver is not None:
            found = self._from_resolver(path)
        if found is None:
            return None
        router = self._router_class(
            [found], (), standalone=self._standalone, current_year=self._year
        )
        with self._lock:
            if len(self._routers) >= _REMEMBERED:
                self._routers.clear()
            self._routers[path] = router
        return router

    def _in_roots(self, path: str) -> Resource | None:
        for config in self._roots():
            # Only ``directories`` given: the main mount's folder is a placeholder (the working
            # directory), never a root to look in.
            if not config.serve_directory or not path.startswith(config.prefix):
                continue
            rel = path[len(config.prefix) :]
            for candidate in _candidates(config, rel):
                if not _servable(config, candidate):
                    continue
                resource = reindex_file(config, candidate)
                if resource is not None and path in resource.urls:
                    return resource
        return None

    def _from_resolver(self, path: str) -> Resource | None:
        resolver = self._config.path_resolver
        assert resolver is not None
        try:
            answer = resolver(path)
        except Exception:
            logger.warning("ferrostatic: path_resolver failed for %r", path, exc_info=True)
            return None
        if answer is None:
            return None
        try:
            real = os.path.realpath(os.fsdecode(answer))
        except (TypeError, ValueError):  # not a path, or a NUL in it: a miss, never a 500
            logger.warning(
                "ferrostatic: path_resolver returned %r for %r, which is not a file path",
                answer,
                path,
            )
            return None
        root = next((r for r in self._config.path_resolver_roots if inside(real, str(r))), None)
        if root is None:
            logger.warning(
                "ferrostatic: not serving %r for %r: it is outside path_resolver_roots",
                real,
                path,
            )
            return None
        rel = os.path.relpath(real, root).replace(os.sep, "/")
        config = dataclasses.replace(self._config, directory=Path(root), prefix="/")
        if not _servable(config, rel):
            return None
        resource = reindex_file(config, rel, url=path)
        if resource is not None:
            with self._lock:
                self._resolved[real] = (config, rel, path)
        return resource


def _candidates(config: Config, rel: str) -> list[str]:
    """The relative paths the index would serve ``rel`` from."""
    if rel == "" or rel.endswith("/"):
        return [rel + config.index_file] if config.index_file is not None else []
    found = [rel]
    if config.html_extension_fallback:
        found.append(rel + ".html")
    return found


def _servable(config: Config, rel: str) -> bool:
    """The index's naming rules for a relative path (symlinks are checked when described)."""
    if "\x00" in rel or "\\" in rel or has_surrogates(rel):
        return False
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts) or parts[-1] in _NEVER_SERVED:
        return False
    if config.allow_hidden:
        return True
    return not any(_is_hidden(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts))
