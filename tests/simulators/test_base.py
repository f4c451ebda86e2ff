"""The shared simulator shell over real HTTP: meta routes, counters, faults, reset, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    aware_now,
    create_simulator_app,
    system_clock,
)
from mychangsha.simulators.registry import SIMULATORS, UnknownSimulator, build_simulator
from tests.support.servers import serve_in_thread

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "toy", "version": "1"},
    "paths": {"/v1/things/{thing_id}": {"get": {"responses": {"200": {"description": "x"}}}}},
}


async def _thing(request: Request) -> Response:
    thing_id = request.path_params["thing_id"]
    if thing_id == "missing":
        raise ApiError(404, "no such thing")
    return OrjsonResponse({"id": thing_id})


async def _other(request: Request) -> Response:
    return OrjsonResponse({"other": True})


class ResetSpy:
    """Counts calls of the reset hook."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def _toy_app(spy: ResetSpy | None = None) -> Starlette:
    routes = [
        Route("/v1/things/{thing_id}", _thing, methods=["GET"]),
        Route("/v2/other", _other, methods=["GET", "POST"]),
    ]
    return create_simulator_app("toy", routes, OPENAPI, on_reset=spy, fault_seed=1)


@pytest.fixture(scope="module")
def spy() -> ResetSpy:
    return ResetSpy()


@pytest.fixture(scope="module")
def toy_url(spy: ResetSpy) -> Iterator[str]:
    with serve_in_thread(_toy_app(spy)) as url:
        yield url


