"""The five scenarios and their baselines, each measured the same way.

A measurement is a warm-up run, then several runs whose medians are reported, with the
worker's peak RSS reset before them and the simulators' request counters read around them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

from bench import wrk
from bench.burst import burst, http_post
from bench.citizens import BenchCitizen
from bench.graph_client import (
    GraphClient,
    address,
    citizen_headers,
    global_id,
    operation,
    sha256,
)
from bench.stack import Server, Stack, peak_rss_mb, reset_peak_rss

SHANGHAI = ZoneInfo("Asia/Shanghai")
WARM_UP_SECONDS = 2
RUN_SECONDS = 4
RUNS = 3
CONNECTIONS = 32

# The centre of Changsha: 五一广场.
CITY_CENTRE = {"lat": 28.1963, "lng": 112.9770}
NEAR_QUERY = {"near": CITY_CENTRE, "radiusKm": 15.0, "first": 10}

CATALOGUE = """
query($id: ID!, $date: Date!) { hospital(id: $id) { departments { doctors {
  id slots(date: $date) { id available remaining capacity } } } } }"""


@dataclass
class Measured:
    """One row of the table."""

    scenario: str
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float
    upstream_per_op: float
    requests: int
    notes: dict[str, Any] = field(default_factory=dict)


def today() -> date:
    """Today in Changsha."""
    return datetime.now(SHANGHAI).date()


def upstream_total(stack: Stack) -> int:
    """Requests that reached the simulators' API routes so far."""
    total = 0
    for url in stack.simulators.values():
        total += int(httpx.get(f"{url}/__admin/counters", timeout=10).json()["total"])
    return total


def measure(
    stack: Stack,
    scenario: str,
    server: Server,
    requests: Sequence[wrk.HttpRequest],
    *,
    connections: int = CONNECTIONS,
    delay_ms: float = 0.0,
) -> Measured:
    """Warm up, then the median of several wrk runs against one server."""
    wrk.run(server.url, requests, seconds=WARM_UP_SECONDS, connections=connections)
    reset_peak_rss(server.pid)
    before = upstream_total(stack)
    runs = [
        wrk.run(
            server.url, requests, seconds=RUN_SECONDS, connections=connections, delay_ms=delay_ms
        )
        for _ in range(RUNS)
    ]
    upstream = upstream_total(stack) - before
    total = sum(r.requests for r in runs)
    return Measured(
        scenario=scenario,
        server=server.name,
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        peak_rss_mb=peak_rss_mb(server.pid),
        upstream_per_op=upstream / total if total else 0.0,
        requests=total,
    )


def post(name: str, variables: dict[str, Any], headers: dict[str, str]) -> wrk.HttpRequest:
    """A POST of a client operation."""
    body = orjson.dumps({"query": operation(name), "operationName": name, "variables": variables})
    return wrk.HttpRequest(
        "POST", "/graphql", {**headers, "content-type": "application/json"}, body.decode()
    )


# --- 1. public persisted query, cache warm ----------------------------------------------------


def persisted_get_path(name: str, variables: dict[str, Any]) -> str:
    """The APQ GET of a registered operation: hash, variables and name in the query string."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(operation(name))}}
    query = urllib.parse.urlencode(
        {
            "operationName": name,
            "variables": json.dumps(variables, separators=(",", ":")),
            "extensions": json.dumps(extensions, separators=(",", ":")),
        }
    )
    return f"/graphql?{query}"


def prepare_public_query(graph: Server, body_file: Path) -> wrk.HttpRequest:
    """Register NearbyAttractions (APQ), warm its cache, keep its answer's bytes."""
    client = GraphClient(graph.url)
    try:
        client.http.post(
            "/graphql",
            json={
                "query": operation("NearbyAttractions"),
                "operationName": "NearbyAttractions",
                "variables": NEAR_QUERY,
                "extensions": {
                    "persistedQuery": {
                        "version": 1,
                        "sha256Hash": sha256(operation("NearbyAttractions")),
                    }
                },
            },
            headers={"accept": "application/json"},
        ).raise_for_status()
        path = persisted_get_path("NearbyAttractions", NEAR_QUERY)
        headers = {"accept": "application/json"}
        client.http.get(path, headers=headers).raise_for_status()  # a miss stores the answer
        answer = client.http.get(path, headers=headers)
        if answer.headers.get("x-mychangsha-cache") != "hit":
            raise RuntimeError(f"the public query is not served from the cache: {answer.headers}")
        body_file.write_bytes(answer.content)
    finally:
        client.close()
    return wrk.HttpRequest("GET", path, headers)


