"""System checks, and ``runserver`` handing static files to the middleware."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import get_commands, load_command_class
from django.test import override_settings

from ..conftest import free_port, serving
from ..wire.support import fetch
from .conftest import PROJECT, REPOSITORY

OURS = "ferrostatic.django.FerrostaticMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
GZIP = "django.middleware.gzip.GZipMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"


def _ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return sorted(m.id for m in run_checks() if str(m.id).startswith("ferrostatic."))


def test_the_test_project_passes(tmp_path: Path) -> None:
    """The project as configured (middleware after SecurityMiddleware) has nothing to report."""
    assert _ids(STATIC_ROOT=str(tmp_path), DEBUG=False) == []


@pytest.mark.parametrize(
    ("setting", "value", "text"),
    [
        ("FERROSTATIC_CACHE_MAX_AGE", "1h", "FERROSTATIC_CACHE_MAX_AGE: expected a whole number"),
        ("FERROSTATIC_INDEX_FILE", "a/b", "FERROSTATIC_INDEX_FILE: expected a file name"),
        ("FERROSTATIC_IMMUTABLE_PATTERN", "(", "FERROSTATIC_IMMUTABLE_PATTERN: '(' is not"),
        ("FERROSTATIC_ALLOW_HIDDEN", "yes", "FERROSTATIC_ALLOW_HIDDEN: expected True or False"),
        ("FERROSTATIC_DIRECTORY", 5, "FERROSTATIC_DIRECTORY: expected a path"),
        ("FERROSTATIC_USE_FINDERS", 1, "FERROSTATIC_USE_FINDERS: expected True or False"),
        ("FERROSTATIC_MANIFEST_STRICT", "no", "FERROSTATIC_MANIFEST_STRICT: expected True"),
        ("FERROSTATIC_COMPRESS_FORMATS", ["br", "lzma"], "FERROSTATIC_COMPRESS_FORMATS: unknown"),
        ("STATIC_URL", "/sta//tic/", "STATIC_URL: its path '/sta//tic/' cannot be served"),
    ],
)
def test_wrong_setting(tmp_path: Path, setting: str, value: Any, text: str) -> None:
    """E001 for a setting of the wrong type or value, with the validation's own message."""
    with override_settings(STATIC_ROOT=str(tmp_path), DEBUG=False, **{setting: value}):
        errors = [m for m in run_checks() if m.id == "ferrostatic.E001"]
    assert len(errors) == 1, errors
    assert errors[0].msg.startswith(text), errors[0].msg


def test_unknown_setting_suggests_the_right_one(tmp_path: Path) -> None:
    """W001 for a FERROSTATIC_* setting that is not one, naming the closest."""
    with override_settings(STATIC_ROOT=str(tmp_path), FERROSTATIC_CACHE_MAXAGE=5):
        warnings = [m for m in run_checks() if m.id == "ferrostatic.W001"]
    assert [w.hint for w in warnings] == ["Did you mean FERROSTATIC_CACHE_MAX_AGE?"]


def test_static_root(tmp_path: Path) -> None:
    """W002 when STATIC_ROOT is unset, W003 when it does not exist; neither in development
    (the finders serve the files)."""
    assert _ids(STATIC_ROOT=None, DEBUG=False) == ["ferrostatic.W002"]
    assert _ids(STATIC_ROOT=str(tmp_path / "nope"), DEBUG=False) == ["ferrostatic.W003"]
    assert _ids(STATIC_ROOT=None, DEBUG=True) == []


@pytest.mark.parametrize(
    ("middleware", "expected"),
    [
        ([SECURITY, OURS, GZIP], []),
        ([SECURITY, GZIP, OURS], ["ferrostatic.W004"]),
        ([OURS, SECURITY], ["ferrostatic.W005"]),
        ([SECURITY, COMMON, OURS], ["ferrostatic.W006"]),
        ([SECURITY, "ferrostatic.django.middleware.FerrostaticMiddleware"], []),
        ([SECURITY, COMMON], ["ferrostatic.W008"]),
    ],
)
def test_middleware_order(tmp_path: Path, middleware: list[str], expected: list[str]) -> None:
    """After GZipMiddleware (W004), before SecurityMiddleware (W005), after response-rewriting
    middleware (W006), or missing while the app is installed (W008)."""
    with_sessions = [
        *middleware,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    assert _ids(STATIC_ROOT=str(tmp_path), DEBUG=False, MIDDLEWARE=with_sessions) == expected


def test_app_order(tmp_path: Path) -> None:
    """W007 when staticfiles comes first: its runserver would win."""
    from django.conf import settings

    apps = [app for app in settings.INSTALLED_APPS if app != "ferrostatic.django"]
    apps.append("ferrostatic.django")
    assert _ids(STATIC_ROOT=str(tmp_path), DEBUG=False, INSTALLED_APPS=apps) == ["ferrostatic.W007"]


def test_runserver_is_ours_without_djangos_static_handler() -> None:
    """``runserver`` comes from ferrostatic.django, with Django's static handler off by default
    (``--nostatic`` still accepted)."""
    assert get_commands()["runserver"] == "ferrostatic.django"
    command = load_command_class("ferrostatic.django", "runserver")
    parser = command.create_parser("manage.py", "runserver")
    assert parser.parse_args([]).use_static_handler is False
    assert parser.parse_args(["--nostatic"]).use_static_handler is False


def test_runserver_serves_through_the_middleware(tmp_path: Path) -> None:
    """``manage.py runserver`` in development: app files served without collectstatic, with
    ferrostatic's headers (Django's handler would send neither ETag nor Accept-Ranges)."""
    port = free_port()
    command = [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"]
    env = {"DJANGO_SETTINGS_MODULE": "tests.django.project.settings", "FSTEST_DEBUG": "1"}
    log = tmp_path / "runserver.log"
    with serving(command, port=port, log=log, cwd=REPOSITORY, env=env, pythonpath=[REPOSITORY]):
        response = fetch(port, "GET", "/static/shop/css/site.css", [("Range", "bytes=0-3")])
    assert (response.status, response.body) == (206, b"body")
    assert response.header("accept-ranges") == "bytes"
    assert response.header("etag") is not None
    assert (PROJECT / "shop" / "static" / "shop" / "css" / "site.css").read_bytes()[:4] == b"body"
