"""Session-wide real services: MongoDB-compatible server, redis-server, simulators, the graph."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mychangsha import embedded
from tests import calendar_sweep
from tests.support.graphs import extra_graph
from tests.support.servers import free_port, serve_process

_SIMS = ("tourism", "sms", "wechat", "realname", "hospital", "payment", "government")


@pytest.fixture(scope="session", autouse=True)
def calendar_clock(request: pytest.FixtureRequest) -> None:
    """In the calendar sweep, move every process's clock to the point once the stack is up.

    Outside the sweep (no `MYCHANGSHA_CALENDAR_AT`), nothing happens. In it, the stack came up
    a few minutes before the point; this moves the shared libfaketime offset so the tests begin
    at the point itself, and waits until every process has read the new offset.
    """
    point = os.environ.get(calendar_sweep.POINT_ENV)
    if point is None:
        return
    graph_url = request.getfixturevalue("graph_url")  # the whole stack, before the point
    offset_file = Path(os.environ[calendar_sweep.OFFSET_FILE_ENV])
    current = float(offset_file.read_text())
    real_now = datetime.now(UTC) - timedelta(seconds=current)
    calendar_sweep.write_offset(
        offset_file, (datetime.fromisoformat(point) - real_now).total_seconds()
    )
    # A process re-reads the offset once more than REREAD_SECONDS whole seconds have passed
    # since its last read; uvicorn refreshes its Date header once a second.
    time.sleep(2 * calendar_sweep.REREAD_SECONDS + 1.5)
    # Every process must now live at the point: the graph, each simulator (their HTTP Date
    # headers come from their own clocks) and this one.
    at = datetime.fromisoformat(point)
    servers = {"graph": graph_url}
    servers |= {name: request.getfixturevalue(f"{name}_simulator").base_url for name in _SIMS}
    for name, url in servers.items():
        served = parsedate_to_datetime(httpx.get(f"{url}/healthz", timeout=10).headers["date"])
        assert abs((served - at).total_seconds()) < 30, (name, served, at)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 30


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[embedded.ChildProcess]:
    """One SecantusDB process for the whole run, in memory."""
    child = embedded.start_mongo(None)
    yield child
    child.stop()


@pytest.fixture(scope="session")
def mongo_url(mongo_server: embedded.ChildProcess) -> str:
    """Connection string of the session's MongoDB-compatible server."""
    return embedded.mongo_uri(mongo_server.port)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[embedded.ChildProcess]:
    """One redis-server process for the whole run; tests may stop and restart it."""
    child = embedded.start_redis()
    yield child
    child.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: embedded.ChildProcess) -> str:
    """Connection string of the session's redis-server."""
    return embedded.redis_uri(redis_server.port)


# --- upstream simulators and the graph, each a real process on a free port -----------------


class SimulatorAdmin:
    """Drives a simulator's admin endpoints: counters, faults, resets."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def reset(self) -> None:
        """Counters, faults and overrides back to zero."""
        self.http.post("/__admin/reset").raise_for_status()

    def counters(self) -> dict[str, int]:
        """Requests that reached the simulator, by `METHOD /route/template`."""
        body = self.http.get("/__admin/counters").raise_for_status().json()
        return dict(body["byRoute"])

    def count(self, route: str) -> int:
        """Requests that reached one route."""
        return self.counters().get(route, 0)

    def set_faults(self, **faults: Any) -> None:
        """Inject latency, errors or downtime (keys as the admin API names them)."""
        self.http.put("/__admin/faults", json=faults).raise_for_status()


def _simulator(name: str) -> Iterator[SimulatorAdmin]:
    port = free_port()
    argv = [sys.executable, "-m", "mychangsha", "simulate", name, "--port", str(port)]
    with serve_process(argv, port, health_path="/healthz"):
        admin = SimulatorAdmin(f"http://127.0.0.1:{port}")
        yield admin
        admin.http.close()


@pytest.fixture(scope="session")
def tourism_simulator() -> Iterator[SimulatorAdmin]:
    """The tourism platform simulator in its own process."""
    yield from _simulator("tourism")


@pytest.fixture(scope="session")
def sms_simulator() -> Iterator[SimulatorAdmin]:
    """The SMS gateway simulator, whose outbox tests read codes from."""
    yield from _simulator("sms")


@pytest.fixture(scope="session")
def wechat_simulator() -> Iterator[SimulatorAdmin]:
    """WeChat's code2session, with an admin endpoint playing the phone's wx.login()."""
    yield from _simulator("wechat")


@pytest.fixture(scope="session")
def realname_simulator() -> Iterator[SimulatorAdmin]:
    """The real-name verification service with its own records."""
    yield from _simulator("realname")


@pytest.fixture(scope="session")
def hospital_simulator() -> Iterator[SimulatorAdmin]:
    """Every hospital's FHIR R4 server, one base URL per hospital under /fhir/{code}."""
    yield from _simulator("hospital")


@pytest.fixture(scope="session")
def government_simulator() -> Iterator[SimulatorAdmin]:
    """The government-service platform, pushing signed status webhooks to the graph."""
    yield from _simulator("government")


