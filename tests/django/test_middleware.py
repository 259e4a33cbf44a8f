"""FerrostaticMiddleware and get_static_application in-process: Django's own handlers (WSGI,
ASGI, test clients), settings, development mode, URL prefixes."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished
from django.test import AsyncClient, Client, RequestFactory, override_settings

from ferrostatic.django import FerrostaticMiddleware, get_static_application
from ferrostatic.django.conf import static_url_path
from ferrostatic.wsgi import WholeFileBody

from ..conftest import Response, run_asgi, run_wsgi, write_tree, wsgi_environ
from .conftest import BIG, PROJECT, Collected, storages

APP_CSS = (PROJECT / "shop" / "static" / "shop" / "css" / "site.css").read_bytes()


@pytest.fixture
def served(collected: Collected) -> Iterator[Collected]:
    """The project's settings pointed at a collected STATIC_ROOT (production: DEBUG off)."""
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=str(collected.root),
        STORAGES=storages(collected.kind),
        STATICFILES_DIRS=[str(collected.extra)],
    ):
        yield collected


def _fields(response: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _body(response: Any) -> bytes:
    if response.streaming:
        try:
            return b"".join(response.streaming_content)
        finally:
            response.close()
    return bytes(response.content)


# --- Under Django's handlers ----------------------------------------------------------------


def test_test_client_in_memory_file_exact_headers(served: Collected) -> None:
    """A small file is an HttpResponse carrying exactly our fields (one Content-Type, ours),
    plus SecurityMiddleware's, which sits above."""
    response = Client().get("/static/x.css")
    assert (response.status_code, response.content) == (200, served.file("x.css"))
    fields = _fields(response)
    assert fields["content-type"] == "text/css; charset=utf-8"
    assert fields["content-length"] == str(len(served.file("x.css")))
    assert fields["cache-control"] == "public, max-age=60"
    assert fields["x-content-type-options"] == "nosniff"
    assert set(fields) <= {
        "content-type",
        "content-length",
        "accept-ranges",
        "cache-control",
        "etag",
        "last-modified",
        "vary",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
    }


def test_test_client_disk_file_is_a_file_response(served: Collected) -> None:
    """A file read from disk is a FileResponse over the file, whole and exact."""
    response = Client().get("/static/big.bin")
    assert response.status_code == 200
    assert response.streaming and not response.is_async
    assert _body(response) == BIG
    assert _fields(response)["content-type"] == "application/octet-stream"
    assert "content-disposition" not in _fields(response)


def test_wsgi_handler_uses_file_wrapper_and_closes_once(served: Collected) -> None:
    """Under Django's WSGI handler, a whole file goes to wsgi.file_wrapper as a file with a
    fileno (a server may sendfile it), in chunk_size blocks; request_finished fires once."""
    finished: list[object] = []

    def on_finished(sender: object, **kwargs: object) -> None:
        finished.append(sender)

    request_finished.connect(on_finished)
    try:
        environ = wsgi_environ("GET", "/static/big.bin", file_wrapper=True)
        handler = WSGIHandler()
        given: list[Any] = []
        wrapper = environ["wsgi.file_wrapper"]

        def recording(filelike: Any, block_size: int = 8192) -> Any:
            given.append((filelike, block_size))
            return wrapper(filelike, block_size)

        environ["wsgi.file_wrapper"] = recording
        response = run_wsgi(handler, environ)
    finally:
        request_finished.disconnect(on_finished)
    assert (response.status, response.body) == (200, BIG)
    assert isinstance(given[0][0], WholeFileBody) and given[0][1] == 512 * 1024
    assert given[0][0].closed
    assert len(finished) == 1


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/static/big.bin", [], 200),
        ("GET", "/static/big.bin", [(b"range", b"bytes=10-19")], 206),
        ("GET", "/static/big.bin", [(b"range", b"bytes=0-0,-1")], 206),
        ("HEAD", "/static/big.bin", [], 200),
        ("GET", "/static/x.css", [], 200),
        ("GET", "/static/shop/caf\u00e9/men\u00fc.txt", [], 200),
    ],
)
@pytest.mark.parametrize("file_wrapper", [False, True], ids=["iterable", "file_wrapper"])
def test_wsgi_handler_responses(
    served: Collected,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    status: int,
    file_wrapper: bool,
) -> None:
    """Through Django's WSGI handler, with and without wsgi.file_wrapper: the status and
    Content-Length match the body, fields are not repeated, HEAD has no body."""
    environ = wsgi_environ(method, path, headers, file_wrapper=file_wrapper)
    response = run_wsgi(WSGIHandler(), environ)
    assert response.status == status
    _assert_framed(response, method)
    if status == 206 and b"," not in headers[0][1]:
        assert response.body == BIG[10:20]


