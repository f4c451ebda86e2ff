"""An upstream down, slow or failing half its calls costs what needs it, nothing else, briefly.

Each upstream simulator gets each fault in turn, on a graph replica of our own (the session's
graph never trips): its breaker opens after two failures and stays open BREAKER_OPEN_SECONDS,
its read timeout is READ_TIMEOUT_SECONDS, and its Redis is its own, emptied before each call
so that cached reads really ask the upstream. For every pair the test proves, in this order:

1. the operation that needs the upstream answers 200 with a coded UPSTREAM_* error on the part
   that needs it and everything else it asked for (a mutation's one field is its whole answer,
   so there the coded error is the answer);
2. the breaker opens: /metrics says 2, and a call while it is open never reaches the simulator;
3. an unrelated operation keeps its p99 while the faulty one is still being called;
4. once the fault is lifted, the breaker closes after its open period, without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis

from mychangsha import embedded
from tests.api.hospital_journey import book_tomorrow, wait_until
from tests.api.identity_client import (
    Device,
    random_ip,
    random_person,
    random_phone,
    verified_device,
)
from tests.api.test_home import HOME
from tests.conftest import SimulatorAdmin
from tests.faults.harness import (
    answer,
    assert_not_slower,
    breaker_state,
    kept_busy,
    latencies,
    post,
    refused_by_breaker,
)
from tests.support.graphs import extra_graph

BREAKER_OPEN_SECONDS = 0.3
READ_TIMEOUT_SECONDS = 0.3
SAMPLES = 25
BUSY_PAUSE_SECONDS = 0.05  # between calls of the faulty operation while latency is measured

FAULTS: Mapping[str, dict[str, Any]] = {
    "down": {"down": True},
    "slow": {"latencyMs": 1000},  # well beyond the read timeout
    "flaky": {"errorRate": 0.5},
}
# What the first failures of each fault must be called; later ones may be the breaker's refusal.
FIRST_CODE = {
    "down": "UPSTREAM_UNAVAILABLE",
    "slow": "UPSTREAM_TIMEOUT",
    "flaky": "UPSTREAM_UNAVAILABLE",
}
UPSTREAM_CODES = frozenset({"UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT"})

ATTRACTIONS = "{ attractions(first: 5) { edges { node { id name district } } } }"
HOSPITALS = "{ hospitals(first: 5) { edges { node { id name address } } } }"
CROWDS = "{ attractions(first: 3) { edges { node { id name crowdLevel } } } }"
BILLS = "{ myBills { id status } }"
PAY = """mutation($bill: ID!) { billPay(billId: $bill, channel: WECHAT) {
  __typename ... on PaymentOrder { id amountFen } } }"""
REQUEST_CODE = "mutation($phone: String!) { authOtpRequest(phone: $phone) { __typename } }"
WECHAT_LOGIN = """mutation($code: String!) { authWechatLogin(code: $code) { __typename } }"""
VERIFY = """mutation($name: String!, $id: String!) {
  citizenVerifyRealName(name: $name, idNumber: $id) { __typename } }"""


@dataclass
class FaultGraph:
    """The graph replica under test and the citizens who use it."""

    url: str
    redis: redis.Redis
    public: httpx.Client  # anonymous, for the operations under test
    bystander: httpx.Client  # anonymous, for the unrelated operation (its own connections)
    patient: Device  # level 2, with an appointment (so a bill) at `hospital_code`
    newcomer: Device  # level 1: signed in, real name not yet verified
    hospital_code: str
    wechat: SimulatorAdmin  # issues mini-program login codes (its admin API is never faulted)
    spent_bills: set[str] = field(default_factory=set)

    def forget_cached_reads(self) -> None:
        """Empty this replica's Redis, so the next read asks its upstream."""
        self.redis.flushdb()

    def unpaid_bill(self) -> str:
        """A bill no payment order was placed for yet; booking again issues a new one."""
        for _ in range(5):
            body = answer(post(self.patient.http, BILLS, headers=self.headers()))
            for bill in body["data"]["myBills"]:
                if bill["status"] == "UNPAID" and bill["id"] not in self.spent_bills:
                    return str(bill["id"])
            book_tomorrow(self.patient)
        raise AssertionError("booking issued no new bill")

    def headers(self) -> dict[str, str]:
        """The patient's credentials and address."""
        return {
            "authorization": f"Bearer {self.patient.access_token}",
            "x-forwarded-for": self.patient.ip,
        }