@pytest.fixture
def http(toy_url: str) -> Iterator[httpx.Client]:
    """A client of the toy simulator, reset before each test."""
    with httpx.Client(base_url=toy_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_healthz_names_the_simulator(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok", "name": "toy"}


def test_openapi_keeps_the_simulators_paths_and_adds_the_shared_ones(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert "/v1/things/{thing_id}" in document["paths"]
    for path in ("/healthz", "/__admin/counters", "/__admin/faults", "/__admin/reset"):
        assert path in document["paths"]
    assert {"Error", "Faults", "Counters"} <= set(document["components"]["schemas"])


def test_counters_count_api_routes_by_template_only(http: httpx.Client) -> None:
    http.get("/v1/things/a")
    http.get("/v1/things/b")
    http.get("/v1/things/missing")
    http.post("/v2/other")
    for path in ("/healthz", "/openapi.json", "/__admin/faults", "/nowhere"):
        http.get(path)
    assert http.get("/__admin/counters").json() == {
        "total": 4,
        "byRoute": {"GET /v1/things/{thing_id}": 3, "POST /v2/other": 1},
    }


def test_errors_share_one_shape(http: httpx.Client) -> None:
    _assert_error(http.get("/nowhere"), 404, "NOT_FOUND")
    _assert_error(http.get("/v1/things/missing"), 404, "NOT_FOUND")
    response = http.delete("/v2/other")
    _assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]


def test_faults_default_to_none_and_put_replaces_them(http: httpx.Client) -> None:
    none = {"latencyMs": 0, "errorRate": 0.0, "down": False, "pathPrefix": None}
    assert http.get("/__admin/faults").json() == none
    http.put("/__admin/faults", json={"down": True, "latencyMs": 5}).raise_for_status()
    assert http.get("/__admin/faults").json() == {**none, "down": True, "latencyMs": 5}
    replaced = http.put("/__admin/faults", json={"errorRate": 0.25}).json()
    assert replaced == {**none, "errorRate": 0.25}


@pytest.mark.parametrize(
    "body",
    [
        {"latencyMs": -1},
        {"latencyMs": 1.5},
        {"latencyMs": "10"},
        {"errorRate": 1.5},
        {"errorRate": -0.1},
        {"down": "yes"},
        {"pathPrefix": 3},
        {"latency": 10},
        [],
    ],
)
def test_invalid_faults_are_rejected(http: httpx.Client, body: object) -> None:
    _assert_error(http.put("/__admin/faults", json=body), 400, "BAD_REQUEST")
    assert http.get("/__admin/faults").json()["latencyMs"] == 0


def test_faults_body_must_be_json(http: httpx.Client) -> None:
    response = http.put("/__admin/faults", content=b"{not json")
    _assert_error(response, 400, "BAD_REQUEST")


def test_down_answers_503_but_still_counts_and_spares_admin(http: httpx.Client) -> None:
    http.put("/__admin/faults", json={"down": True}).raise_for_status()
    _assert_error(http.get("/v1/things/a"), 503, "SERVICE_UNAVAILABLE")
    assert http.get("/healthz").status_code == 200
    assert http.get("/__admin/counters").json()["byRoute"] == {"GET /v1/things/{thing_id}": 1}
    _assert_error(http.get("/nowhere"), 404, "NOT_FOUND")


def test_error_rate_one_always_fails_and_zero_never(http: httpx.Client) -> None:
    http.put("/__admin/faults", json={"errorRate": 1}).raise_for_status()
    for _ in range(5):
        _assert_error(http.get("/v1/things/a"), 500, "INTERNAL_ERROR")
    http.put("/__admin/faults", json={"errorRate": 0}).raise_for_status()
    assert all(http.get("/v1/things/a").status_code == 200 for _ in range(5))


def test_partial_error_rate_fails_some_requests(http: httpx.Client) -> None:
    http.put("/__admin/faults", json={"errorRate": 0.5}).raise_for_status()
    statuses = {http.get("/v1/things/a").status_code for _ in range(40)}
    assert statuses == {200, 500}


def test_latency_delays_api_answers(http: httpx.Client) -> None:
    http.put("/__admin/faults", json={"latencyMs": 300}).raise_for_status()
    started = time.monotonic()
    assert http.get("/v1/things/a").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_path_prefix_restricts_faults(http: httpx.Client) -> None:
    http.put("/__admin/faults", json={"down": True, "pathPrefix": "/v2"}).raise_for_status()
    assert http.get("/v1/things/a").status_code == 200
    _assert_error(http.get("/v2/other"), 503, "SERVICE_UNAVAILABLE")


def test_reset_zeroes_counters_clears_faults_and_calls_the_hook(
    http: httpx.Client, spy: ResetSpy
) -> None:
    http.get("/v1/things/a")
    http.put("/__admin/faults", json={"down": True}).raise_for_status()
    before = spy.calls
    http.post("/__admin/reset").raise_for_status()
    assert spy.calls == before + 1
    assert http.get("/__admin/counters").json() == {"total": 0, "byRoute": {}}
    assert http.get("/__admin/faults").json()["down"] is False
    assert http.get("/v1/things/a").status_code == 200


def test_two_apps_in_one_process_are_independent() -> None:
    with serve_in_thread(_toy_app()) as first, serve_in_thread(_toy_app()) as second:
        httpx.put(f"{first}/__admin/faults", json={"down": True}).raise_for_status()
        assert httpx.get(f"{first}/v1/things/a").status_code == 503
        assert httpx.get(f"{second}/v1/things/a").status_code == 200
        assert httpx.get(f"{second}/__admin/faults").json()["down"] is False
        first_counts = httpx.get(f"{first}/__admin/counters").json()
        second_counts = httpx.get(f"{second}/__admin/counters").json()
        assert first_counts["total"] == second_counts["total"] == 1


def test_clocks_must_be_timezone_aware() -> None:
    assert system_clock().tzinfo is not None
    fixed = datetime(2025, 5, 14, 3, 0, tzinfo=UTC)
    assert aware_now(lambda: fixed) == fixed
    with pytest.raises(TypeError, match="timezone-aware"):
        aware_now(lambda: datetime(2025, 5, 14, 3, 0))


def test_registry_builds_known_simulators_and_names_them_on_error() -> None:
    assert "tourism" in SIMULATORS
    assert isinstance(build_simulator("tourism"), Starlette)
    with pytest.raises(UnknownSimulator, match=r"known: .*tourism") as caught:
        build_simulator("no-such-upstream")
    assert isinstance(caught.value, ValueError)
    assert caught.value.known == tuple(sorted(SIMULATORS))
