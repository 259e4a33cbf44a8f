"""Options are validated once, at construction: a wrong one raises a ``ConfigError`` that names it.

Nothing here serves a request, so the tests need no router backend.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ferrostatic import ConfigError, Ferrostatic

PYTHON_DIR = Path(__file__).resolve().parent.parent / "python"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty directory to serve."""
    root = tmp_path / "static"
    root.mkdir()
    return root


def test_config_error_is_a_value_error() -> None:
    """Code that catches ``ValueError`` for bad arguments also catches ``ConfigError``."""
    assert issubclass(ConfigError, ValueError)


def test_missing_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Leaving out ``directory`` is a ``ConfigError`` that says to pass the folder to serve."""
    monkeypatch.chdir(tmp_path)  # no implicit "static" folder to fall back on
    with pytest.raises(ConfigError, match=r"^directory: .*pass the folder"):
        Ferrostatic()  # type: ignore[call-arg]


def test_none_directory() -> None:
    """``directory=None`` is named and explained."""
    with pytest.raises(ConfigError, match=r"^directory: .*pass the folder"):
        Ferrostatic(directory=None)  # type: ignore[arg-type]


def test_directory_is_a_file(tmp_path: Path) -> None:
    """A file is not a directory to serve; the message says which and what to do."""
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ConfigError, match=r"^directory: .*is not a directory; create it or pass"):
        Ferrostatic(directory=target)


def test_directory_does_not_exist(tmp_path: Path) -> None:
    """A missing directory is reported with the path and how relative paths are resolved."""
    target = tmp_path / "nope"
    with pytest.raises(ConfigError, match=r"^directory: .*nope.* does not exist; create it"):
        Ferrostatic(directory=target)


def test_directory_of_wrong_type() -> None:
    """A directory that is not a path (here an int) is rejected, not coerced."""
    with pytest.raises(ConfigError, match=r"^directory: expected a path"):
        Ferrostatic(directory=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"prefix": "static"}, r"^prefix: expected a URL path starting with '/'"),
        ({"prefix": "/a//b"}, r"^prefix: expected a URL path starting with '/'"),
        ({"prefix": "/../x"}, r"^prefix: must not contain '\.' or '\.\.' segments"),
        ({"prefix": "/a/./b"}, r"^prefix: must not contain '\.' or '\.\.' segments"),
        ({"prefix": 5}, r"^prefix: expected a URL path"),
        ({"index_file": "a/b"}, r"^index_file: expected a file name such as 'index\.html'"),
        ({"index_file": ""}, r"^index_file: expected a file name"),
        ({"index_file": ".."}, r"^index_file: expected a file name"),
        ({"cache_max_age": -1}, r"^cache_max_age: expected a whole number >= 0, got -1"),
        ({"cache_max_age": "60"}, r"^cache_max_age: expected a whole number >= 0, got '60'"),
        ({"cache_max_age": True}, r"^cache_max_age: expected a whole number >= 0, got True"),
        ({"cache_max_age": 1.5}, r"^cache_max_age: expected a whole number"),
        ({"chunk_size": 0}, r"^chunk_size: expected a whole number >= 1, got 0"),
        ({"max_memory_file_size": -1}, r"^max_memory_file_size: expected a whole number >= 0"),
        ({"memory_budget": None}, r"^memory_budget: expected a whole number >= 0"),
        ({"hash_max_file_size": "big"}, r"^hash_max_file_size: expected a whole number >= 0"),
        ({"immutable_pattern": "("}, r"^immutable_pattern: '\(' is not a valid regex"),
        ({"immutable_pattern": 5}, r"^immutable_pattern: expected a regular expression"),
        ({"immutable_pattern": re.compile(b"x")}, r"^immutable_pattern: expected a regular"),
        ({"charset": "utf 8"}, r"^charset: expected a charset name such as 'utf-8', or None"),
        ({"charset": ""}, r"^charset: expected a charset name"),
        ({"mime_types": {".x": "nonsense"}}, r"^mime_types: '\.x' maps to 'nonsense'"),
        ({"mime_types": {".x": "text/plain; a=\rb"}}, r"^mime_types: '\.x' maps to"),
        ({"mime_types": {".x": "t\u00ebxt/plain"}}, r"^mime_types: '\.x' maps to"),
        ({"mime_types": {"": "text/plain"}}, r"^mime_types: keys are '\.ext' or a file name"),
        ({"mime_types": ["x"]}, r"^mime_types: expected a dict like"),
        ({"allow_hidden": "yes"}, r"^allow_hidden: expected True or False, got 'yes'"),
        ({"follow_symlinks_outside": 1}, r"^follow_symlinks_outside: expected True or False"),
    ],
)
def test_wrong_option_is_named(folder: Path, options: dict[str, Any], pattern: str) -> None:
    """Each wrong option raises ``ConfigError`` naming the option and the expected form."""
    with pytest.raises(ConfigError, match=pattern):
        Ferrostatic(directory=folder, **options)


def test_wrong_app(folder: Path) -> None:
    """The wrapped app must be callable; the message names ``app``."""
    with pytest.raises(ConfigError, match=r"^app: expected an ASGI application"):
        Ferrostatic(5, directory=folder)  # type: ignore[arg-type]


def test_unknown_keyword_is_a_type_error(folder: Path) -> None:
    """A misspelt option is not silently ignored: the TypeError names it."""
    with pytest.raises(TypeError, match="cache_max_agee"):
        Ferrostatic(directory=folder, cache_max_agee=5)  # type: ignore[call-arg]


def test_options_are_keyword_only(folder: Path) -> None:
    """Only the wrapped app is positional: ``Ferrostatic(None, "static")`` is a TypeError."""
    with pytest.raises(TypeError, match="positional"):
        Ferrostatic(None, str(folder))  # type: ignore[misc]


def test_valid_options_are_normalised(folder: Path) -> None:
    """Accepted values are kept in their canonical form (prefix gains its final slash)."""
    app = Ferrostatic(
        directory=str(folder),
        prefix="/static",
        index_file=None,
        cache_max_age=0,
        immutable_pattern=r"\.v\d+\.",
        charset=None,
        mime_types={".FOO": "application/x-foo; version=2"},
    )
    assert app.config.directory == folder.resolve()
    assert app.config.prefix == "/static/"
    assert app.config.index_file is None
    assert app.config.cache_max_age == 0
    assert app.config.immutable_pattern is not None
    assert app.config.immutable_pattern.pattern == r"\.v\d+\."
    assert app.config.charset is None
    assert app.config.mime_types == {".foo": "application/x-foo; version=2"}


def _import_ferrostatic(
    backend: str, *, without_core: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR), "FERROSTATIC_BACKEND": backend}
    # Setting a module to None in sys.modules makes importing it fail, as on a platform
    # without a wheel for the compiled core.
    hide = "import sys; sys.modules['ferrostatic._core'] = None; " if without_core else ""
    code = hide + "import ferrostatic; print(ferrostatic.backend)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_bogus_backend_fails_the_import() -> None:
    """``FERROSTATIC_BACKEND=bogus`` is an ImportError that names the variable."""
    result = _import_ferrostatic("bogus")
    assert result.returncode != 0
    assert "ImportError: FERROSTATIC_BACKEND='bogus' is not one of" in result.stderr


def test_python_backend_is_forced() -> None:
    """``FERROSTATIC_BACKEND=python`` selects the pure-Python router."""
    result = _import_ferrostatic("python")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python"


def test_rust_backend_without_the_core_fails_loudly() -> None:
    """``FERROSTATIC_BACKEND=rust`` never falls back quietly: the import fails and says how to
    get the core."""
    result = _import_ferrostatic("rust", without_core=True)
    assert result.returncode != 0
    assert "FERROSTATIC_BACKEND=rust, but the compiled core" in result.stderr


def test_auto_backend_without_the_core_falls_back() -> None:
    """Unset (``auto``), a missing core means the pure-Python router."""
    result = _import_ferrostatic("auto", without_core=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python"


def test_rust_backend_is_used_when_built() -> None:
    """With the core built (as in CI), ``FERROSTATIC_BACKEND=rust`` selects it."""
    result = _import_ferrostatic("rust")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rust"
