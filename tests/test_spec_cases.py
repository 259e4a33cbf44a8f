"""Every case in ``spec/cases/*.json``, against both routers (``cargo test`` reads them too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ferrostatic._types import Redirect, Resource, Variant

from .conftest import router_class

CASES_DIR = Path(__file__).resolve().parent.parent / "spec" / "cases"


def _bytes(text: str) -> bytes:
    return text.encode("latin-1")


def _resources(raw: list[dict[str, Any]]) -> list[Resource]:
    resources = []
    for item in raw:
        variants = []
        for v in item["variants"]:
            body = _bytes(v["body"]) if "body" in v else None
            size = len(body) if body is not None else v["size"]
            variants.append(
                Variant(
                    v["coding"],
                    v.get("path", ""),
                    size,
                    v.get("mtime_ns", 0),
                    _bytes(v["etag"]),
                    body,
                )
            )
        resources.append(
            Resource(
                urls=tuple(item["urls"]),
                last_modified=item["last_modified"],
                content_type=_bytes(item["content_type"]),
                cache_control=None
                if item["cache_control"] is None
                else _bytes(item["cache_control"]),
                variants=tuple(variants),
                headers=tuple((_bytes(k), _bytes(v)) for k, v in item.get("headers", [])),
            )
        )
    return resources


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            fixture = document["fixtures"][case["fixture"]]
            redirects = document.get("redirects", {}).get(case.get("redirects"), [])
            case_id = f"{path.stem}: {case['name']}"
            params.append(pytest.param(case, fixture, redirects, id=case_id))
    return params


CASES = _load()


def test_cases_exist() -> None:
    """The spec directory is not empty, and every case cites an RFC section and says why."""
    assert len(CASES) > 100
    for param in CASES:
        case = param.values[0]
        assert case["rfc"].split("#")[0].isdigit() and "#" in case["rfc"], case["name"]
        assert case["why"], case["name"]


@pytest.mark.parametrize(("case", "fixture", "redirects"), CASES)
@pytest.mark.parametrize("backend_name", ["rust", "python"])
def test_spec_case(
    case: dict[str, Any],
    fixture: list[dict[str, Any]],
    redirects: list[dict[str, Any]],
    backend_name: str,
) -> None:
    """The router's decision is exactly what the case expects."""
    from .conftest import BACKENDS

    if backend_name not in BACKENDS:
        pytest.skip(f"{backend_name} router not selected by FERROSTATIC_TEST_BACKENDS")
    router = router_class(backend_name)(
        _resources(fixture),
        [Redirect(r["url"], _bytes(r["location"]), _bytes(r["cache_control"])) for r in redirects],
        standalone=case.get("standalone", True),
        current_year=case.get("current_year", 2026),
    )
    request = case["request"]
    headers = [(_bytes(k), _bytes(v)) for k, v in request.get("headers", [])]
    decision = router.resolve(
        request["method"], request["path"], _bytes(request.get("query", "")), headers
    )
    expect = case["expect"]
    if expect.get("pass"):
        assert decision is None
        return
    assert decision is not None
    assert decision.status == expect["status"]
    got = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in decision.headers]
    if "exact_headers" in expect:
        assert got == [tuple(pair) for pair in expect["exact_headers"]]
    missing = [pair for pair in map(tuple, expect.get("headers", [])) if pair not in got]
    assert not missing, f"missing {missing} in {got}"
    names = {k for k, _ in got}
    for name in expect.get("absent", []):
        assert name not in names
    assert len(names) == len(got), f"repeated header in {got}"
    if "body" in expect:
        assert decision.body == _bytes(expect["body"])
    if "file" in expect:
        assert decision.file == expect["file"]
    if "segments" in expect:
        segments = [[p.decode("latin-1"), o, n] for p, o, n in decision.segments]
        assert segments == expect["segments"]
