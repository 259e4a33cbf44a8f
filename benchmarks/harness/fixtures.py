"""The trees every app serves: a realistic SPA build with a 20 MB download, and start-up trees.

Everything is generated from fixed seeds, so every run (and every machine) serves the same
bytes. A JSON manifest next to each tree records what was written; a tree whose manifest is
missing or from another fixture version is written again.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import brotli

WORK = Path(__file__).resolve().parents[1] / ".work"
FIXTURE_VERSION = 5
BIG_URL = "/media/big.bin"
BIG_SIZE = 20 * 1024 * 1024
RANGE_SIZE = 64 * 1024
TEXT_KINDS = frozenset({"document", "script", "style", "manifest", "text", "svg"})

# (name template, size in bytes, kind). "{h}" becomes an 8-character content hash, the way
# Vite names its chunks. Sizes follow a typical React/Vite production build.
SPA_SPEC: tuple[tuple[str, int, str], ...] = (
    ("index.html", 2_400, "document"),
    ("favicon.ico", 15_086, "image"),
    ("manifest.webmanifest", 480, "manifest"),
    ("robots.txt", 67, "text"),
    ("assets/index-{h}.js", 287_000, "script"),
    ("assets/vendor-react-{h}.js", 142_000, "script"),
    ("assets/Chart-{h}.js", 96_000, "script"),
    ("assets/Editor-{h}.js", 64_000, "script"),
    ("assets/Markdown-{h}.js", 45_000, "script"),
    ("assets/Dashboard-{h}.js", 38_000, "script"),
    ("assets/Table-{h}.js", 27_000, "script"),
    ("assets/Settings-{h}.js", 21_000, "script"),
    ("assets/polyfills-{h}.js", 18_000, "script"),
    ("assets/Profile-{h}.js", 12_000, "script"),
    ("assets/Icons-{h}.js", 9_800, "script"),
    ("assets/i18n-en-{h}.js", 8_000, "script"),
    ("assets/Login-{h}.js", 6_500, "script"),
    ("assets/Modal-{h}.js", 4_300, "script"),
    ("assets/utils-{h}.js", 3_100, "script"),
    ("assets/NotFound-{h}.js", 1_200, "script"),
    ("assets/index-{h}.css", 58_000, "style"),
    ("assets/Editor-{h}.css", 12_000, "style"),
    ("assets/Dashboard-{h}.css", 7_400, "style"),
    ("assets/Chart-{h}.css", 2_200, "style"),
    ("assets/inter-latin-400-{h}.woff2", 23_000, "font"),
    ("assets/inter-latin-600-{h}.woff2", 24_000, "font"),
    ("assets/inter-latin-700-{h}.woff2", 24_300, "font"),
    ("assets/jetbrains-mono-400-{h}.woff2", 31_000, "font"),
    ("assets/logo-{h}.svg", 3_200, "svg"),
    ("assets/icons-{h}.svg", 9_000, "svg"),
    ("assets/hero-{h}.webp", 118_000, "image"),
    ("assets/og-image-{h}.png", 54_000, "image"),
    ("assets/avatar-{h}.png", 12_000, "image"),
    ("apple-touch-icon.png", 6_100, "image"),
    ("icon-192.png", 9_400, "image"),
)


@dataclass(frozen=True)
class Asset:
    """One file of the SPA build: its URL, file path, kind and the size of each variant."""

    url: str
    path: str
    kind: str
    sha256: str
    variants: dict[str, int]  # "identity", "br", "gzip" -> size in bytes

    @property
    def size(self) -> int:
        """The size of the file itself."""
        return self.variants["identity"]


@dataclass(frozen=True)
class Fixture:
    """The SPA tree: its root, its assets in request order, and the 20 MB file."""

    root: Path
    assets: list[Asset]
    big_sha256: str

    @property
    def big_path(self) -> Path:
        """Where the 20 MB file is on disk."""
        return self.root / BIG_URL.lstrip("/")

    def allowed_sizes(self) -> list[int]:
        """Every body size a correct server may send for an SPA request."""
        return sorted({size for asset in self.assets for size in asset.variants.values()})


# --- Content generators ----------------------------------------------------------------------


_JS_COMMON = (
    "function(e,t){return ",
    "const ",
    "let ",
    "this.",
    "null",
    "!0",
    "!1",
    "void 0",
    ".prototype.",
    "Object.defineProperty(",
    "return ",
    "if(",
    "else ",
    "new ",
    "=>{",
    "}),",
    ".length",
    "typeof ",
)
_JS_GLUE = ("(", ")", "{", "}", ";", ",", ".", "=", "=>", "&&", "||", "?", ":", "[", "]", "+")
_JS_GLUE_WEIGHTS = (5, 5, 3, 3, 4, 6, 6, 4, 1, 1, 1, 1, 1, 1, 1, 1)


def _script(rng: random.Random, size: int) -> bytes:
    """Minified-JavaScript-like text that compresses like the real thing (br ~3.5x, gzip ~3.2x).

    Identifiers are drawn from a Zipf-like vocabulary of 1,000 mangled names plus the idioms a
    minifier leaves; that reproduces react-dom's ratios within a few percent.
    """
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
    words = list(_JS_COMMON)
    words += ["".join(rng.choices(letters, k=rng.randint(1, 9))) for _ in range(1000)]
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    parts: list[str] = []
    length = 0
    while length < size:
        chunk = rng.choices(words, weights, k=64)
        glue = rng.choices(_JS_GLUE, _JS_GLUE_WEIGHTS, k=64)
        text = "".join(word + sep for word, sep in zip(chunk, glue, strict=True))
        if rng.random() < 0.1:
            text += f'"{rng.getrandbits(32):x}"'
        parts.append(text)
        length += len(text)
    return "".join(parts).encode()[:size]


def _style(rng: random.Random, size: int) -> bytes:
    """Minified CSS: class selectors, common properties, random values."""
    props = ["color", "margin", "padding", "display", "border", "font-size", "width", "height"]
    values = ["0", "auto", "flex", "none", "1px solid #ddd", "100%", "inherit", "center"]
    parts: list[str] = []
    length = 0
    while length < size:
        name = f"._{rng.getrandbits(24):06x}"
        body = ";".join(f"{rng.choice(props)}:{rng.choice(values)}" for _ in range(4))
        text = f"{name}{{{body}}}"
        parts.append(text)
        length += len(text)
    return "".join(parts).encode()[:size]


def _svg(rng: random.Random, size: int) -> bytes:
    """An SVG of path data."""
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    parts = [head]
    length = len(head)
    while length < size - 10:
        coords = " ".join(f"{rng.uniform(0, 24):.2f}" for _ in range(12))
        text = f'<path d="M{coords}z" fill="currentColor"/>'
        parts.append(text)
        length += len(text)
    return ("".join(parts) + "</svg>").encode()[:size]


def _document(size: int, urls: list[str]) -> bytes:
    """index.html: the entry chunk, the preloaded chunks and the styles, padded to ``size``."""
    scripts = [url for url in urls if url.endswith(".js")]
    links = "".join(f'<link rel="modulepreload" href="{url}">' for url in scripts[1:4])
    styles = "".join(
        f'<link rel="stylesheet" href="{url}">' for url in urls if url.endswith(".css")
    )
    head = (
        '<!doctype html><html lang="en"><head><meta charset="UTF-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>Dashboard</title>{links}{styles}</head>"
        f'<body><div id="root"></div><script type="module" src="{scripts[0]}"></script>'
    )
    filler = "<!-- " + "build metadata " * ((size - len(head)) // 15) + "-->"
    return (head + filler + "</body></html>").encode()[:size].ljust(size, b" ")


def _manifest(size: int) -> bytes:
    text = json.dumps(
        {
            "name": "Dashboard",
            "short_name": "Dash",
            "start_url": "/",
            "display": "standalone",
            "icons": [{"src": "/icon-192.png", "sizes": "192x192", "type": "image/png"}],
        }
    )
    return text.encode().ljust(size, b" ")


def _content(rng: random.Random, kind: str, size: int) -> bytes:
    if kind == "script":
        return _script(rng, size)
    if kind == "style":
        return _style(rng, size)
    if kind == "svg":
        return _svg(rng, size)
    if kind == "manifest":
        return _manifest(size)
    if kind == "text":
        return b"User-agent: *\nAllow: /\n".ljust(size, b"\n")
    return rng.randbytes(size)  # fonts and images: already compressed, incompressible


def _short_hash(data: bytes) -> str:
    """8 base64url characters of the content hash, holding a digit and a letter (as Vite's do)."""
    text = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()
    for start in range(len(text) - 8):
        window = text[start : start + 8]
        if any(c.isdigit() for c in window) and any(c.isalpha() for c in window):
            return window
    return "a1" + text[:6]


# --- The SPA tree ----------------------------------------------------------------------------


def _write_variants(path: Path, data: bytes, kind: str) -> dict[str, int]:
    """Write ``path`` and, for text, its ``.br`` and ``.gz`` siblings (as a build step would)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    variants = {"identity": len(data)}
    if kind in TEXT_KINDS:
        compressed = {
            "br": brotli.compress(data, quality=11),
            "gzip": gzip.compress(data, compresslevel=9, mtime=0),
        }
        for coding, body in compressed.items():
            if len(body) < len(data):
                suffix = ".br" if coding == "br" else ".gz"
                path.with_name(path.name + suffix).write_bytes(body)
                variants[coding] = len(body)
    return variants


def _build_spa(root: Path) -> Fixture:
    rng = random.Random(20240601)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    assets: list[Asset] = []
    pending: list[tuple[str, int, str]] = []
    for template, size, kind in SPA_SPEC:
        if kind == "document":
            pending.append((template, size, kind))
            continue
        data = _content(rng, kind, size)
        name = template.format(h=_short_hash(data))
        variants = _write_variants(root / name, data, kind)
        sha = hashlib.sha256(data).hexdigest()
        assets.append(Asset("/" + name, name, kind, sha, variants))
    for template, size, kind in pending:  # index.html names the hashed chunks
        data = _document(size, [asset.url for asset in assets])
        variants = _write_variants(root / template, data, kind)
        sha = hashlib.sha256(data).hexdigest()
        assets.insert(0, Asset("/", template, kind, sha, variants))
    big = root / BIG_URL.lstrip("/")
    big.parent.mkdir(parents=True)
    data = random.Random(7).randbytes(BIG_SIZE)
    big.write_bytes(data)
    return Fixture(root, assets, hashlib.sha256(data).hexdigest())


def spa_fixture() -> Fixture:
    """The SPA tree under ``.work/spa``, written on first use (or when the version changed)."""
    root = WORK / "spa"
    manifest = WORK / "spa.json"
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved.get("version") == FIXTURE_VERSION and root.is_dir():
            assets = [Asset(**item) for item in saved["assets"]]
            return Fixture(root, assets, saved["big_sha256"])
    fixture = _build_spa(root)
    record = {
        "version": FIXTURE_VERSION,
        "assets": [asdict(asset) for asset in fixture.assets],
        "big_sha256": fixture.big_sha256,
    }
    manifest.write_text(json.dumps(record, indent=1))
    return fixture


# --- Start-up trees --------------------------------------------------------------------------

STARTUP_EXTENSIONS = ("js", "css", "html", "json", "svg", "txt", "png")
FILES_PER_FOLDER = 50
FOLDERS_PER_PARENT = 20


def _startup_files(count: int, rng: random.Random, blob: bytes) -> list[tuple[str, bytes]]:
    """(relative path, bytes) of the tree; every tenth text file gets a .gz sibling."""
    files: list[tuple[str, bytes]] = []
    index = 0
    while len(files) < count:
        folder = index // FILES_PER_FOLDER
        parent = folder // FOLDERS_PER_PARENT
        ext = STARTUP_EXTENSIONS[index % len(STARTUP_EXTENSIONS)]
        rel = f"d{parent:03d}/e{folder % FOLDERS_PER_PARENT:02d}/f{index:06d}.{ext}"
        size = rng.randint(100, 8192)
        if ext == "png":
            data = rng.randbytes(size)
        else:
            start = rng.randrange(0, len(blob) - size)
            data = (f"/* {rel} */\n".encode() + blob[start : start + size])[:size]
        files.append((rel, data))
        if ext != "png" and index % 10 == 0 and len(files) < count:
            files.append((rel + ".gz", gzip.compress(data, compresslevel=6, mtime=0)))
        index += 1
    return files


def startup_tree(count: int) -> Path:
    """A tree of ``count`` small files (100 B to 8 KiB, nested folders, some .gz siblings)."""
    root = WORK / f"startup-{count}"
    marker = WORK / f"startup-{count}.json"
    if marker.exists() and root.is_dir():
        saved = json.loads(marker.read_text())
        if saved.get("version") == FIXTURE_VERSION and saved.get("files") == count:
            return root
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(count)
    blob = _script(random.Random(1), 256 * 1024)
    made: set[Path] = set()
    for rel, data in _startup_files(count, rng, blob):
        path = root / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(data)
    marker.write_text(json.dumps({"version": FIXTURE_VERSION, "files": count}))
    return root