# --- what each upstream is needed for ---------------------------------------------------------


def _coded(errors: list[dict[str, Any]], upstream: str) -> list[dict[str, Any]]:
    for error in errors:
        assert error["extensions"]["code"] in UPSTREAM_CODES, error
        assert error["extensions"]["upstream"] == upstream, error
        assert error["message"], error
    return errors


def home(graph: FaultGraph) -> dict[str, Any]:
    """The signed-in home screen: bills (hospital), notices (government), crowds (tourism)."""
    return answer(post(graph.patient.http, HOME, {"near": None}, graph.headers()))


def home_without(section: str) -> Callable[[dict[str, Any], str], list[dict[str, Any]]]:
    """Check a home screen: `section` may be null with coded errors, every other is there."""

    def check(body: dict[str, Any], upstream: str) -> list[dict[str, Any]]:
        screen = body["data"]["home"]
        errors = body.get("errors") or []
        assert all(e["path"] == ["home", section] for e in errors), errors
        expected = {
            "billsToPay": bool(screen["billsToPay"]),
            "notices": bool(screen["notices"]),
            "recommendedAttractions": bool(screen["recommendedAttractions"]),
            "the rest": screen["applicationsNeedingSupplement"] == []
            and screen["ticketsToday"] == []
            and screen["appointmentsToday"] == []
            and isinstance(screen["unreadNotifications"], int),
        }
        expected[section] = screen[section] is None if errors else bool(screen[section])
        assert all(expected.values()), (expected, body)
        return _coded(errors, upstream)

    return check


def crowds(graph: FaultGraph) -> dict[str, Any]:
    """Attractions from the graph's mirror with their live crowd level from the platform."""
    return answer(post(graph.public, CROWDS))


def check_crowds(body: dict[str, Any], upstream: str) -> list[dict[str, Any]]:
    """Names always; a crowd level, or null with a coded error at that very field."""
    nodes = [edge["node"] for edge in body["data"]["attractions"]["edges"]]
    assert len(nodes) == 3 and all(node["name"] for node in nodes), body
    errors = body.get("errors") or []
    failed = {tuple(e["path"]) for e in errors}
    for index, node in enumerate(nodes):
        path = ("attractions", "edges", index, "node", "crowdLevel")
        assert (node["crowdLevel"] is None) == (path in failed), body
    assert len(failed) == len(errors), errors
    return _coded(errors, upstream)


def pay(graph: FaultGraph) -> dict[str, Any]:
    """Pay an unpaid bill: the gateway places the order (the hospital is asked for the bill)."""
    bill = graph.unpaid_bill()
    body = answer(post(graph.patient.http, PAY, {"bill": bill}, graph.headers()))
    if not body.get("errors"):
        graph.spent_bills.add(bill)  # its order is placed: paying it again asks nobody
    return body


def request_code(graph: FaultGraph) -> dict[str, Any]:
    """Ask for a sign-in code for a new phone from a new address: the SMS gateway sends it."""
    headers = {"x-forwarded-for": random_ip()}
    return answer(post(graph.public, REQUEST_CODE, {"phone": random_phone()}, headers))


def wechat_login(graph: FaultGraph) -> dict[str, Any]:
    """A mini-program signs in with a fresh login code: WeChat turns it into an openid."""
    code = graph.wechat.http.post("/__admin/login-codes", json={}).raise_for_status().json()
    headers = {"x-forwarded-for": random_ip()}
    return answer(post(graph.public, WECHAT_LOGIN, {"code": code["code"]}, headers))