def _assert_framed(response: Response, method: str) -> None:
    names = [name.lower() for name, _ in response.headers]
    assert len(names) == len(set(names)), names
    length = response.header("content-length")
    if method == "HEAD":
        assert response.body == b""
    else:
        assert length is not None and int(length) == len(response.body)


def _asgi_scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/static/big.bin", [], 200),
        ("GET", "/static/big.bin", [(b"range", b"bytes=10-19")], 206),
        ("GET", "/static/big.bin", [(b"range", b"bytes=0-0,-1")], 206),
        ("HEAD", "/static/big.bin", [], 200),
        ("GET", "/static/x.css", [], 200),
    ],
)
def test_asgi_handler_streams_asynchronously(
    served: Collected, method: str, path: str, headers: list[tuple[bytes, bytes]], status: int
) -> None:
    """Under Django's ASGI handler the middleware runs async; a disk file is an asynchronous
    stream (warnings are errors here: Django's "must consume synchronous iterators" would
    fail the test), framed exactly."""
    response = run_asgi(get_asgi_application(), _asgi_scope(method, path, headers))
    assert response.status == status
    _assert_framed(response, method)
    if method == "GET" and status == 200 and path.endswith(".bin"):
        assert response.body == BIG
        sizes = [len(m.get("body", b"")) for m in response.messages[1:]]
        assert max(sizes) <= 64 * 1024  # Django re-chunks for the server


def _open_descriptors(name: str) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith(name):
            found.append(target)
    return found


