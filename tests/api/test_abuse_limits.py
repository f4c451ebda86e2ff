"""Abuse limits over real HTTP: every limit refused with its code and nothing internal.

The session's graph (development settings) shows the document limits; a second graph
started with ENVIRONMENT=production and small operation budgets shows introspection and
suggestions off, no IDE, and the rate limits reached. Trusted documents are switched off on
that graph so arbitrary documents reach validation: the hardening must hold on its own.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mychangsha.schema.limits import (
    MAX_ALIASES,
    MAX_COST,
    MAX_DEPTH,
    MAX_DIRECTIVES_PER_LOCATION,
)
from tests.api.identity_client import Device, random_ip
from tests.conftest import (
    PRODUCTION_OPERATIONS_PER_CITIZEN,
    PRODUCTION_OPERATIONS_PER_IP,
    SimulatorAdmin,
)

PER_IP = PRODUCTION_OPERATIONS_PER_IP
PER_CITIZEN = PRODUCTION_OPERATIONS_PER_CITIZEN

CROWDED_PAGE = """query Crowded($n: Int!) { attractions(first: $n) { edges { node {
  id name crowd { level visitors } ticketSlots(date: "2026-11-26") { id start remaining } } } } }"""
INTROSPECTION = "{ __schema { queryType { name } types { name } } }"
TYPO = "{ attractoins(first: 1) { edges { node { id } } } }"


def post(url: str, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    """One document from an address of its own (so no per-IP budget is shared)."""
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"x-forwarded-for": random_ip()},
        timeout=20,
    )


def refused(response: httpx.Response, code: str) -> dict[str, Any]:
    """The one error of a refused request, checked to carry `code` and nothing internal."""
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {code}, body
    for error in body["errors"]:
        assert set(error["extensions"]) <= {"code", "cost", "maxCost", "retryAfterSeconds"}
    first: dict[str, Any] = body["errors"][0]
    return first


def test_over_budget_is_query_too_complex_with_its_cost(graph_url: str) -> None:
    error = refused(post(graph_url, CROWDED_PAGE, {"n": 50}), "QUERY_TOO_COMPLEX")
    assert error["extensions"]["maxCost"] == MAX_COST
    assert error["extensions"]["cost"] > MAX_COST


def test_a_small_page_of_the_same_document_runs(graph_url: str) -> None:
    body = post(graph_url, CROWDED_PAGE, {"n": 2}).json()
    assert body["data"]["attractions"]["edges"], body


def test_aliased_expensive_fields_are_query_too_complex(graph_url: str) -> None:
    slots = "{ id start remaining available }"
    aliased = " ".join(f's{i}: ticketSlots(date: "2026-11-26") {slots}' for i in range(25))
    query = f"{{ attractions(first: 1) {{ edges {{ node {{ {aliased} }} }} }} }}"
    refused(post(graph_url, query), "QUERY_TOO_COMPLEX")


def test_fragments_are_costed(graph_url: str) -> None:
    query = """query Crowded($n: Int!) { attractions(first: $n) { edges { node { ...Busy } } } }
    fragment Busy on Attraction {
      id crowd { level } ticketSlots(date: "2026-11-26") { id start remaining } }"""
    refused(post(graph_url, query, {"n": 50}), "QUERY_TOO_COMPLEX")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            "{ " + "me { family { " * MAX_DEPTH + "id" + " } }" * MAX_DEPTH + " }", id="depth"
        ),
        pytest.param(
            "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }",
            id="aliases",
        ),
        pytest.param("{ " + " ".join("__typename" for _ in range(5000)) + " }", id="tokens"),
        pytest.param(
            "query($t: Boolean = true) { __typename "
            + " ".join(["@include(if: $t) @skip(if: false)"] * MAX_DIRECTIVES_PER_LOCATION)
            + " }",
            id="directives",
        ),
    ],
)
def test_document_limits_are_query_too_complex(graph_url: str, query: str) -> None:
    response = post(graph_url, query)
    assert "Traceback" not in response.text
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert "QUERY_TOO_COMPLEX" in codes


def test_development_answers_introspection(graph_url: str) -> None:
    body = post(graph_url, INTROSPECTION).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_production_refuses_introspection(production_url: str) -> None:
    for query in (INTROSPECTION, '{ __type(name: "Attraction") { fields { name } } }'):
        error = refused(post(production_url, query), "BAD_USER_INPUT")
        assert "introspection" in error["message"]


def test_production_gives_no_suggestions(production_url: str, graph_url: str) -> None:
    assert "Did you mean" in post(graph_url, TYPO).text
    response = post(production_url, TYPO)
    refused(response, "BAD_USER_INPUT")
    assert "Did you mean" not in response.text
    assert "attractions" not in response.text


def test_production_serves_no_ide(production_url: str) -> None:
    response = httpx.get(f"{production_url}/graphql", headers={"accept": "text/html"}, timeout=10)
    assert "<html" not in response.text.lower()
    assert "graphiql" not in response.text.lower()


def test_production_runs_ordinary_queries(production_url: str) -> None:
    body = post(production_url, "{ attractions(first: 1) { edges { node { id } } } }").json()
    assert "errors" not in body, body


def test_operations_per_ip_are_rate_limited(production_url: str) -> None:
    headers = {"x-forwarded-for": random_ip()}
    query = {"query": "{ __typename }"}
    with httpx.Client(base_url=production_url, headers=headers, timeout=20) as client:
        for _ in range(PER_IP):
            assert client.post("/graphql", json=query).json() == {"data": {"__typename": "Query"}}
        response = client.post("/graphql", json=query)
    error = refused(response, "RATE_LIMITED")
    assert 1 <= error["extensions"]["retryAfterSeconds"] <= 60
    # Another address still has its own budget.
    assert "errors" not in post(production_url, "{ __typename }").json()


def test_answers_from_memory_are_rate_limited_too(production_url: str) -> None:
    """A cached public GET costs no engine work, but an address still has a budget for it.

    The engine's operations count in Redis; answers the hot lane serves from memory count in
    the process, each against the per-IP budget: so at least PER_IP, at most 2 × PER_IP
    answers before RATE_LIMITED.
    """
    params = {"query": "{ attractions(first: 2) { edges { node { id } } } }"}
    headers = {"x-forwarded-for": random_ip(), "accept": "application/json"}
    outcomes = []
    with httpx.Client(base_url=production_url, headers=headers, timeout=20) as client:
        for _ in range(2 * PER_IP + 1):
            body = client.get("/graphql", params=params).json()
            outcomes.append("errors" not in body)
            if "errors" in body:
                assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
                break
    assert outcomes[-1] is False, "the address was never refused"
    assert outcomes.count(True) >= PER_IP


def test_operations_per_citizen_are_rate_limited(
    production_url: str, sms_simulator: SimulatorAdmin
) -> None:
    device = Device(production_url, sms_simulator.base_url)
    try:
        device.sign_in()
        device.ip = random_ip()  # the citizen's budget, not this address's, runs out
        # A new document each time, so no stored answer stands in for running the operation.
        documents = [f"query Me{i} {{ me {{ id }} }}" for i in range(PER_CITIZEN + 1)]
        for document in documents[:PER_CITIZEN]:
            assert "errors" not in device.post(document), "within the citizen's budget"
        body = device.post(documents[-1])
        assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
        assert body["errors"][0]["extensions"]["retryAfterSeconds"] >= 1
    finally:
        device.close()