@pytest.fixture(scope="session")
def payment_simulator() -> Iterator[SimulatorAdmin]:
    """The WeChat-Pay-style gateway, which calls the graph back with signed notifications."""
    yield from _simulator("payment")


GRAPH_TEST_SETTINGS: Mapping[str, str] = {
    "ENVIRONMENT": "test",
    "UPSTREAM_READ_TIMEOUT": "0.5",
    "UPSTREAM_CONNECT_TIMEOUT": "0.5",
    "UPSTREAM_RETRIES": "1",
    # The breaker has its own tests; here it must not trip across unrelated tests.
    "UPSTREAM_BREAKER_THRESHOLD": "1000",
    "GRAPHQL_IDE": "true",
    "SIGNING_KEY_CACHE_SECONDS": "1",
    "QUEUE_POLL_SECONDS": "0.3",
    "GOVERNMENT_POLL_SECONDS": "1",
    "CROWD_POLL_SECONDS": "0.5",
    # Reminder jobs (tomorrow's appointments, unpaid bills, today's tickets) every 2 s.
    "REMINDER_POLL_SECONDS": "3600",  # tests run the jobs by hand or on a replica
    # A fixed test key: 32 bytes, base64.
    "MASTER_KEY": "bXljaGFuZ3NoYS10ZXN0LW1hc3Rlci1rZXktMzJieXQ=",
    "WECHAT_APP_ID": "wx-mychangsha-dev",
    "WECHAT_APP_SECRET": "dev-wechat-secret",
    # One access line per request would bury a failure's output; tests/observability reads
    # the lines of a graph of its own.
    "LOG_LEVEL": "WARNING",
    # Tests speak for many clients by sending X-Forwarded-For, as a proxy would.
    "TRUSTED_PROXY_HOPS": "1",
    # The suite runs far more operations a minute than any client; the operation limits are
    # tested on a graph of their own (tests/api/test_abuse_limits.py).
    "OPERATION_RATE_PER_IP": "1000000",
    "OPERATION_RATE_PER_CITIZEN": "1000000",
}


@pytest.fixture(scope="session")
def graph_env(
    mongo_url: str,
    redis_url: str,
    tourism_simulator: SimulatorAdmin,
    sms_simulator: SimulatorAdmin,
    wechat_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    government_simulator: SimulatorAdmin,
) -> dict[str, str]:
    """The environment of the graph process (also for CLI commands against the same data)."""
    from mychangsha.integrations.payment import generate_merchant_key_pem

    port = free_port()
    return {
        **os.environ,
        **GRAPH_TEST_SETTINGS,
        "MONGODB_URI": mongo_url,
        "MONGODB_DATABASE": "mychangsha_test",
        "REDIS_URL": redis_url,
        "TOURISM_BASE_URL": tourism_simulator.base_url,
        "SMS_BASE_URL": sms_simulator.base_url,
        "WECHAT_BASE_URL": wechat_simulator.base_url,
        "REALNAME_BASE_URL": realname_simulator.base_url,
        "HOSPITAL_DIRECTORY_URL": f"{hospital_simulator.base_url}/directory",
        "PAYMENT_BASE_URL": payment_simulator.base_url,
        "GOVERNMENT_BASE_URL": government_simulator.base_url,
        "PAYMENT_MERCHANT_PRIVATE_KEY": generate_merchant_key_pem().decode(),
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }


@pytest.fixture(scope="session")
def graph_url(graph_env: dict[str, str]) -> Iterator[str]:
    """The graph served by uvicorn in its own process, wired to the session's real services."""
    port = int(graph_env["PORT"])
    env = graph_env
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    with serve_process(argv, port, health_path="/healthz", env=env):
        yield f"http://127.0.0.1:{port}"


class GraphClient:
    """A GraphQL client over real HTTP."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=20)

    def post(
        self, query: str, variables: Mapping[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        """POST a document and return the raw response."""
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = dict(variables)
        return self.http.post("/graphql", json=payload, headers=headers)

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST a document; the JSON body, asserting the HTTP exchange itself succeeded."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="session")
def graph(graph_url: str) -> Iterator[GraphClient]:
    """A client of the session's graph."""
    client = GraphClient(graph_url)
    yield client
    client.http.close()


PRODUCTION_OPERATIONS_PER_IP = 5
PRODUCTION_OPERATIONS_PER_CITIZEN = 3


@pytest.fixture(scope="session")
def production_url(graph_env: dict[str, str], graph_url: str) -> Iterator[str]:
    """A graph with production settings on the session's data, with budgets a test can exhaust.

    Trusted documents are off, so arbitrary documents reach validation: the hardening must
    hold on its own. One process for the whole run, shared by every module that needs it.
    """
    env = {key: value for key, value in graph_env.items() if key != "GRAPHQL_IDE"}
    with extra_graph(
        env,
        ENVIRONMENT="production",
        TRUSTED_DOCUMENTS_ONLY="false",
        OPERATION_RATE_PER_IP=str(PRODUCTION_OPERATIONS_PER_IP),
        OPERATION_RATE_PER_CITIZEN=str(PRODUCTION_OPERATIONS_PER_CITIZEN),
    ) as url:
        yield url
