"""What every adapter (ASGI, WSGI, Django) shares: options, index, router, changed files.

An adapter builds one ``StaticFiles``, calls ``resolve`` once per request, and sends the
``Decision``. For a decision about a file on disk (``decision.file`` set) it first checks the
file with ``unchanged`` and, when that fails, asks ``refresh`` (in a worker thread if it has an
event loop) for a decision about the file as it is now.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from . import _backend
from ._autocompress import AutoCompressor, candidates
from ._cors import FILE_STATUSES, Cors, header_value
from ._dynamic import DiskLookup
from ._errors import with_error_body
from ._index import Index, reindex_file, return_free_memory
from ._mounts import (
    Mount,
    chained,
    checked_files,
    directory_mount,
    file_owner,
    files_mount,
    main_mount,
)
from ._observe import Hooks
from ._pure import Decision, Router
from ._spa import SpaFallback
from .config import Config, ConfigError

__all__ = [
    "INLINE_READ_MAX",
    "Roots",
    "StaticFiles",
    "body_length",
    "open_unchanged",
    "read_at",
    "read_small_body",
    "read_to_hold",
    "unchanged",
]

Header = tuple[bytes, bytes]
Resolve = Callable[[str, str, bytes, Iterable[Header]], "Decision | None"]


class StaticFiles:
    """The validated options, the roots and their routers, and the request pipeline."""

    def __init__(self, options: Mapping[str, Any], *, standalone: bool) -> None:
        """Validate ``options`` (raising ``ConfigError``), index the directories, build the
        routers.

        ``standalone`` routers answer misses (404) and other methods (405) themselves;
        otherwise they leave them to the wrapped app.
        """
        self.config: Config = Config.from_options(options)
        config = self.config
        self.standalone = standalone
        self.year = time.gmtime().tm_year
        self.router_class: type[Router] = _backend.Router
        main = main_mount(config, self.router_class, standalone, self.year)
        self.index: Index = main.index
        self.router: Router = main.router
        self.autocompressor: AutoCompressor | None = None
        if config.autocompress and config.serve_directory:
            found = candidates(
                self.index.resources, config.autocompress_max_size, str(config.directory)
            )
            self.autocompressor = AutoCompressor(self, found)
            main = dataclasses.replace(main, resolve=self.autocompressor.resolve)
        # The routers hold what they need; the descriptions would double the memory per file.
        self.index.resources.clear()
        self.index.redirects.clear()
        self._main = main
        self._files: Mount | None = None
        self._directories: dict[str, Mount] = {}
        for prefix, folder in config.directories if config.enabled else ():
            self._directories[prefix] = directory_mount(
                config, prefix, folder, self.router_class, self.year
            )
        self._mounts: tuple[Mount, ...] = ()
        self._changing = threading.Lock()
        self._refreshed: dict[str, tuple[Router, str]] = {}
        self._refreshing = threading.Lock()
        # Disabled (enabled=False), the app is a pure pass-through: no option adds anything.
        self.cors = (
            Cors(config.cors_allow_origins, config.cors_max_age)
            if config.cors_allow_origins and config.enabled
            else None
        )
        self.spa = (
            SpaFallback(config, self.router_class, self.year)
            if config.spa_fallback and config.enabled
            else None
        )
        self.spa_after_app = (
            self.spa is not None and not standalone and config.spa_fallback_app_first
        )
        self.disk = (
            DiskLookup(config, self._roots, self.router_class, self.year, standalone)
            if config.enabled and (config.autorefresh or config.path_resolver is not None)
            else None
        )
        self.hooks = Hooks(config.on_request) if config.on_request and config.enabled else None
        self.resolve: Resolve = main.resolve
        """``resolve(method, path, query, headers) -> Decision | None``: one call a request.
        Replaced as a whole when a root is added or removed."""
        self._lookup: Resolve = main.resolve
        self._rebuild()
        return_free_memory()

    # --- Roots ------------------------------------------------------------------------------

    def add_directory(self, prefix: str, directory: str | os.PathLike[str]) -> None:
        """Serve ``directory`` under ``prefix`` (indexed now, on this thread)."""
        mount = directory_mount(self.config, prefix, directory, self.router_class, self.year)
        with self._changing:
            self._directories[mount.config.prefix] = mount
            self._rebuild()

    def remove_directory(self, prefix: str) -> None:
        """Stop serving the directory added under ``prefix``."""
        if not isinstance(prefix, str):
            raise ConfigError(f"remove_directory: expected a URL path prefix, got {prefix!r}")
        key = prefix if prefix.endswith("/") else prefix + "/"
        with self._changing:
            if self._directories.pop(key, None) is None:
                raise ConfigError(f"remove_directory: no directory is served under {prefix!r}")
            self._rebuild()

    def add_files(self, files: Mapping[str, str | os.PathLike[str]]) -> None:
        """Serve each file under its URL: ``{"/robots.txt": "deploy/robots.txt"}``."""
        checked = checked_files(files)
        with self._changing:
            merged = {**(self._files.files if self._files else {}), **checked}
            self._files = files_mount(self.config, merged, self.router_class, self.year)
            self._rebuild()

    def remove_files(self, urls: Iterable[str]) -> None:
        """Stop serving the files added under ``urls``."""
        urls = [urls] if isinstance(urls, str) else list(urls)
        with self._changing:
            current = dict(self._files.files) if self._files else {}
            missing = [url for url in urls if url not in current]
            if missing:
                raise ConfigError(f"remove_files: no file is served under {missing[0]!r}")
            for url in dict.fromkeys(urls):
                del current[url]
            self._files = (
                files_mount(self.config, current, self.router_class, self.year) if current else None
            )
            self._rebuild()

    def _roots(self) -> list[Config]:
        return [mount.config for mount in self._mounts if not mount.files]

    def _rebuild(self) -> None:
        """Put the mounts in lookup order and compose the pipeline (see ``_mounts``)."""
        if self.disk is not None:
            self.disk.forget()  # what it found may belong to a root that is gone
        mounts = [*([self._files] if self._files else []), *self._directories.values()]
        mounts.sort(key=lambda mount: (bool(mount.files) is False, -len(mount.config.prefix)))
        self._mounts = (*mounts, self._main)
        lookup = self._main.resolve if not mounts else chained(self._mounts, self.standalone)
        self._lookup = lookup
        extra = (
            self.cors
            or self.disk
            or (self.config.error_bodies and self.config.enabled)
            or (self.spa is not None and not self.spa_after_app)
        )
        self.resolve = self._pipeline if extra else lookup
        # Every URL the mounts can answer starts with this; a WSGI middleware hands anything
        # else to the app at once.
        self.under = (
            self.config.prefix.rstrip("/")
            if not mounts and not extra and not self.config.health_check_path
            else ""
        )

    # --- The request pipeline ---------------------------------------------------------------

    def _pipeline(
        self, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """The lookup, then what the options add: preflights, files found on disk, the SPA
        page, custom error bodies, CORS headers."""
        if self.cors is not None and method == "OPTIONS":
            preflight = self._preflight(path, headers)
            if preflight is not None:
                return preflight
        decision = self._lookup(method, path, query, headers)
        if decision is None or decision.status == 404:
            if self.disk is not None:
                decision = self.disk.find(method, path, query, headers) or decision
            if (
                (decision is None or decision.status == 404)
                and self.spa is not None
                and not self.spa_after_app
                and self.spa.applies(method, path, headers)
            ):
                decision = self.spa.resolve(method, path, query, headers)
        return None if decision is None else self.finish(decision, method, headers)

    def _preflight(self, path: str, headers: Iterable[Header]) -> Decision | None:
        assert self.cors is not None
        headers = list(headers)
        if not self.cors.allowed(header_value(headers, b"origin")):
            return None
        probe = self._lookup("HEAD", path, b"", ())
        if (probe is None or probe.status == 404) and self.disk is not None:
            probe = self.disk.find("HEAD", path, b"", ())
        if probe is None or probe.status not in FILE_STATUSES:  # a miss, a redirect
            return None
        return self.cors.preflight(headers)

    def finish(self, decision: Decision, method: str, headers: Iterable[Header]) -> Decision:
        """A decision with the custom error body and the CORS headers the options ask for."""
        error = self.config.error_bodies.get(decision.status)
        if error is not None:
            decision = with_error_body(decision, error, method)
        if self.cors is not None:
            self.cors.decorate(decision, headers)
        return decision

    def spa_page(
        self, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """The SPA page for a navigation the wrapped app answered 404; None otherwise."""
        if self.spa is None or not self.spa.applies(method, path, headers):
            return None
        return self.finish(self.spa.resolve(method, path, query, headers), method, headers)

    def error(self, status: int, method: str, retry_after: bytes | None = None) -> Decision:
        """A response the router did not decide: a file that vanished (404) or keeps changing
        (503), with its custom body if one is configured."""
        body = b"%d %s\n" % (status, b"Not Found" if status == 404 else b"Service Unavailable")
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"%d" % len(body)),
        ]
        if retry_after is not None:
            headers.append((b"retry-after", retry_after))
        decision = Decision(status, headers, b"" if method == "HEAD" else body)
        error = self.config.error_bodies.get(status)
        return decision if error is None else with_error_body(decision, error, method)

    # --- Files that changed after start-up --------------------------------------------------

    def refresh(
        self, decision: Decision, method: str, path: str, query: bytes, headers: Iterable[Header]
    ) -> Decision | None:
        """Decide again about a file that changed or vanished since start-up; None if gone.

        Blocking (it may hash the file): call it off the event loop. The fresh description is
        kept, keyed by file, so later requests for the changed file do not re-read it.
        """
        assert decision.file is not None
        source = decision.file
        if decision.coding not in (None, "identity"):
            source = os.path.splitext(source)[0]
        owner = self._owner(source)
        if owner is None:
            return None
        config, rel, url = owner
        headers = list(headers)
        with self._refreshing:
            cached = self._refreshed.get(source)
            if cached is not None:
                router, known = cached
                fresh = router.resolve(method, known, query, headers)
                if fresh is not None and (fresh.file is None or unchanged(fresh)):
                    return self.finish(fresh, method, headers)
            resource = reindex_file(config, rel, url)
            if resource is None:
                self._refreshed.pop(source, None)
                return self._found_elsewhere(method, path, query, headers)
            if self.spa is not None and source == self.spa.path:
                resource = resource._replace(cache_control=b"no-cache")
            router = self.router_class(
                [resource], (), standalone=self.standalone, current_year=self.year
            )
            # Every URL of the resource gets the same answer; the request's own may not be
            # one of them (the SPA page, a file found by path_resolver).
            known = resource.urls[0]
            self._refreshed[source] = (router, known)
        fresh = router.resolve(method, known, query, headers)
        return None if fresh is None else self.finish(fresh, method, headers)

    def _found_elsewhere(
        self, method: str, path: str, query: bytes, headers: list[Header]
    ) -> Decision | None:
        """For a file that vanished: what the disk offers for the URL now (another candidate,
        with ``autorefresh`` or ``path_resolver``), else None."""
        if self.disk is None:
            return None
        found = self.disk.find(method, path, query, headers)
        return None if found is None else self.finish(found, method, headers)

    def _owner(self, source: str) -> tuple[Config, str, str | None] | None:
        for mount in self._mounts:
            owner = file_owner(mount, source)
            if owner is not None:
                return owner
        if self.spa is not None and source == self.spa.path:
            return self.config, self.spa.file_rel, None
        return self.disk.owner(source) if self.disk is not None else None


class Roots:
    """The run-time root methods of the apps, delegated to their ``StaticFiles``."""

    _files: StaticFiles

    def add_directory(self, prefix: str, directory: str | os.PathLike[str]) -> None:
        """Serve ``directory`` under the URL path ``prefix`` too (indexed now, on this thread;
        see ``ferrostatic._mounts`` for the order in which roots are looked up)."""
        self._files.add_directory(prefix, directory)

    def remove_directory(self, prefix: str) -> None:
        """Stop serving the directory added under ``prefix``."""
        self._files.remove_directory(prefix)

    def add_files(self, files: Mapping[str, str | os.PathLike[str]]) -> None:
        """Serve single files under URLs of their own: ``{"/robots.txt": "robots.prod.txt"}``."""
        self._files.add_files(files)

    def remove_files(self, urls: Iterable[str]) -> None:
        """Stop serving the files added under ``urls``."""
        self._files.remove_files(urls)


def unchanged(decision: Decision) -> bool:
    """Whether the decision's file still has the size and mtime the decision was made with."""
    try:
        st = os.stat(decision.file)  # type: ignore[arg-type]
    except OSError:
        return False
    return st.st_size == decision.size and st.st_mtime_ns == decision.mtime_ns