def test_asgi_disconnect_closes_the_file(served: Collected) -> None:
    """The client goes away after the first block: Django stops the response and the file
    is closed (at once, or when the abandoned stream is collected), without a warning."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc (Linux)")
    app = get_asgi_application()
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        first_block = asyncio.Event()
        calls = 0

        async def receive() -> dict[str, Any]:
            nonlocal calls
            calls += 1
            if calls == 1:
                return {"type": "http.request", "body": b"", "more_body": False}
            await first_block.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message.get("body"):
                first_block.set()
                await asyncio.sleep(0.01)

        await asyncio.wait_for(app(_asgi_scope("GET", "/static/big.bin", []), receive, send), 10)

    asyncio.run(main())
    gc.collect()
    assert sent[0]["status"] == 200
    assert sum(len(m.get("body", b"")) for m in sent) < len(BIG)
    assert _open_descriptors("big.bin") == []


def test_async_client(served: Collected) -> None:
    """Django's AsyncClient: the async middleware chain gets an async stream for a disk file
    and bytes for a small one."""

    async def main() -> tuple[Any, bytes, Any]:
        client = AsyncClient()
        big = await client.get("/static/big.bin", headers={"range": "bytes=0-99"})
        assert big.streaming and big.is_async
        body = b"".join([chunk async for chunk in big.streaming_content])
        small = await client.get("/static/x.css")
        return big, body, small

    big, body, small = asyncio.run(main())
    assert (big.status_code, body) == (206, BIG[:100])
    assert _fields(big)["content-range"] == f"bytes 0-99/{len(BIG)}"
    assert small.status_code == 200 and not small.streaming


def test_head_and_not_modified_through_the_client(served: Collected) -> None:
    """HEAD: GET's fields, no body. 304: no body, no Content-Type, no Content-Length (nothing
    above the middleware adds one)."""
    client = Client()
    get = client.get("/static/big.bin")
    _body(get)
    head = client.head("/static/big.bin")
    assert head.status_code == 200 and head.content == b""
    assert _fields(head)["content-length"] == str(len(BIG))
    etag = _fields(get)["etag"]
    not_modified = client.get("/static/big.bin", headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert "content-length" not in _fields(not_modified)
    assert "content-type" not in _fields(not_modified)


def test_manifest_decides_what_is_immutable(served: Collected) -> None:
    """With the manifest storage, exactly the names it hashed are immutable: a source whose
    name merely looks hashed is not. Without a manifest the built-in pattern decides."""
    response = Client().get("/static/vendor/lib.3f2a9c1b7d4e.js")
    assert response.status_code == 200
    cache_control = _fields(response)["cache-control"]
    if served.kind == "manifest":
        assert cache_control == "public, max-age=60"
        hashed = served.hashed("vendor/lib.3f2a9c1b7d4e.js")
        hashed_response = Client().get(f"/static/{hashed}")
        assert _fields(hashed_response)["cache-control"].endswith("immutable")
    else:
        assert cache_control == "public, max-age=31536000, immutable"


def test_changed_and_deleted_files(collected: Collected, tmp_path: Path) -> None:
    """A disk file changed after start-up is served as it is now; a deleted one is Django's
    (404)."""
    root = tmp_path / "root"
    shutil.copytree(collected.root, root)
    with override_settings(DEBUG=False, STATIC_ROOT=str(root), STORAGES=storages("plain")):
        client = Client()
        assert _body(client.get("/static/big.bin")) == BIG
        (root / "big.bin").write_bytes(b"changed" * 100_000)
        os.utime(root / "big.bin", (2_000_000_000, 2_000_000_000))
        assert _body(client.get("/static/big.bin")) == b"changed" * 100_000
        (root / "big.bin").unlink()
        assert client.get("/static/big.bin").status_code == 404


def test_passes_everything_else(served: Collected) -> None:
    """Another method on a file, a miss under STATIC_URL, anything outside it: Django's."""
    factory = RequestFactory()
    seen: list[str] = []

    def get_response(request: Any) -> Any:
        seen.append(f"{request.method} {request.path}")
        return "django"

    middleware = FerrostaticMiddleware(get_response)
    for request in (
        factory.post("/static/x.css"),
        factory.options("/static/x.css"),
        factory.get("/static/nope.css"),
        factory.get("/x.css"),
        factory.get("/static/../x.css"),
        factory.get("/static/shop//css/site.css"),
    ):
        assert middleware(request) == "django"
    assert len(seen) == 6


# --- Settings -------------------------------------------------------------------------------------


def test_settings_are_options(served: Collected) -> None:
    """``FERROSTATIC_<OPTION>`` settings configure the middleware."""
    with override_settings(FERROSTATIC_CACHE_MAX_AGE=123, FERROSTATIC_CHARSET=None):
        response = Client().get("/static/x.css")
    assert _fields(response)["cache-control"] == "public, max-age=123"
    assert _fields(response)["content-type"] == "text/css"


