"""The Rust router and the pure-Python router decide every request identically.

Header values are generated from the RFC 9110 grammars (entity-tag lists, ranges, weights,
the three date forms) with their edge cases, plus arbitrary bytes; a difference between the two
routers is a bug in one of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferrostatic._headers import format_http_date
from ferrostatic._types import Redirect, Resource, Variant

from .conftest import BACKENDS, router_class

pytestmark = pytest.mark.skipif(
    BACKENDS != ["rust", "python"], reason="needs both routers (FERROSTATIC_TEST_BACKENDS)"
)

LAST_MODIFIED = 1_700_000_000
OWS = st.sampled_from([b"", b" ", b"\t", b"  "])


def _resources() -> list[Resource]:
    body = bytes(range(256)) * 3
    return [
        Resource(
            ("/a.js", "/"),
            LAST_MODIFIED,
            b"text/javascript; charset=utf-8",
            b"public, max-age=60",
            (
                Variant("identity", "", len(body), 0, b'"id1"', body),
                Variant("br", "", 10, 0, b'"br1"', b"B" * 10),
                Variant("zstd", "", 12, 0, b'"zs1"', b"Z" * 12),
                Variant("gzip", "/srv/a.js.gz", 300, 9, b'"gz1"', None),
            ),
            ((b"x-extra", b"1"),),
        ),
        Resource(
            ("/big.bin",),
            None,
            b"application/octet-stream",
            None,
            (Variant("identity", "/srv/big.bin", 5000, 3, b'"big"', None),),
        ),
        Resource(
            ("/empty",),
            LAST_MODIFIED,
            b"text/plain",
            None,
            (Variant("identity", "", 0, 0, b'"e"', b""),),
        ),
    ]


ROUTERS: dict[str, Any] = {}


def _router(name: str, standalone: bool) -> Any:
    key = f"{name}-{standalone}"
    if key not in ROUTERS:
        redirect = Redirect("/dir", b"./dir/", b"public, max-age=60")
        ROUTERS[key] = router_class(name)(
            _resources(), [redirect], standalone=standalone, current_year=2026
        )
    return ROUTERS[key]


def _decision(
    router: Any, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> Any:
    d = router.resolve(method, path, query, headers)
    if d is None:
        return None
    return (
        d.status,
        list(d.headers),
        d.body,
        d.file,
        tuple(d.segments),
        d.size,
        d.mtime_ns,
        d.coding,
    )


# --- Grammar-shaped values -------------------------------------------------------------------

opaque = st.sampled_from([b'"id1"', b'"br1"', b'"gz1"', b'"big"', b'"x"', b'"a,b"', b'""', b'"id1'])
etag = st.builds(lambda weak, tag: (b"W/" if weak else b"") + tag, st.booleans(), opaque)
etag_list = st.one_of(
    st.just(b"*"),
    st.lists(st.tuples(OWS, etag, OWS), max_size=4).map(
        lambda items: b",".join(a + t + b for a, t, b in items)
    ),
    st.binary(max_size=12),
)

number = st.one_of(
    st.integers(0, 6000).map(lambda n: b"%d" % n),
    st.sampled_from(
        [
            b"",
            b"00012",
            b"99999999999999999999999",
            b"18446744073709551615",
            b"18446744073709551616",
        ]
    ),
)
range_spec = st.one_of(
    st.builds(lambda a, b: a + b"-" + b, number, number),
    st.builds(lambda a: a + b"-", number),
    st.builds(lambda b: b"-" + b, number),
    st.sampled_from([b"", b"-", b"x-1", b"1-2-3"]),
)
range_value = st.one_of(
    st.builds(
        lambda unit, specs, sep: unit + b"=" + sep.join(specs),
        st.sampled_from([b"bytes", b"BYTES", b"Bytes", b"items", b"bytes ", b""]),
        st.lists(range_spec, min_size=0, max_size=20),
        st.sampled_from([b",", b", ", b" ,\t"]),
    ),
    st.binary(max_size=16),
)

coding = st.sampled_from(
    [b"gzip", b"br", b"zstd", b"identity", b"*", b"x-gzip", b"GZIP", b"deflate", b"", b"b r"]
)
qvalue = st.sampled_from(
    [
        b"",
        b";q=1",
        b";q=0",
        b";q=0.5",
        b";q=0.001",
        b";q=1.000",
        b";q=1.5",
        b";Q=0.2",
        b" ; q=0.9",
        b";q=",
        b";q=0.1234",
        b";level=1",
    ]
)
accept_encoding = st.one_of(
    st.lists(st.tuples(coding, qvalue), max_size=6).map(
        lambda items: b", ".join(c + q for c, q in items)
    ),
    st.binary(max_size=16),
)


def _date_forms(seconds: int) -> list[bytes]:
    imf = format_http_date(seconds)
    day, rest = imf.split(b", ", 1)
    dd, mon, yyyy, clock, _ = rest.split(b" ")
    long_day = {
        b"Mon": b"Monday",
        b"Tue": b"Tuesday",
        b"Wed": b"Wednesday",
        b"Thu": b"Thursday",
        b"Fri": b"Friday",
        b"Sat": b"Saturday",
        b"Sun": b"Sunday",
    }[day]
    rfc850 = long_day + b", " + dd + b"-" + mon + b"-" + yyyy[2:] + b" " + clock + b" GMT"
    asctime = (
        day
        + b" "
        + mon
        + b" "
        + (dd if dd[0:1] != b"0" else b" " + dd[1:])
        + b" "
        + clock
        + b" "
        + yyyy
    )
    return [imf, rfc850, asctime, imf.lower(), imf + b", " + imf, imf.replace(b":", b".")]


date = st.one_of(
    st.builds(
        lambda seconds, form: _date_forms(seconds)[form],
        st.integers(-100, 4_000_000_000) | st.just(LAST_MODIFIED) | st.just(LAST_MODIFIED + 1),
        st.integers(0, 5),
    ),
    st.binary(max_size=30),
)

header = st.one_of(
    st.tuples(st.sampled_from([b"if-match", b"If-Match"]), etag_list),
    st.tuples(st.sampled_from([b"if-none-match", b"IF-NONE-MATCH"]), etag_list),
    st.tuples(st.just(b"if-modified-since"), date),
    st.tuples(st.just(b"if-unmodified-since"), date),
    st.tuples(st.sampled_from([b"range", b"Range"]), range_value),
    st.tuples(st.just(b"if-range"), st.one_of(etag, date)),
    st.tuples(st.sampled_from([b"accept-encoding", b"Accept-Encoding"]), accept_encoding),
    st.tuples(st.sampled_from([b"user-agent", b"x-other"]), st.binary(max_size=10)),
)

method = st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "get", ""])
path = st.sampled_from(
    ["/a.js", "/", "/big.bin", "/empty", "/dir", "/missing", "/a.js/", "", "/\x00", "/\udcff"]
)
query = st.one_of(st.just(b""), st.binary(max_size=12))


@given(method, path, query, st.lists(header, max_size=6), st.booleans())
def test_routers_agree(
    method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], standalone: bool
) -> None:
    """Same request, same resources: the same status, headers, body and body plan."""
    rust = _decision(_router("rust", standalone), method, path, query, headers)
    python = _decision(_router("python", standalone), method, path, query, headers)
    assert rust == python


@given(st.lists(header, max_size=6))
def test_invariants(headers: list[tuple[bytes, bytes]]) -> None:
    """Whatever the headers: 206 stays inside the file, 304 has no body, Vary is always there,
    Content-Length matches the body that will be sent."""
    for name in BACKENDS:
        d = _router(name, True).resolve("GET", "/a.js", b"", headers)
        names = [k for k, _ in d.headers]
        assert (b"vary", b"accept-encoding") in d.headers
        assert len(set(names)) == len(names)
        length = dict(d.headers).get(b"content-length")
        if d.status == 304:
            assert length is None and d.body == b"" and not d.segments
            continue
        sent = len(d.body) + sum(len(p) + n for p, _, n in d.segments)
        assert int(length) == sent
        for _, offset, count in d.segments:
            assert offset >= 0 and count > 0 and offset + count <= d.size