def open_unchanged(decision: Decision) -> IO[bytes] | None:
    """Open the decision's file if it is still the one indexed; None if it changed or is gone."""
    try:
        file = open(decision.file, "rb", buffering=0)  # type: ignore[arg-type]  # noqa: SIM115
    except OSError:
        return None
    st = os.fstat(file.fileno())
    if st.st_size != decision.size or st.st_mtime_ns != decision.mtime_ns:
        file.close()
        return None
    return file


INLINE_READ_MAX = 128 * 1024
"""Bodies read from disk up to this size are read at once, on the calling thread: from the page
cache that costs less than handing the read to a worker thread and back."""


def read_small_body(decision: Decision) -> bytes | None:
    """The whole body of a decision whose file segments add up to at most ``INLINE_READ_MAX``
    (or of a holdable one), read now; None if the file changed or vanished since the decision
    was made. A holdable decision hands the bytes to its router, to keep."""
    file = open_unchanged(decision)
    if file is None:
        return None
    with file:
        parts = []
        for prefix, offset, length in decision.segments:
            parts.append(prefix)
            parts.append(
                os.pread(file.fileno(), length, offset) if _PREAD else read_at(file, offset, length)
            )
        parts.append(decision.body)
    body = b"".join(parts)
    if len(body) != body_length(decision):
        return None
    if decision.holdable:
        decision.hold(body)
    return body


def read_to_hold(decision: Decision) -> bytes | None:
    """The whole file of a holdable decision, read now (and so held); None when the decision
    is not holdable or its file changed."""
    return read_small_body(decision) if decision.holdable else None


_PREAD = hasattr(os, "pread")


def body_length(decision: Decision) -> int:
    """How many bytes a decision's body plan sends."""
    return sum(len(prefix) + length for prefix, _, length in decision.segments) + len(decision.body)


def read_at(file: IO[bytes], offset: int, length: int) -> bytes:
    """Up to ``length`` bytes of ``file`` from ``offset`` (fewer only at the end of the file)."""
    file.seek(offset)
    return file.read(length)
