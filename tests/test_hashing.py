"""``ferrostatic hash SRC DEST``: content-hashed copies, rewritten references, a Django manifest.

Hashed names make a year of caching safe (RFC 9111 §5.2.2.1 ``max-age``; RFC 8246
``immutable``): a new build of a file gets a new name, and so does every file referring to it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ferrostatic.config import DEFAULT_IMMUTABLE_PATTERN
from ferrostatic.hashing import HashError, hash_tree, hashed_name


def ferrostatic(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the command line as a subprocess and collect its output."""
    return subprocess.run(
        [sys.executable, "-m", "ferrostatic", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def md5_12(data: bytes) -> str:
    """Django's file hash: the first 12 hex digits of the MD5 of the content."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()[:12]


APP_CSS = """\
@import "base.css";
@import url('theme.css') screen;
/* url(in-a-comment.png) is not a reference */
body { background: url(../img/logo.png?v=2#top); }
.b { background: URL( "../img/a%20b.png" ); }
.c { background: url(data:image/png;base64,AAAA); }
.d { filter: url(#blur); mask: url(https://cdn.example/m.svg); cursor: url(//cdn.example/c.cur); }
.e { background: url(/static/img/logo.png); }
/*# sourceMappingURL=app.css.map */
"""


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """Sources with every kind of reference, and a hidden file."""
    root = tmp_path / "src"
    (root / "css").mkdir(parents=True)
    (root / "img").mkdir()
    (root / "js").mkdir()
    (root / "css" / "app.css").write_text(APP_CSS)
    (root / "css" / "base.css").write_text(".base { color: red }\n")
    (root / "css" / "theme.css").write_text(".theme { background: url('../img/logo.png') }\n")
    (root / "css" / "app.css.map").write_text("{}\n")
    (root / "img" / "logo.png").write_bytes(b"\x89PNG logo")
    (root / "img" / "a b.png").write_bytes(b"\x89PNG a b")
    (root / "js" / "app.js").write_text("console.log(1);\n//# sourceMappingURL=app.js.map\n")
    (root / "js" / "app.js.map").write_text('{"version": 3}\n')
    (root / ".secret").write_text("not copied\n")
    return root


def test_hashed_copies_and_django_manifest(src: Path, tmp_path: Path) -> None:
    """Every file is copied under its name and under ``name.<md5[:12]>.ext``; the manifest is
    Django's version 1.1 with its ``hash`` computed as Django does."""
    dest = tmp_path / "dest"
    result = ferrostatic("hash", src, dest)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((dest / "staticfiles.json").read_text())
    assert list(manifest) == ["paths", "version", "hash"] and manifest["version"] == "1.1"
    paths = manifest["paths"]
    logo = md5_12(b"\x89PNG logo")
    assert paths["img/logo.png"] == f"img/logo.{logo}.png"
    assert paths["js/app.js.map"].startswith("js/app.js.") and paths["js/app.js.map"].endswith(
        ".map"
    )
    for original, hashed in paths.items():
        assert (dest / original).read_bytes() == (src / original).read_bytes()
        directory, name = posixpath.split(original)
        digest = md5_12((dest / hashed).read_bytes())
        assert hashed == posixpath.join(directory, hashed_name(name, digest))
    assert manifest["hash"] == md5_12(json.dumps(sorted(paths.items())).encode())
    assert ".secret" not in paths and not (dest / ".secret").exists()
    assert hashed_name("LICENSE", "0123456789ab") == "LICENSE.0123456789ab"


def test_css_references_rewritten(src: Path, tmp_path: Path) -> None:
    """``url()`` in any quoting and case, ``@import`` strings and ``url()``, and the source-map
    comment point at hashed names; queries and fragments stay; data:, other hosts, fragments,
    comments and (without --prefix) absolute paths are left alone."""
    dest = tmp_path / "dest"
    assert ferrostatic("hash", src, dest).returncode == 0
    paths = json.loads((dest / "staticfiles.json").read_text())["paths"]
    css = (dest / paths["css/app.css"]).read_text()
    name = {rel: hashed.rsplit("/", 1)[-1] for rel, hashed in paths.items()}
    assert f'@import "{name["css/base.css"]}";' in css
    assert f"@import url('{name['css/theme.css']}') screen;" in css
    assert f"url(../img/{name['img/logo.png']}?v=2#top)" in css
    assert 'URL( "../img/a%20b.' + name["img/a b.png"].split(".")[1] + '.png" )' in css
    assert f"/*# sourceMappingURL={name['css/app.css.map']} */" in css
    for untouched in (
        "url(in-a-comment.png)",
        "url(data:image/png;base64,AAAA)",
        "url(#blur)",
        "url(https://cdn.example/m.svg)",
        "url(//cdn.example/c.cur)",
        "url(/static/img/logo.png)",
    ):
        assert untouched in css
    js = (dest / paths["js/app.js"]).read_text()
    assert js.endswith(f"//# sourceMappingURL={name['js/app.js.map']}\n")


def test_hash_covers_rewritten_references(src: Path, tmp_path: Path) -> None:
    """A stylesheet's hash is taken after its references are rewritten (dependencies first), so
    a changed image renames the stylesheets that use it, through @import chains too."""
    first = tmp_path / "first"
    ferrostatic("hash", src, first)
    (src / "img" / "logo.png").write_bytes(b"\x89PNG new logo")
    second = tmp_path / "second"
    ferrostatic("hash", src, second)
    before = json.loads((first / "staticfiles.json").read_text())["paths"]
    after = json.loads((second / "staticfiles.json").read_text())["paths"]
    changed = {rel for rel in before if before[rel] != after[rel]}
    assert changed == {"img/logo.png", "css/theme.css", "css/app.css"}
    for rel in changed - {"img/logo.png"}:
        assert after[rel].split(".")[-2] == md5_12((second / after[rel]).read_bytes())


def test_absolute_references_with_prefix(src: Path, tmp_path: Path) -> None:
    """With --prefix (the URL path DEST is served under), absolute references under it are
    resolved from SRC's root and rewritten, keeping the prefix."""
    dest = tmp_path / "dest"
    assert ferrostatic("hash", src, dest, "--prefix", "/static/").returncode == 0
    paths = json.loads((dest / "staticfiles.json").read_text())["paths"]
    css = (dest / paths["css/app.css"]).read_text()
    assert f"url(/static/{paths['img/logo.png']})" in css


def test_missing_reference_reported_with_file_and_line(src: Path, tmp_path: Path) -> None:
    """A reference to a missing file names the referencing file and line; the run goes on
    (exit 0). With --strict it is an error: exit 1 and nothing written."""
    (src / "css" / "extra.css").write_text(".a {}\n.b { background: url(gone.png) }\n")
    result = ferrostatic("hash", src, tmp_path / "dest")
    assert result.returncode == 0
    assert "css/extra.css:2: gone.png: no such file" in result.stderr
    strict = ferrostatic("hash", src, tmp_path / "strict", "--strict")
    assert strict.returncode == 1 and "gone.png" in strict.stderr
    assert not (tmp_path / "strict").exists()


def test_cycles_are_reported(src: Path, tmp_path: Path) -> None:
    """Stylesheets importing each other are reported as a cycle; their mutual references keep
    the original names (which are copied too); --strict refuses."""
    (src / "css" / "a.css").write_text('@import "b.css";\n')
    (src / "css" / "b.css").write_text('@import "a.css";\n')
    result = ferrostatic("hash", src, tmp_path / "dest")
    assert result.returncode == 0
    assert "css/a.css → css/b.css → css/a.css" in result.stderr
    paths = json.loads((tmp_path / "dest" / "staticfiles.json").read_text())["paths"]
    assert (tmp_path / "dest" / paths["css/a.css"]).read_text() == '@import "b.css";\n'
    assert ferrostatic("hash", src, tmp_path / "strict", "--strict").returncode == 1


def test_destination_rules(src: Path, tmp_path: Path) -> None:
    """DEST inside SRC (or containing it) and a non-empty DEST are refused with one line and
    exit code 2; --clean empties DEST first."""
    inside = ferrostatic("hash", src, src / "out")
    assert inside.returncode == 2 and inside.stderr.count("\n") == 1
    assert ferrostatic("hash", src, src.parent).returncode == 2
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    busy = ferrostatic("hash", src, dest)
    assert busy.returncode == 2 and "--clean" in busy.stderr
    assert ferrostatic("hash", src, dest, "--clean").returncode == 0
    assert not (dest / "old.txt").exists()
    missing = ferrostatic("hash", tmp_path / "nope", tmp_path / "d")
    assert (
        missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    )


def test_hashed_names_are_immutable_to_the_server(src: Path, tmp_path: Path) -> None:
    """The names written match the server's default pattern for year-long caching (unless the
    12 hex digits happen to hold no letter or no digit)."""
    result = hash_tree(src, tmp_path / "dest")
    for hashed in result.paths.values():
        digest = hashed.rsplit("/", 1)[-1].split(".")[-2]
        if any(c.isdigit() for c in digest) and any(c.isalpha() for c in digest):
            assert DEFAULT_IMMUTABLE_PATTERN.search("/" + hashed), hashed
    with pytest.raises(HashError):
        hash_tree(src, tmp_path / "dest")


DJANGO = textwrap.dedent(
    """
    import json, sys
    import django
    from django.conf import settings
    mode, root, sources, *names = sys.argv[1:]
    settings.configure(
        INSTALLED_APPS=["django.contrib.staticfiles"],
        STATIC_URL="/static/", STATIC_ROOT=root, STATICFILES_DIRS=[sources],
        STORAGES={"staticfiles": {"BACKEND":
            "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}},
    )
    django.setup()
    if mode == "urls":
        from django.contrib.staticfiles.storage import staticfiles_storage
        print(json.dumps({name: staticfiles_storage.url(name) for name in names}))
    else:
        from django.core.management import call_command
        call_command("collectstatic", interactive=False, verbosity=0)
    """
)


def django(*args: str | Path) -> str:
    """Run Django with ManifestStaticFilesStorage in a subprocess (its settings are global)."""
    result = subprocess.run(
        [sys.executable, "-c", DJANGO, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_django_reads_the_manifest(src: Path, tmp_path: Path) -> None:
    """Django's ManifestStaticFilesStorage loads the manifest and links the hashed names; the
    files that need no rewriting get the very names Django's collectstatic gives them."""
    pytest.importorskip("django")
    dest = tmp_path / "dest"
    ours = hash_tree(src, dest).paths
    names = ["css/app.css", "img/logo.png", "js/app.js.map"]
    urls = json.loads(django("urls", dest, src, *names))
    assert urls == {name: "/static/" + ours[name] for name in names}
    # Django's patterns miss ``URL( "x" )`` and read references inside comments: compare the
    # files without references only.
    (src / "css" / "app.css").unlink()
    collected = tmp_path / "collected"
    django("collect", collected, src)
    theirs = json.loads((collected / "staticfiles.json").read_text())["paths"]
    for name in ("img/logo.png", "img/a b.png", "css/base.css", "css/app.css.map"):
        assert theirs[name] == ours[name]
