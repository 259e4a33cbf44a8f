"""``examples/django``: collectstatic, the checks, and the site under gunicorn and uvicorn."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import PACKAGE_ROOT, free_port, gunicorn_command, serving
from ..wire.support import fetch
from .conftest import REPOSITORY

pytestmark = pytest.mark.wire

EXAMPLE = REPOSITORY / "examples" / "django"


def _manage(site: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FERROSTATIC_", "DJANGO_", "PYTHON"))
    }
    env |= {"PYTHONPATH": str(PACKAGE_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example after ``collectstatic``."""
    site = tmp_path_factory.mktemp("example") / "django"
    shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("staticfiles", "__pycache__"))
    collected = _manage(site, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    return site


def test_checks_pass(site: Path) -> None:
    """``manage.py check`` has nothing to say about the example as it is configured."""
    checked = _manage(site, "check", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_served(site: Path, server: str, tmp_path: Path) -> None:
    """The stylesheet under its hashed name (immutable, compressed variants) and its plain
    name; the page from Django."""
    port = free_port()
    if server == "gunicorn":
        command = gunicorn_command(port, "mysite.wsgi")
    else:
        command = [sys.executable, "-m", "uvicorn", "--port", str(port), "--lifespan", "off"]
        command.append("mysite.asgi:application")
    manifest = json.loads((site / "staticfiles" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["mysite/style.css"]
    with serving(command, port=port, log=tmp_path / "server.log", cwd=site, pythonpath=[site]):
        response = fetch(port, "GET", f"/static/{hashed}", [("Accept-Encoding", "br, gzip")])
        assert response.status == 200
        assert response.header("cache-control") == "public, max-age=31536000, immutable"
        assert response.header("content-encoding") in ("br", "gzip")
        plain = fetch(port, "GET", "/static/mysite/style.css")
        assert plain.header("cache-control") == "public, max-age=300"
        assert plain.body == (EXAMPLE / "mysite" / "static" / "mysite" / "style.css").read_bytes()
        page = fetch(port, "GET", "/")
        assert page.status == 200 and f"/static/{hashed}".encode() in page.body