def test_setting_wins_over_environment(served: Collected, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FERROSTATIC_* environment variable fills in an option the settings leave unset;
    a setting wins."""
    monkeypatch.setenv("FERROSTATIC_CACHE_MAX_AGE", "77")
    assert _fields(Client().get("/static/x.css"))["cache-control"] == "public, max-age=77"
    with override_settings(FERROSTATIC_CACHE_MAX_AGE=5):
        assert _fields(Client().get("/static/x.css"))["cache-control"] == "public, max-age=5"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("FERROSTATIC_CACHE_MAX_AGE", "soon", "FERROSTATIC_CACHE_MAX_AGE: expected a whole"),
        ("FERROSTATIC_PREFIX", "static", "FERROSTATIC_PREFIX: expected a URL path"),
        ("FERROSTATIC_MIME_TYPES", [".x"], "FERROSTATIC_MIME_TYPES: expected a dict"),
        ("FERROSTATIC_ON_REQUEST", print, "FERROSTATIC_ON_REQUEST: not available"),
        ("FERROSTATIC_REQUEST_ID_HEADER", "X-Request-ID", "FERROSTATIC_REQUEST_ID_HEADER: not"),
        ("FERROSTATIC_SPA_FALLBACK", "index.html", "FERROSTATIC_SPA_FALLBACK: not available"),
        ("FERROSTATIC_PATH_RESOLVER", print, "FERROSTATIC_PATH_RESOLVER: not available"),
    ],
)
def test_wrong_setting_is_improperly_configured(
    served: Collected, setting: str, value: Any, message: str
) -> None:
    """A wrong value stops the start-up with ImproperlyConfigured naming the setting."""
    with override_settings(**{setting: value}), pytest.raises(ImproperlyConfigured) as caught:
        FerrostaticMiddleware(lambda request: None)
    assert str(caught.value).startswith(message)


def test_cors_headers_in_django(served: Collected) -> None:
    """``FERROSTATIC_CORS_ALLOW_ORIGINS``: the origin is echoed with ``Vary: Origin`` (the
    middleware reads the Origin header as the ASGI and WSGI apps do)."""
    with override_settings(FERROSTATIC_CORS_ALLOW_ORIGINS=["https://app.example.com"]):
        response = Client().get("/static/x.css", headers={"Origin": "https://app.example.com"})
        fields = _fields(response)
        assert fields["access-control-allow-origin"] == "https://app.example.com"
        assert "origin" in fields["vary"]


def test_disabled_passes_everything(served: Collected) -> None:
    """``FERROSTATIC_ENABLED = False``: nothing indexed, every request is Django's."""
    with override_settings(FERROSTATIC_ENABLED=False):
        middleware = FerrostaticMiddleware(lambda request: "django")
        assert middleware(RequestFactory().get("/static/x.css")) == "django"


def test_missing_static_root_is_a_warning_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before collectstatic has run, the site still works (the checks say why files are
    missing)."""
    with override_settings(DEBUG=False, STATIC_ROOT=str(tmp_path / "nope")):
        middleware = FerrostaticMiddleware(lambda request: "django")
    assert "does not exist" in caplog.text
    assert middleware(RequestFactory().get("/static/x.css")) == "django"


# --- URL prefixes -------------------------------------------------------------------------------


def test_static_url_on_a_cdn(served: Collected) -> None:
    """STATIC_URL may be a full URL (a CDN pulling from this origin): its path is served."""
    with override_settings(STATIC_URL="https://cdn.example.com/assets/"):
        client = Client()
        assert client.get("/assets/x.css").status_code == 200
        assert client.get("/static/x.css").status_code == 404


def test_force_script_name(served: Collected) -> None:
    """Under FORCE_SCRIPT_NAME, the request's path_info is below the script name: files are
    found whether STATIC_URL is given with the script name or below it."""
    for static_url in ("static/", "/app/static/", "/static/"):
        with override_settings(FORCE_SCRIPT_NAME="/app", STATIC_URL=static_url):
            response = Client().get("/static/x.css")
            assert response.status_code == 200, static_url


def test_static_url_path() -> None:
    """The prefix is STATIC_URL's decoded path, less the script name in front of it."""
    assert static_url_path("/static/") == "/static/"
    assert static_url_path("https://cdn.example.com/a%20b/") == "/a b/"
    assert static_url_path("/app/static/", "/app") == "/static/"
    assert static_url_path("/static/", "/app") == "/static/"
    assert static_url_path("/application/", "/app") == "/application/"
    assert static_url_path(None) is None


# --- get_static_application -----------------------------------------------------------------------


async def _inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"django"})


def test_get_static_application(served: Collected) -> None:
    """STATIC_ROOT at /static/ in front of the ASGI app; /x.css (not under STATIC_URL) and
    misses go to the app: the default STATIC_URL is honoured, not ``/``. Django's security
    settings give the nosniff and referrer headers."""
    app = get_static_application(_inner)
    response = run_asgi(app, _asgi_scope("GET", "/static/x.css", []))
    assert (response.status, response.body) == (200, served.file("x.css"))
    # The headers SecurityMiddleware would have added, as Django's settings say.
    assert response.header("x-content-type-options") == "nosniff"
    assert response.header("referrer-policy") == "same-origin"
    assert run_asgi(app, _asgi_scope("GET", "/x.css", [])).status == 299
    assert run_asgi(app, _asgi_scope("GET", "/static/nope", [])).status == 299
    assert app.config.prefix == "/static/"