def verify_real_name(graph: FaultGraph) -> dict[str, Any]:
    """Check a name and ID number nobody registered: the verification service says no."""
    name, id_number = random_person()
    headers = {
        "authorization": f"Bearer {graph.newcomer.access_token}",
        "x-forwarded-for": graph.newcomer.ip,
    }
    return answer(post(graph.public, VERIFY, {"name": name, "id": id_number}, headers))


def mutation(field: str, typename: str) -> Callable[[dict[str, Any], str], list[dict[str, Any]]]:
    """Check a one-field mutation: its typed result, or no data and one coded error."""

    def check(body: dict[str, Any], upstream: str) -> list[dict[str, Any]]:
        errors = body.get("errors") or []
        if not errors:
            assert body["data"][field]["__typename"] == typename, body
            return []
        assert body["data"] is None and [e["path"] for e in errors] == [[field]], body
        return _coded(errors, upstream)

    return check


@dataclass(frozen=True)
class Need:
    """What one upstream is needed for, and an operation that does not need it."""

    simulator: str
    breaker: str  # its label on /metrics; `{hospital}` is the patient's hospital code
    routes: frozenset[str]  # the simulator routes the operation calls
    run: Callable[[FaultGraph], dict[str, Any]]
    check: Callable[[dict[str, Any], str], list[dict[str, Any]]]
    unrelated: str


NEEDS = {
    "hospital": Need(
        "hospital",
        "hospital-{hospital}",
        frozenset({"GET /fhir/{hospital}/Invoice"}),
        home,
        home_without("billsToPay"),
        ATTRACTIONS,
    ),
    "government": Need(
        "government",
        "government",
        frozenset({"GET /v1/notices"}),
        home,
        home_without("notices"),
        ATTRACTIONS,
    ),
    "tourism": Need(
        "tourism", "tourism", frozenset({"GET /v1/crowd"}), crowds, check_crowds, HOSPITALS
    ),
    "payment": Need(
        "payment",
        "payment",
        frozenset({"POST /v3/pay/transactions/app"}),
        pay,
        mutation("billPay", "PaymentOrder"),
        ATTRACTIONS,
    ),
    "sms": Need(
        "sms",
        "sms",
        frozenset({"POST /v1/messages"}),
        request_code,
        mutation("authOtpRequest", "OtpSent"),
        ATTRACTIONS,
    ),
    "realname": Need(
        "realname",
        "realname",
        frozenset({"POST /v1/verifications"}),
        verify_real_name,
        mutation("citizenVerifyRealName", "VerificationFailed"),
        ATTRACTIONS,
    ),
    "wechat": Need(
        "wechat",
        "wechat",
        frozenset({"GET /sns/jscode2session"}),
        wechat_login,
        mutation("authWechatLogin", "PhoneBindingRequired"),
        ATTRACTIONS,
    ),
}


# --- the replica ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_graph(
    graph_url: str,  # its start fills the catalogue mirrors this replica reads
    graph_env: dict[str, str],
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
    wechat_simulator: SimulatorAdmin,
) -> Iterator[FaultGraph]:
    """A replica with a touchy breaker, a short timeout and a Redis of its own."""
    cache = embedded.start_redis()
    try:
        with (
            extra_graph(
                graph_env,
                REDIS_URL=embedded.redis_uri(cache.port),
                UPSTREAM_BREAKER_THRESHOLD="2",
                UPSTREAM_BREAKER_COOLDOWN=str(BREAKER_OPEN_SECONDS),
                UPSTREAM_READ_TIMEOUT=str(READ_TIMEOUT_SECONDS),
                UPSTREAM_RETRIES="1",
                RESPONSE_CACHE="false",  # every answer is worked out, none replayed
                GOVERNMENT_POLL_SECONDS="3600",  # only the operations under test call upstreams
            ) as url,
            redis.Redis(port=cache.port) as client,
            httpx.Client(base_url=url, timeout=20) as public,
            httpx.Client(base_url=url, timeout=20) as bystander,
        ):
            patient, _ = verified_device(url, sms_simulator.base_url, realname_simulator.base_url)
            newcomer = Device(url, sms_simulator.base_url)
            try:
                newcomer.sign_in()
                code = book_tomorrow(patient)["hospitalCode"]
                yield FaultGraph(
                    url, client, public, bystander, patient, newcomer, code, wechat_simulator
                )
            finally:
                patient.close()
                newcomer.close()
    finally:
        cache.stop()


