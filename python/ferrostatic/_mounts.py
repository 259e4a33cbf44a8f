"""Several roots: the main directory, more directories under their own prefixes, single files.

Each root is a ``Mount`` with a router of its own, built once. A request is looked up in the
mounts in a fixed order, and the first that has its URL answers:

1. individual files (``add_files``),
2. directories, longest prefix first (``directories=``, ``add_directory``),
3. the main directory,
4. then the wrapped app (or 404 when standalone).

A miss under one prefix falls through to the next candidate. Prefixes match on segment
boundaries by construction: a mount's table holds ``prefix + relative path`` for its files, so
``/media/`` never answers ``/mediafile.txt``. The list of mounts is replaced as a whole when one
is added or removed, so a request sees the old list or the new one, never half of one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from . import _scan
from ._index import Index, build_index, health_check_resource, inside, reindex_file
from ._pure import Decision, Router
from ._types import Resource
from .config import Config, ConfigError

__all__ = ["Mount", "directory_mount", "file_owner", "files_mount", "main_mount"]

Header = tuple[bytes, bytes]
Resolve = Callable[[str, str, bytes, Iterable[Header]], "Decision | None"]


@dataclasses.dataclass(frozen=True)
class Mount:
    """One root: where its files are, its router, and the path prefix worth looking up in it."""

    config: Config
    """For a directory, its folder and prefix; for single files, the main options."""
    router: Router
    resolve: Resolve
    match: str
    """A request path must start with this to be looked up here (the prefix without its
    final ``/``, so that ``/static`` still finds the redirect to ``/static/``)."""
    index: Index
    files: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """URL → absolute path, for a mount of single files."""


def main_mount(config: Config, router_class: type[Router], standalone: bool, year: int) -> Mount:
    """The main directory (an empty table when only ``directories`` were given)."""
    # The health check answers outside the prefix too (``/healthz`` beside ``/static/``).
    match = "" if config.health_check_path is not None else config.prefix.rstrip("/")
    if config.enabled and config.serve_directory and _scan.available(config, router_class):
        health = (
            ()
            if config.health_check_path is None
            else (health_check_resource(config.health_check_path),)
        )
        router, index = _scan.scanned_router(config, standalone=standalone, year=year, extra=health)
        return Mount(config, router, router.resolve, match, index)
    index = build_index(config) if config.enabled and config.serve_directory else Index()
    if config.enabled and not config.serve_directory and config.health_check_path is not None:
        index = _health_check_only(config)
    router = router_class(
        index.resources, index.redirects, standalone=standalone, current_year=year, **memory(config)
    )
    return Mount(config, router, router.resolve, match, index)


def memory(config: Config) -> dict[str, int]:
    """The router options that let it hold files in memory once they have been read."""
    return {
        "memory_budget": config.memory_budget,
        "max_memory_file_size": config.max_memory_file_size,
    }


def _health_check_only(config: Config) -> Index:
    assert config.health_check_path is not None
    index = Index()
    index.resources.append(health_check_resource(config.health_check_path))
    return index


def directory_mount(
    config: Config, prefix: object, folder: object, router_class: type[Router], year: int
) -> Mount:
    """A directory served under ``prefix``, with the main options (``add_directory``)."""
    ((prefix, path),) = _checked_directory(prefix, folder)
    mounted = dataclasses.replace(
        config,
        directory=path,
        prefix=prefix,
        health_check_path=None,
        manifest_files=frozenset(),
        serve_directory=True,
    )
    if _scan.available(mounted, router_class):
        router, index = _scan.scanned_router(mounted, standalone=False, year=year)
        return Mount(mounted, router, router.resolve, prefix.rstrip("/"), index)
    index = build_index(mounted)
    router = router_class(
        index.resources, index.redirects, standalone=False, current_year=year, **memory(mounted)
    )
    index.resources.clear()
    index.redirects.clear()
    return Mount(mounted, router, router.resolve, prefix.rstrip("/"), index)


def _checked_directory(prefix: object, folder: object) -> tuple[tuple[str, Path], ...]:
    from .config import _directories

    try:
        return _directories({prefix: folder}, True)
    except ConfigError as error:
        raise ConfigError("add_directory: " + str(error).split(": ", 1)[1]) from None
    except TypeError:
        raise ConfigError(f"add_directory: the prefix must be a string, got {prefix!r}") from None


def files_mount(
    config: Config, files: Mapping[str, str], router_class: type[Router], year: int
) -> Mount:
    """Single files, each under the URL given for it (``add_files``)."""
    resources = [describe_named_file(config, url, path) for url, path in files.items()]
    # Read per request (never held): a file mounted by name shows its edits at once.
    router = router_class(resources, (), standalone=False, current_year=year)
    return Mount(config, router, router.resolve, "", Index(), dict(files))


def checked_files(files: object) -> dict[str, str]:
    """``add_files`` input as ``{url: absolute real path}``; ConfigError names what is wrong."""
    if not isinstance(files, Mapping):
        raise ConfigError(
            f"add_files: expected a dict like {{'/robots.txt': 'robots.txt'}}, got {files!r}"
        )
    checked: dict[str, str] = {}
    for url, path in files.items():
        if not isinstance(url, str) or not url.startswith("/") or "\x00" in url:
            raise ConfigError(f"add_files: {url!r} is not a URL path starting with '/'")
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(f"add_files: {url!r} maps to {path!r}, not a file path")
        real = os.path.realpath(os.fsdecode(path))
        if not os.path.isfile(real):
            raise ConfigError(f"add_files: {url!r} maps to {os.fsdecode(path)!r}, not a file")
        checked[url] = real
    return checked


def describe_named_file(config: Config, url: str, path: str) -> Resource:
    """The resource of one file served under ``url`` (pre-compressed siblings included)."""
    folder, name = os.path.split(path)
    here = dataclasses.replace(config, directory=Path(folder), prefix="/", allow_hidden=True)
    resource = reindex_file(here, name, url=url)
    if resource is None:
        raise ConfigError(f"add_files: cannot read {path!r} for {url!r}")
    return resource


def file_owner(mount: Mount, path: str) -> tuple[Config, str, str | None] | None:
    """How to describe a file of ``mount`` again: its options, relative path and URL."""
    if mount.files:
        for url, file in mount.files.items():
            if file == path:
                folder, name = os.path.split(path)
                return (
                    dataclasses.replace(mount.config, directory=Path(folder), prefix="/"),
                    name,
                    url,
                )
        return None
    root = str(mount.config.directory)
    if not mount.config.serve_directory or not inside(path, root):
        return None
    return mount.config, os.path.relpath(path, root).replace(os.sep, "/"), None


def chained(mounts: tuple[Mount, ...], standalone: bool) -> Resolve:
    """The lookup through several mounts, in their order (see the module docstring)."""
    from ._pure import _method_not_allowed, _not_found

    def resolve(method: str, path: str, query: bytes, headers: Iterable[Header]) -> Any:
        if standalone and method != "GET" and method != "HEAD":
            # A non-standalone mount answers None for a method it does not serve: whether any
            # mount has the path decides between 405 and 404.
            for mount in mounts:
                if path.startswith(mount.match):
                    found = mount.router.resolve("HEAD", path, b"", ())
                    if found is not None and found.status != 404:
                        return _method_not_allowed()
            return _not_found(method)
        for mount in mounts:
            if path.startswith(mount.match):
                decision = mount.resolve(method, path, query, headers)
                if decision is not None:
                    return decision
        # A path under no prefix at all (not even the main directory's) never reached the
        # standalone main router, which would have answered 404: there is no app to ask.
        return _not_found(method) if standalone else None

    return resolve
