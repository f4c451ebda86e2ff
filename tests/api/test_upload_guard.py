"""Multipart uploads: refused without the CSRF header, refused when larger than allowed."""

from __future__ import annotations

import json

import httpx

from mychangsha.uploads import MAX_MULTIPART_BYTES, sniff
from tests.conftest import GraphClient

OPERATIONS = json.dumps({"query": "{ __typename }"})


def _multipart(graph: GraphClient, headers: dict[str, str], size: int = 10) -> httpx.Response:
    files = {"0": ("note.pdf", b"%PDF-1.4\n" + b"x" * size, "application/pdf")}
    return graph.http.post(
        "/graphql", data={"operations": OPERATIONS, "map": "{}"}, files=files, headers=headers
    )


def test_multipart_without_the_csrf_header_is_refused(graph: GraphClient) -> None:
    response = _multipart(graph, {})
    assert response.status_code == 400
    assert "apollo-require-preflight" in response.json()["errors"][0]["message"]


def test_multipart_with_the_csrf_header_is_accepted(graph: GraphClient) -> None:
    for header in ("apollo-require-preflight", "x-mychangsha-csrf"):
        response = _multipart(graph, {header: "1"})
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"__typename": "Query"}}


def test_an_oversized_multipart_body_is_refused_before_parsing(graph: GraphClient) -> None:
    response = _multipart(graph, {"x-mychangsha-csrf": "1"}, size=MAX_MULTIPART_BYTES + 1)
    assert response.status_code == 413


def test_files_are_judged_by_their_first_bytes() -> None:
    assert sniff(b"%PDF-1.7\n") is not None and sniff(b"%PDF-1.7\n").extension == "pdf"  # type: ignore[union-attr]
    assert sniff(b"\x89PNG\r\n\x1a\n....") is not None
    assert sniff(b"\xff\xd8\xff\xe0") is not None
    assert sniff(b"MZ\x90\x00") is None  # a Windows executable, whatever its name
    assert sniff(b"<html>") is None