def public_query(
    stack: Stack, graph: Server, bare: Server, naive: Server, request: wrk.HttpRequest
) -> list[Measured]:
    """Scenario 1 against the graph, the bare endpoint and the naive graph (POST, no APQ)."""
    naive_request = post("NearbyAttractions", NEAR_QUERY, {"accept": "application/json"})
    return [
        measure(stack, "1 public persisted query", graph, [request]),
        measure(stack, "1 public persisted query", bare, [request]),
        measure(stack, "1 public persisted query", naive, [naive_request]),
    ]


# --- hospital fixtures ------------------------------------------------------------------------


def free_slots(client: GraphClient, code: str, day: date, token: str) -> list[tuple[str, str]]:
    """(doctor id, slot id) of every place still free at a hospital on a day."""
    body = client.http.post(
        "/graphql",
        json={
            "query": CATALOGUE,
            "variables": {"id": global_id("Hospital", code), "date": day.isoformat()},
        },
        headers=citizen_headers(token, "10.254.0.1"),
    ).json()
    if body.get("errors"):
        raise RuntimeError(f"catalogue of {code}: {body['errors']}")
    return [
        (doctor["id"], slot["id"])
        for department in body["data"]["hospital"]["departments"]
        for doctor in department["doctors"]
        for slot in doctor["slots"]
        if slot["available"] and slot["remaining"] == slot["capacity"]
    ]


def book_at(
    client: GraphClient, citizen: BenchCitizen, ip: str, codes: Sequence[str], day: date
) -> None:
    """One appointment for the citizen at each hospital on a day (the next free place)."""
    for code in codes:
        for _, slot in free_slots(client, code, day, citizen.token):
            result = client.book(slot, citizen.global_id, citizen.token, ip)
            if result["__typename"] == "Appointment":
                break
            # Taken since the list was read, or a rule of the hospital's: try the next place.
            if result["__typename"] not in ("SlotUnavailable", "AppointmentConflict"):
                raise RuntimeError(f"booking at {code} for the benchmark failed: {result}")
        else:
            raise RuntimeError(f"no free place at {code} on {day}")


# --- 2. authenticated HomeScreen --------------------------------------------------------------

HOME_HOSPITALS = ("xiangya", "cssyy")


def prepare_home(graph: Server, citizens: Sequence[BenchCitizen]) -> list[wrk.HttpRequest]:
    """Citizens with appointments at two hospitals; their HomeScreen requests, caches warm."""
    client = GraphClient(graph.url)
    requests = []
    try:
        for index, citizen in enumerate(citizens):
            ip = address(10_000 + index)
            book_at(client, citizen, ip, HOME_HOSPITALS, today() + timedelta(days=1))
            headers = citizen_headers(citizen.token, ip)
            requests.append(post("HomeScreen", {"near": CITY_CENTRE}, headers))
            body = client.run("HomeScreen", {"near": CITY_CENTRE}, token=citizen.token, ip=ip)
            if body.get("errors"):
                raise RuntimeError(f"HomeScreen answered errors: {body['errors']}")
    finally:
        client.close()
    return requests


def home_screen(
    stack: Stack, graph: Server, naive: Server, requests: Sequence[wrk.HttpRequest]
) -> list[Measured]:
    """Scenario 2: the graph and the naive graph at full speed, then the graph at half of it."""
    full = measure(stack, "2 HomeScreen (signed in)", graph, requests)
    naive_full = measure(stack, "2 HomeScreen (signed in)", naive, requests)
    connections = 8
    target = full.rps / 2
    delay = max(1000 * connections / target - 1000 / full.rps, 0.0)
    half = measure(
        stack, "2 HomeScreen at half load", graph, requests, connections=connections, delay_ms=delay
    )
    if half.rps > 0.6 * full.rps or half.rps < 0.4 * full.rps:  # one correction of the pace
        delay = max(delay * half.rps / target, 0.0)
        half = measure(
            stack,
            "2 HomeScreen at half load",
            graph,
            requests,
            connections=connections,
            delay_ms=delay,
        )
    half.notes["target_rps"] = round(target, 1)
    return [full, naive_full, half]


# --- 3. doctor slots --------------------------------------------------------------------------

SLOT_HOSPITALS = ("xiangya2", "hnsrmyy")