# --- the steps --------------------------------------------------------------------------------


def _reached(simulator: SimulatorAdmin, routes: frozenset[str]) -> int:
    counters = simulator.counters()
    return sum(counters.get(route, 0) for route in routes)


def _unrelated(graph: FaultGraph, query: str) -> Callable[[], None]:
    def run() -> None:
        body = answer(post(graph.bystander, query))
        assert "errors" not in body, body

    return run


def _open_breaker(graph: FaultGraph, need: Need, breaker: str, codes: set[str]) -> None:
    """Call until the breaker opens, checking every answer and collecting its error codes."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        graph.forget_cached_reads()
        errors = need.check(need.run(graph), breaker)
        codes.update(e["extensions"]["code"] for e in errors)
        if breaker_state(graph.url, breaker) == 2:
            return
    raise AssertionError(f"the {breaker} breaker never opened; codes seen: {codes}")


def _refused_while_open(
    graph: FaultGraph, need: Need, breaker: str, simulator: SimulatorAdmin, fault: str
) -> None:
    """While the breaker is open, a call fails at once and never reaches the simulator.

    A call made after the open period is let through as the breaker's probe (it reaches the
    simulator and is not counted as refused): such a round proves nothing and is repeated.
    """
    codes: set[str] = set()
    for _ in range(10):
        _open_breaker(graph, need, breaker, codes)
        assert FIRST_CODE[fault] in codes, codes
        reached = _reached(simulator, need.routes)
        refused = refused_by_breaker(graph.url, breaker)
        graph.forget_cached_reads()
        errors = need.check(need.run(graph), breaker)
        if refused_by_breaker(graph.url, breaker) == refused:
            continue
        assert {e["extensions"]["code"] for e in errors} == {"UPSTREAM_UNAVAILABLE"}, errors
        assert _reached(simulator, need.routes) == reached
        return
    raise AssertionError("every call came after the breaker's open period")


def _recover(graph: FaultGraph, need: Need, breaker: str, simulator: SimulatorAdmin) -> None:
    """With the fault lifted, calls succeed again and the breaker is closed."""
    reached = _reached(simulator, need.routes)

    def healed() -> bool | None:
        graph.forget_cached_reads()
        errors = need.check(need.run(graph), breaker)
        return True if not errors and breaker_state(graph.url, breaker) == 0 else None

    wait_until(healed, timeout=BREAKER_OPEN_SECONDS + 10, interval=0.1)
    assert _reached(simulator, need.routes) > reached


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("upstream", list(NEEDS))
def test_a_faulty_upstream_costs_only_what_needs_it_and_its_breaker_recovers(
    upstream: str, fault: str, fault_graph: FaultGraph, request: pytest.FixtureRequest
) -> None:
    need = NEEDS[upstream]
    simulator: SimulatorAdmin = request.getfixturevalue(f"{need.simulator}_simulator")
    breaker = need.breaker.format(hospital=fault_graph.hospital_code)
    unrelated = _unrelated(fault_graph, need.unrelated)
    before = latencies(unrelated, SAMPLES)

    simulator.set_faults(**FAULTS[fault])
    try:
        _refused_while_open(fault_graph, need, breaker, simulator, fault)
        with kept_busy(lambda: need.run(fault_graph), pause=BUSY_PAUSE_SECONDS):
            during = latencies(unrelated, SAMPLES)
    finally:
        simulator.set_faults()

    _recover(fault_graph, need, breaker, simulator)
    assert_not_slower(during, before)
