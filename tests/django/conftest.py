"""The Django test project (``tests/django/project``), in-process and behind real servers.

In-process tests use the project's settings with ``override_settings``; the server tests run
``collectstatic`` into a temporary STATIC_ROOT and start gunicorn (WSGI) and uvicorn (ASGI) on
127.0.0.1 with the same project, configured through ``FSTEST_*`` variables.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.project.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402

from ..conftest import free_port, gunicorn_command, serving, write_tree  # noqa: E402

PROJECT = Path(__file__).resolve().parent / "project"
REPOSITORY = PROJECT.parents[2]
STORAGES = {
    "manifest": "ferrostatic.django.storage.CompressedManifestStaticFilesStorage",
    "plain": "ferrostatic.django.storage.CompressedStaticFilesStorage",
}
BIG = os.urandom(2 * 1024 * 1024)  # above max_memory_file_size: read from disk


def storages(kind: str) -> dict[str, Any]:
    """The STORAGES setting with one of ferrostatic's static files storages."""
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": STORAGES[kind]},
    }


@pytest.fixture(scope="session")
def extra_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """STATICFILES_DIRS for the tests: a large file, and ``x.css`` at the top."""
    return write_tree(
        tmp_path_factory.mktemp("extra") / "static",
        {
            "big.bin": BIG,
            "x.css": "x { color: red }\n" * 20,
            # A source whose name looks hashed: only the manifest knows it is not.
            "vendor/lib.3f2a9c1b7d4e.js": "var lib = 1;\n",
        },
    )


@dataclass
class Collected:
    """A STATIC_ROOT filled by collectstatic with one of the storages."""

    kind: str
    root: Path
    extra: Path
    manifest: dict[str, str] = field(default_factory=dict)

    def hashed(self, name: str) -> str:
        """The hashed name of ``name`` (the manifest storage only)."""
        return self.manifest[name]

    def file(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


def collect(kind: str, root: Path, extra: Path, **more: Any) -> Collected:
    """Run collectstatic in-process into ``root`` with the ``kind`` storage."""
    with override_settings(
        STATIC_ROOT=str(root), STORAGES=storages(kind), STATICFILES_DIRS=[str(extra)], **more
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    collected = Collected(kind, root, extra)
    if (root / "staticfiles.json").exists():
        collected.manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return collected


@pytest.fixture(scope="session", params=["manifest", "plain"])
def collected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, extra_static: Path
) -> Collected:
    """STATIC_ROOT after collectstatic, with each storage."""
    kind = str(request.param)
    return collect(kind, tmp_path_factory.mktemp(kind) / "static_root", extra_static)


@dataclass
class DjangoServer:
    """The test project under a real server."""

    name: str
    port: int
    pid: int
    collected: Collected


SERVERS = {
    "gunicorn-wsgi": "tests.django.project.wsgi:application",
    "uvicorn-asgi": "tests.django.project.asgi:application",
    "uvicorn-static-application": "tests.django.project.asgi_static:application",
}


@pytest.fixture(scope="module", params=list(SERVERS))
def django_server(
    request: pytest.FixtureRequest, collected: Collected, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DjangoServer]:
    """The project under gunicorn (WSGI, the middleware), uvicorn (ASGI, the middleware) and
    uvicorn (ASGI, ``get_static_application``), for each storage."""
    name = str(request.param)
    port = free_port()
    if name.startswith("gunicorn"):
        # The threaded worker keeps connections alive, and sends whole files with sendfile.
        command = gunicorn_command(port, SERVERS[name], "--worker-class", "gthread")
    else:
        command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--log-level", "warning", "--no-access-log", "--lifespan", "off"]
        command.append(SERVERS[name])
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.django.project.settings",
        "FSTEST_STATIC_ROOT": str(collected.root),
        "FSTEST_STORAGE": collected.kind,
        "FSTEST_EXTRA_STATIC": str(collected.extra),
    }
    log = tmp_path_factory.mktemp("server") / f"{name}.log"
    with serving(
        command, port=port, log=log, cwd=REPOSITORY, env=env, pythonpath=[REPOSITORY]
    ) as process:
        yield DjangoServer(name, port, process.pid, collected)