def prepare_doctor_slots(
    graph: Server, citizen: BenchCitizen
) -> tuple[list[wrk.HttpRequest], list[str]]:
    """DoctorSlots requests rotating over up to 40 doctors for tomorrow; one doctor spared."""
    client = GraphClient(graph.url)
    try:
        doctors: list[str] = []
        for code in SLOT_HOSPITALS:
            doctors.extend(
                d for d, _ in free_slots(client, code, today() + timedelta(days=4), citizen.token)
            )
    finally:
        client.close()
    distinct = list(dict.fromkeys(doctors))
    day = (today() + timedelta(days=1)).isoformat()
    requests = [
        post("DoctorSlots", {"doctorId": d, "date": day}, citizen_headers(None, "10.253.0.1"))
        for d in distinct[1:41]
    ]
    return requests, distinct[:1]


def upstream_by_route(stack: Stack) -> dict[str, int]:
    """The simulators' counters by route."""
    routes: dict[str, int] = {}
    for name, url in stack.simulators.items():
        for route, count in (
            httpx.get(f"{url}/__admin/counters", timeout=10).json()["byRoute"].items()
        ):
            routes[f"{name} {route}"] = int(count)
    return routes


def cold_doctor_slots(stack: Stack, graph: Server, doctor_id: str) -> dict[str, int]:
    """Upstream requests of one DoctorSlots nobody asked before, by route."""
    before = upstream_by_route(stack)
    client = GraphClient(graph.url)
    try:
        client.data(
            "DoctorSlots",
            {"doctorId": doctor_id, "date": (today() + timedelta(days=5)).isoformat()},
        )
    finally:
        client.close()
    after = upstream_by_route(stack)
    return {
        route: after[route] - before.get(route, 0)
        for route in after
        if after[route] != before.get(route, 0)
    }


def doctor_slots(
    stack: Stack,
    graph: Server,
    naive: Server,
    requests: Sequence[wrk.HttpRequest],
    cold_doctor: str,
) -> list[Measured]:
    """Scenario 3: throughput over 40 doctors, and one cold operation's upstream requests."""
    cold = cold_doctor_slots(stack, graph, cold_doctor)
    rows = [
        measure(stack, "3 doctor slots", graph, requests),
        measure(stack, "3 doctor slots", naive, requests),
    ]
    rows[0].notes["cold_operation_upstream"] = cold
    return rows


# --- 4. booking stampede ----------------------------------------------------------------------

STAMPEDE_HOSPITALS = ("hnszlyy", "xiangya", "hnsrmyy", "xiangya2")
STAMPEDE_SLOTS = 20


def prepare_stampede(stack: Stack, graph: Server, citizen: BenchCitizen) -> list[str]:
    """Twenty slots with one place each."""
    client = GraphClient(graph.url)
    try:
        day = today() + timedelta(days=3)
        slots: list[str] = []
        for code in STAMPEDE_HOSPITALS:
            slots += [s for _, s in free_slots(client, code, day, citizen.token)]
    finally:
        client.close()
    if len(slots) < STAMPEDE_SLOTS:
        raise RuntimeError(f"only {len(slots)} free slots at {STAMPEDE_HOSPITALS}")
    slots = slots[:STAMPEDE_SLOTS]
    admin = stack.simulators["hospital"]
    for slot in slots:
        code, fhir_id = base64.b64decode(slot).decode().split(":", 1)[1].split("/")
        httpx.put(
            f"{admin}/__admin/slots/{code}/{fhir_id}", json={"capacity": 1}, timeout=10
        ).raise_for_status()
    return slots


