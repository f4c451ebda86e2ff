"""Apollo Client 4's persisted-queries link, unmodified from npm, against the real graph.

The script records every request the client sent, so the test sees the protocol itself:
the hash alone, PERSISTED_QUERY_NOT_FOUND, the retry with the text, then the hash alone again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from tests.conformance.node_tools import run_script
from tests.conftest import GraphClient

NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def unique_query() -> str:
    """A document no earlier run registered (by its name: Apollo prints away comments)."""
    name = f"ApolloApq{uuid.uuid4().hex}"
    return (
        f"query {name}($n: Int!) {{ attractions(first: $n) {{ edges {{ node {{ id name }} }} }} }}"
    )


def _names(data: dict[str, Any]) -> list[str]:
    """The attractions' names, to compare answers that Apollo's cache adds `__typename` to."""
    return [edge["node"]["name"] for edge in data["attractions"]["edges"]]


def _hash_of(request: dict[str, Any]) -> str:
    """The persisted query's hash a request carried, from its body or its URL."""
    if request["body"] is not None:
        extensions = request["body"]["extensions"]
    else:
        extensions = json.loads(request["query"]["extensions"])
    assert extensions["persistedQuery"]["version"] == 1, request
    return str(extensions["persistedQuery"]["sha256Hash"])


def _apollo(node_tools: Path, graph_url: str, **request: Any) -> dict[str, Any]:
    """Run the client's queries; its results, each without an error, and its requests."""
    answer: dict[str, Any] = run_script(
        node_tools, "apollo_apq.mjs", {"url": f"{graph_url}/graphql", **request}
    )
    for result in answer["results"]:
        assert result["error"] is None, answer
    return answer


def test_apq_over_post(graph_url: str, graph: GraphClient, node_tools: Path) -> None:
    """The second query goes out as its hash alone, and the graph answers it."""
    query = unique_query()
    expected = _names(graph.execute(query, {"n": 3})["data"])
    answer = _apollo(node_tools, graph_url, query=query, variables={"n": 3})
    assert [_names(r["data"]) for r in answer["results"]] == [expected, expected]

    first, retry, second = answer["requests"]  # exactly three requests
    assert [r["method"] for r in answer["requests"]] == ["POST"] * 3
    assert "query" not in first["body"] and first["answer"] == NOT_FOUND, first
    assert first["status"] == 200
    assert retry["body"]["query"], retry
    digest = hashlib.sha256(retry["body"]["query"].encode()).hexdigest()
    assert _hash_of(first) == _hash_of(retry) == _hash_of(second) == digest
    assert retry["status"] == 200 and "errors" not in retry["answer"], retry
    assert "query" not in second["body"], second
    assert second["status"] == 200 and _names(second["answer"]["data"]) == expected, second


def test_apq_over_get(graph_url: str, graph: GraphClient, node_tools: Path) -> None:
    """Hashed reads go out as GET; once registered, the same URL answers, cacheably."""
    query = unique_query()
    expected = _names(graph.execute(query, {"n": 2})["data"])
    answer = _apollo(node_tools, graph_url, query=query, variables={"n": 2}, useGET=True, runs=3)
    assert [_names(r["data"]) for r in answer["results"]] == [expected] * 3

    first, retry, second, third = answer["requests"]
    assert [r["method"] for r in answer["requests"]] == ["GET", "POST", "GET", "GET"]
    assert "query" not in first["query"] and first["answer"] == NOT_FOUND, first
    assert retry["body"]["query"] and "errors" not in retry["answer"], retry
    digest = hashlib.sha256(retry["body"]["query"].encode()).hexdigest()
    assert _hash_of(first) == _hash_of(retry) == _hash_of(second) == digest
    # The very URL that was unknown a moment ago: its miss must not have been kept.
    assert second["query"] == first["query"], (first, second)
    for hit in (second, third):
        assert hit["status"] == 200 and _names(hit["answer"]["data"]) == expected, hit
        assert hit["headers"]["cache-control"] == "public, max-age=300", hit
    assert third["headers"]["x-mychangsha-cache"] == "hit", third
