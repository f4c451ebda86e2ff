"""The response cache over real HTTP: hits served without running the engine, the policy's
Cache-Control on GET, private answers kept per citizen, mutations ending what they change."""

from __future__ import annotations

import json
import random
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.api.ticket_journey import MUSEUM, attraction_id, open_day, reserve, slot_at
from tests.support.cache_control import assert_cache_control

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

NEARBY = """query Nearby($near: GeoPointInput!) {
  attractions(near: $near, first: 3) { edges { node { id name district } } } }"""
ME = "query Me { me { id name verificationLevel } }"
SLOTS = """query Slots($id: ID!, $date: Date!) {
  attraction(id: $id) { ticketSlots(date: $date) { id start remaining } } }"""


def _get(
    graph_url: str, query: str, variables: dict[str, Any], token: str | None = None
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.get(
        f"{graph_url}/graphql",
        params={"query": query, "variables": json.dumps(variables)},
        headers=headers,
        timeout=10,
    )


def _executions(graph_url: str) -> float:
    text = httpx.get(f"{graph_url}/metrics", timeout=10).text
    found = re.search(r"^mychangsha_graphql_executions_total (\S+)$", text, re.MULTILINE)
    assert found, "the executions counter is exported"
    return float(found.group(1))


def _somewhere() -> dict[str, float]:
    """A point nobody asked about yet, so the first request is a miss."""
    return {"lat": 28.2 + random.random() / 100, "lng": 112.95 + random.random() / 100}


def test_a_public_answer_is_served_again_without_executing(graph_url: str) -> None:
    variables = {"near": _somewhere()}
    first = _get(graph_url, NEARBY, variables)
    assert first.status_code == 200 and "errors" not in first.json(), first.text
    assert first.headers["x-mychangsha-cache"] == "miss"
    assert_cache_control(first.headers["cache-control"], "public", 300)
    assert "Accept-Language" in first.headers["vary"]

    executed = _executions(graph_url)
    second = _get(graph_url, NEARBY, variables)
    assert second.headers["x-mychangsha-cache"] == "hit"
    assert second.content == first.content
    assert_cache_control(second.headers["cache-control"], "public", 300)
    assert _executions(graph_url) == executed

    english = httpx.get(
        f"{graph_url}/graphql",
        params={"query": NEARBY, "variables": json.dumps(variables)},
        headers={"accept-language": "en"},
        timeout=10,
    )
    assert english.headers["x-mychangsha-cache"] == "miss"  # another language, another entry


def _hot_answers(graph_url: str) -> float:
    text = httpx.get(f"{graph_url}/metrics", timeout=10).text
    found = re.search(r"^mychangsha_hot_answers_total (\S+)$", text, re.MULTILINE)
    assert found, "the hot lane's counter is exported"
    return float(found.group(1))


def test_a_repeated_public_get_is_answered_from_memory(graph_url: str) -> None:
    variables = {"near": _somewhere()}
    first = _get(graph_url, NEARBY, variables)
    assert _get(graph_url, NEARBY, variables).headers["x-mychangsha-cache"] == "hit"
    served = _hot_answers(graph_url)
    third = _get(graph_url, NEARBY, variables)
    assert _hot_answers(graph_url) == served + 1
    assert third.content == first.content
    assert (
        third.headers["content-type"]
        == first.headers["content-type"]
        == ("application/json; charset=utf-8")
    )
    assert third.headers["x-mychangsha-cache"] == "hit"
    assert_cache_control(third.headers["cache-control"], "public", 300)
    assert third.headers["vary"] == "Accept, Accept-Language, Origin"  # Origin: CORS
    assert third.headers["x-request-id"]
    english = httpx.get(
        f"{graph_url}/graphql",
        params={"query": NEARBY, "variables": json.dumps(variables)},
        headers={"accept-language": "en"},
        timeout=10,
    )
    assert english.headers["x-mychangsha-cache"] == "miss"  # never the Chinese answer
    assert _hot_answers(graph_url) == served + 1


def test_post_uses_the_cache_without_cache_control(graph_url: str) -> None:
    variables = {"near": _somewhere()}
    for expected in ("miss", "hit"):
        answer = httpx.post(
            f"{graph_url}/graphql", json={"query": NEARBY, "variables": variables}, timeout=10
        )
        assert answer.headers["x-mychangsha-cache"] == expected
        assert "cache-control" not in answer.headers


def test_uncacheable_operations_say_no_store(graph_url: str) -> None:
    # The home screen is kept per citizen: asked anonymously it has no one to be kept for.
    answer = _get(graph_url, "{ home { notices { id } } }", {})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert "x-mychangsha-cache" not in answer.headers


def test_private_answers_never_reach_another_citizen(people: Any, graph_url: str) -> None:
    (alice, alice_me), (bob, bob_me) = people(), people()
    first = _get(graph_url, ME, {}, alice.access_token)
    assert first.json()["data"]["me"]["id"] == alice_me["id"]
    assert_cache_control(first.headers["cache-control"], "private", 10)
    assert "Authorization" in first.headers["vary"]
    again = _get(graph_url, ME, {}, alice.access_token)
    assert again.headers["x-mychangsha-cache"] == "hit"
    assert again.json()["data"]["me"]["id"] == alice_me["id"]

    other = _get(graph_url, ME, {}, bob.access_token)
    assert other.headers["x-mychangsha-cache"] == "miss"
    assert other.json()["data"]["me"]["id"] == bob_me["id"]
    anonymous = _get(graph_url, ME, {})
    assert anonymous.json().get("data") is None or anonymous.json()["data"].get("me") is None
    assert anonymous.headers.get("x-mychangsha-cache") is None


def test_a_citizens_mutation_ends_their_private_answers(people: Any, graph_url: str) -> None:
    device, _ = people()
    assert _get(graph_url, ME, {}, device.access_token).headers["x-mychangsha-cache"] == "miss"
    assert _get(graph_url, ME, {}, device.access_token).headers["x-mychangsha-cache"] == "hit"
    added = device.post(
        """mutation { familyMemberAdd(input: {name: "赵小乐", idNumber: "430104201801010017",
        relation: CHILD}) { __typename } }"""
    )
    assert "errors" not in added, added
    assert _get(graph_url, ME, {}, device.access_token).headers["x-mychangsha-cache"] == "miss"


def test_a_reservation_ends_the_cached_places(people: Any, graph_url: str) -> None:
    device, me = people()
    day = open_day(device, after=3)
    variables = {"id": attraction_id(MUSEUM), "date": day.isoformat()}
    before = _get(graph_url, SLOTS, variables)
    assert _get(graph_url, SLOTS, variables).headers["x-mychangsha-cache"] == "hit"
    slot = next(
        s for s in before.json()["data"]["attraction"]["ticketSlots"] if s["start"] == "09:00"
    )
    order = reserve(device, MUSEUM, {"id": slot["id"]}, [me["id"]], uuid.uuid4().hex)
    assert order["__typename"] == "TicketOrder", order

    after = _get(graph_url, SLOTS, variables)
    assert after.headers["x-mychangsha-cache"] == "miss"
    fresh = next(
        s for s in after.json()["data"]["attraction"]["ticketSlots"] if s["start"] == "09:00"
    )
    assert fresh["remaining"] == slot["remaining"] - 1
    assert slot_at(device, MUSEUM, day, "09:00")["remaining"] == fresh["remaining"]