def stampede(
    stack: Stack, graph: Server, citizens: Sequence[BenchCitizen], slots: Sequence[str]
) -> Measured:
    """Scenario 4: every citizen presses "book" at once, on one of the twenty slots."""
    host = graph.url.removeprefix("http://")
    payloads = []
    for index, citizen in enumerate(citizens):
        body = orjson.dumps(
            {
                "query": operation("BookAppointment"),
                "operationName": "BookAppointment",
                "variables": {
                    "input": {
                        "slotId": slots[index % len(slots)],
                        "patientId": citizen.global_id,
                        "idempotencyKey": f"bench-{index}-{time.time_ns()}",
                    }
                },
            }
        )
        headers = {
            "Authorization": f"Bearer {citizen.token}",
            "X-Forwarded-For": address(20_000 + index),
        }
        payloads.append(http_post(host, "/graphql", body, headers))
    reset_peak_rss(graph.pid)
    before = upstream_total(stack)
    started = time.perf_counter()
    answers = asyncio.run(burst(graph.url, payloads))
    elapsed = time.perf_counter() - started
    upstream = upstream_total(stack) - before
    outcomes: dict[str, int] = {}
    for answer in answers:
        kind = f"HTTP {answer.status}"
        if answer.status == 200:
            body = orjson.loads(answer.body)
            result = (body.get("data") or {}).get("appointmentBook")
            kind = (
                result["__typename"]
                if result
                else ",".join(
                    e.get("extensions", {}).get("code", "?") for e in body.get("errors", [])
                )
            )
        outcomes[kind] = outcomes.get(kind, 0) + 1
    booked_upstream = sum(
        len(
            httpx.get(
                f"{stack.simulators['hospital']}/__admin/appointments",
                params={"slotId": base64.b64decode(s).decode().split("/")[-1], "status": "booked"},
                timeout=10,
            ).json()["items"]
        )
        for s in slots
    )
    latencies = sorted(a.seconds for a in answers if a.status)
    server_errors = sum(1 for a in answers if a.status >= 500 or a.status == 0)
    return Measured(
        scenario="4 booking stampede",
        server=graph.name,
        rps=len(answers) / elapsed,
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[int(len(latencies) * 0.99) - 1],
        errors=server_errors,
        peak_rss_mb=peak_rss_mb(graph.pid),
        upstream_per_op=upstream / len(answers),
        requests=len(answers),
        notes={
            "outcomes": outcomes,
            "bookings_at_hospital": booked_upstream,
            "seconds": round(elapsed, 2),
        },
    )


# --- 5. myAppointments with one slow hospital -------------------------------------------------

FIVE_HOSPITALS = ("xiangya", "xiangya2", "xiangya3", "hnsrmyy", "cssyy")
SLOW_HOSPITAL = "xiangya3"
SLOW_MS = 2000


def prepare_five_hospitals(graph: Server, citizen: BenchCitizen) -> None:
    """One appointment at each of five hospitals."""
    client = GraphClient(graph.url)
    try:
        book_at(client, citizen, address(30_000), FIVE_HOSPITALS, today() + timedelta(days=2))
    finally:
        client.close()


def slow_hospital(stack: Stack, graph: Server, citizen: BenchCitizen) -> Measured:
    """Scenario 5: 40 answers (4 at a time, after a warm-up round) while one hospital takes 2 s."""
    admin = stack.simulators["hospital"]
    httpx.put(
        f"{admin}/__admin/faults",
        json={"latencyMs": SLOW_MS, "pathPrefix": f"/fhir/{SLOW_HOSPITAL}/"},
        timeout=10,
    ).raise_for_status()
    body = orjson.dumps(
        {"query": operation("MyAppointments"), "operationName": "MyAppointments", "variables": {}}
    )
    headers = {
        **citizen_headers(citizen.token, address(30_000)),
        "content-type": "application/json",
    }

    async def drive() -> list[tuple[float, dict[str, Any]]]:
        async with httpx.AsyncClient(base_url=graph.url, timeout=10) as http:

            async def one() -> tuple[float, dict[str, Any]]:
                started = time.perf_counter()
                answer = await http.post("/graphql", content=body, headers=headers)
                return time.perf_counter() - started, answer.json()

            await asyncio.gather(*(one() for _ in range(4)))  # warm-up: not measured
            results = []
            for _ in range(10):
                results.extend(await asyncio.gather(*(one() for _ in range(4))))
            return results

    reset_peak_rss(graph.pid)
    try:
        results = asyncio.run(drive())
    finally:
        httpx.put(f"{admin}/__admin/faults", json={}, timeout=10).raise_for_status()
    seconds = sorted(s for s, _ in results)
    partial = 0
    codes: dict[str, int] = {}
    for _, answer in results:
        edges = answer["data"]["myAppointments"]["edges"]
        nodes = [e["node"] for e in edges]
        if len(nodes) == len(FIVE_HOSPITALS) and sum(1 for n in nodes if n is None) == 1:
            partial += 1
        for error in answer.get("errors", []):
            code = error.get("extensions", {}).get("code", "?")
            codes[code] = codes.get(code, 0) + 1
    return Measured(
        scenario="5 myAppointments, one hospital 2 s",
        server=graph.name,
        rps=len(results) / sum(seconds) * 4,
        p50_ms=1000 * statistics.median(seconds),
        p99_ms=1000 * seconds[-1],
        errors=len(results) - partial,
        peak_rss_mb=peak_rss_mb(graph.pid),
        upstream_per_op=0.0,
        requests=len(results),
        notes={"partial_answers": partial, "error_codes": codes},
    )


def as_json(rows: Sequence[Measured]) -> list[dict[str, Any]]:
    """Rows for the results file."""
    return [asdict(r) for r in rows]
