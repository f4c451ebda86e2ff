"""Hostile request bodies over real HTTP: each a clear 4xx with a GraphQL error, nothing more.

Oversized bodies are refused before they are parsed (by the declared length, or while a
chunked body streams in); malformed and oddly shaped JSON, and variables nested absurdly
deep, are refused before anything runs. No answer carries a trace or a file path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mychangsha.resolvers.payment_orders import CALLBACK_PATH
from mychangsha.settings import Settings
from mychangsha.transport import MAX_VARIABLES_DEPTH
from tests.api.identity_client import random_ip

MAX_BODY = Settings.model_fields["max_request_body_bytes"].default
NEAR = "query($near: GeoPointInput) { attractions(near: $near, first: 1) { edges { cursor } } }"


def clear_refusal(response: httpx.Response, status: int) -> dict[str, Any]:
    """The answer is `status` with one coded GraphQL error and nothing internal; the error."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/")
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert "/site-packages/" not in response.text and "mychangsha/" not in response.text
    body: dict[str, Any] = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["message"], error
    return dict(error)


def post_bytes(
    url: str, content: bytes | Iterator[bytes], content_type: str = "application/json"
) -> httpx.Response:
    """A raw body from an address of its own."""
    headers = {"content-type": content_type, "x-forwarded-for": random_ip()}
    return httpx.post(f"{url}/graphql", content=content, headers=headers, timeout=30)


def test_a_body_just_under_the_limit_still_runs(graph_url: str) -> None:
    padding = " " * (MAX_BODY - 100)
    response = post_bytes(graph_url, b'{"query": "{ __typename }"' + padding.encode() + b"}")
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


def test_five_megabytes_of_variables_are_413(graph_url: str) -> None:
    variables = {"near": {"lat": 28.2, "lng": 112.9}, "padding": "x" * 5_000_000}
    response = httpx.post(
        f"{graph_url}/graphql",
        json={"query": NEAR, "variables": variables},
        headers={"x-forwarded-for": random_ip()},
        timeout=30,
    )
    error = clear_refusal(response, 413)
    assert str(MAX_BODY) in error["message"]


def test_a_chunked_body_is_cut_off_at_the_limit(graph_url: str) -> None:
    """No Content-Length to judge by: the body is counted as it arrives."""
    chunk = b" " * 64 * 1024
    chunks = iter([b'{"query": "{ __typename }"', *[chunk] * (MAX_BODY // len(chunk) + 2), b"}"])
    clear_refusal(post_bytes(graph_url, chunks), 413)


def test_a_small_chunked_body_runs(graph_url: str) -> None:
    response = post_bytes(graph_url, iter([b'{"query": ', b'"{ __typename }"}']))
    assert response.json() == {"data": {"__typename": "Query"}}


def test_callbacks_have_the_same_limit(graph_url: str) -> None:
    response = httpx.post(
        f"{graph_url}{CALLBACK_PATH}",
        content=b"{" + b" " * (MAX_BODY + 1) + b"}",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    clear_refusal(response, 413)


def test_a_chunked_multipart_body_is_411(graph_url: str) -> None:
    """Uploads are judged by their declared length, so they must declare one."""
    boundary = "b0undary"
    parts = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        '{"query": "{ __typename }"}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{{}}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = httpx.post(
        f"{graph_url}/graphql",
        content=iter([parts]),
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "x-mychangsha-csrf": "1",
            "x-forwarded-for": random_ip(),
        },
        timeout=10,
    )
    clear_refusal(response, 411)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b'{"query": "{ __typename }"', id="truncated"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b'"{ __typename }"', id="a-string"),
        pytest.param(b"null", id="null"),
        pytest.param(b"42", id="a-number"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"query": 42}', id="query-not-a-string"),
        pytest.param(b'{"query": "{ __typename }", "variables": [1]}', id="variables-a-list"),
        pytest.param(b'{"query": "{ __typename }", "extensions": "x"}', id="extensions-a-string"),
    ],
)
def test_malformed_or_misshapen_json_is_a_clear_400(graph_url: str, content: bytes) -> None:
    clear_refusal(post_bytes(graph_url, content), 400)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"query": "{ __typename }", "variables": '"x"'}, id="variables-a-string"),
        pytest.param({"query": "{ __typename }", "variables": "{nope"}, id="variables-malformed"),
        pytest.param({"query": "{ __typename }", "extensions": "[]"}, id="extensions-a-list"),
    ],
)
def test_misshapen_get_parameters_are_a_clear_400(graph_url: str, params: dict[str, str]) -> None:
    response = httpx.get(
        f"{graph_url}/graphql",
        params=params,
        headers={"x-forwarded-for": random_ip(), "accept": "application/json"},
        timeout=10,
    )
    clear_refusal(response, 400)


def _nested(depth: int) -> object:
    value: object = 28.2
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "depth",
    [
        pytest.param(MAX_VARIABLES_DEPTH + 1, id="just-over-the-limit"),
        pytest.param(900, id="past-the-json-encoder"),  # parses, but cannot be re-encoded
    ],
)
def test_deeply_nested_variables_are_a_clear_400(graph_url: str, depth: int) -> None:
    variables = {"near": {"lat": _nested(depth - 2), "lng": 112.9}}
    response = httpx.post(
        f"{graph_url}/graphql",
        json={"query": NEAR, "variables": variables},
        headers={"x-forwarded-for": random_ip()},
        timeout=10,
    )
    error = clear_refusal(response, 400)
    assert "nest" in error["message"]


def test_variables_deeper_than_the_json_parser_allows_are_a_clear_400(graph_url: str) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    body = f'{{"query": "{{ __typename }}", "variables": {{"v": {nested}}}}}'
    clear_refusal(post_bytes(graph_url, body.encode()), 400)


def test_nesting_within_the_limit_reaches_validation(graph_url: str) -> None:
    """The same shape, shallower, is judged by the schema (a list is no Float), not refused."""
    variables = {"near": {"lat": _nested(MAX_VARIABLES_DEPTH - 2), "lng": 112.9}}
    response = httpx.post(
        f"{graph_url}/graphql",
        json={"query": NEAR, "variables": variables},
        headers={"x-forwarded-for": random_ip()},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert "nest" not in error["message"] and "$near" in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(
            "query($n: Int!) { attractions(first: $n) { edges { cursor } } }",
            {"n": "five"},
            id="int",
        ),
        pytest.param(NEAR, {"near": {"lat": "north", "lng": 112.9}}, id="float-in-an-input"),
        pytest.param(NEAR, {"near": {"lat": 28.2}}, id="missing-field"),
    ],
)
def test_variables_of_the_wrong_type_are_the_clients_mistake(
    graph_url: str, query: str, variables: dict[str, Any]
) -> None:
    """A coercion error is BAD_USER_INPUT with graphql-core's message, not a masked 500."""
    response = httpx.post(
        f"{graph_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"x-forwarded-for": random_ip(), "accept": "application/graphql-response+json"},
        timeout=10,
    )
    error = clear_refusal(response, 400)
    assert "Variable '$" in error["message"], error