def test_get_static_application_without_static_root(tmp_path: Path) -> None:
    """Before collectstatic: ImproperlyConfigured that says so."""
    with (
        override_settings(STATIC_ROOT=str(tmp_path / "nope")),
        pytest.raises(ImproperlyConfigured, match=r"STATIC_ROOT: .* does not exist.*collectstatic"),
    ):
        get_static_application(_inner)


def test_get_static_application_default_is_djangos() -> None:
    """Without an argument it wraps Django's ASGI application."""
    with override_settings(STATIC_ROOT=str(PROJECT)):
        app = get_static_application()
    assert type(app.app).__name__ == "ASGIHandler"


# --- Development: finders and autorefresh -------------------------------------------------------


@pytest.fixture
def development(tmp_path: Path) -> Iterator[Path]:
    """DEBUG on, no STATIC_ROOT, a STATICFILES_DIRS folder the test may change."""
    folder = write_tree(tmp_path / "dev", {"dev.css": "a{}", ".secret": "nope"})
    with override_settings(DEBUG=True, STATIC_ROOT=None, STATICFILES_DIRS=[str(folder)]):
        yield folder


def test_development_serves_app_folders_without_collectstatic(development: Path) -> None:
    """With DEBUG, files are found where Django's finders find them: app static/ folders
    (the admin's included) and STATICFILES_DIRS."""
    client = Client()
    assert _body(client.get("/static/shop/css/site.css")) == APP_CSS
    admin = client.get("/static/admin/css/base.css")
    assert admin.status_code == 200 and b"DJANGO" in _body(admin)
    assert _body(client.get("/static/dev.css")) == b"a{}"
    for path in ("/static/.secret", "/static/../settings.py", "/static/shop/../../settings.py"):
        assert client.get(path).status_code == 404, path


def test_development_picks_up_changes(development: Path) -> None:
    """Edited, added and deleted files show at the next request."""
    client = Client()
    assert _body(client.get("/static/dev.css")) == b"a{}"
    (development / "dev.css").write_text("b{}")
    os.utime(development / "dev.css", (2_000_000_000, 2_000_000_000))
    assert _body(client.get("/static/dev.css")) == b"b{}"
    assert client.get("/static/new/added.css").status_code == 404
    write_tree(development, {"new/added.css": "c{}"})
    assert _body(client.get("/static/new/added.css")) == b"c{}"
    (development / "dev.css").unlink()
    assert client.get("/static/dev.css").status_code == 404


def test_development_under_asgi(development: Path) -> None:
    """The same through the async chain (finders run in the executor)."""

    async def main() -> bytes:
        response = await AsyncClient().get("/static/shop/css/site.css")
        if response.streaming:
            body = b"".join([chunk async for chunk in response.streaming_content])
        else:
            body = bytes(response.content)
            await sync_to_async(response.close)()
        return body

    assert asyncio.run(main()) == APP_CSS


def test_finders_can_be_turned_off(development: Path) -> None:
    """``FERROSTATIC_USE_FINDERS = False`` serves STATIC_ROOT only, even with DEBUG."""
    with override_settings(FERROSTATIC_USE_FINDERS=False, FERROSTATIC_AUTOREFRESH=False):
        assert Client().get("/static/dev.css").status_code == 404


def test_development_prefixed_staticfiles_dirs(development: Path, tmp_path: Path) -> None:
    """A ``(prefix, folder)`` entry of STATICFILES_DIRS is served under its prefix."""
    other = write_tree(tmp_path / "other", {"report.txt": "numbers"})
    with override_settings(STATICFILES_DIRS=[str(development), ("downloads", str(other))]):
        client = Client()
        assert _body(client.get("/static/downloads/report.txt")) == b"numbers"
        assert client.get("/static/report.txt").status_code == 404
        assert _body(client.get("/static/dev.css")) == b"a{}"
