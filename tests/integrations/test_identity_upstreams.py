"""The identity upstreams' clients (SMS, WeChat login, real-name) against their simulators.

Each client talks to its simulator over real HTTP through the shared `UpstreamClient` with a
real redis-server, so the tests see what production sees: retries, breaker, error types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import uuid4

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from mychangsha.cache import redis as redis_cache
from mychangsha.integrations.errors import (
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from mychangsha.integrations.realname import RealNameClient, RealNameResult
from mychangsha.integrations.sms import SmsClient
from mychangsha.integrations.wechat import (
    WechatApiError,
    WechatClient,
    WechatCodeRejected,
    WechatSession,
)
from mychangsha.simulators import realname, sms, wechat
from mychangsha.simulators.realname.data import (
    ADULTS,
    DEREGISTERED,
    ELDERLY,
    MINORS,
    NAME_CHANGED,
    RECORDS,
    RecordStatus,
)
from mychangsha.simulators.registry import (
    SIMULATORS,
    SimulatorSpec,
    UnknownSimulator,
    build_simulator,
    default_base_url,
)
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

START = datetime(2025, 5, 14, 3, 0, tzinfo=UTC)
PHONE = "13800138000"


@dataclass
class Simulator:
    """A simulator served in this process: its base URL and a sync client for its controls."""

    url: str
    admin: httpx.Client

    def count(self, route: str) -> int:
        """Requests that reached one API route."""
        by_route: dict[str, int] = self.admin.get("/__admin/counters").json()["byRoute"]
        return by_route.get(route, 0)

    def faults(self, **faults: Any) -> None:
        """Inject faults (keys as the admin API names them)."""
        self.admin.put("/__admin/faults", json=faults).raise_for_status()


@pytest.fixture(scope="module")
def wechat_clock() -> MutableClock:
    return MutableClock(START)


def _serve(app: Starlette) -> Iterator[Simulator]:
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as admin:
        yield Simulator(url, admin)


@pytest.fixture(scope="module")
def sms_sim() -> Iterator[Simulator]:
    yield from _serve(sms.create_app())


@pytest.fixture(scope="module")
def wechat_sim(wechat_clock: MutableClock) -> Iterator[Simulator]:
    yield from _serve(wechat.create_app(clock=wechat_clock))


@pytest.fixture(scope="module")
def realname_sim() -> Iterator[Simulator]:
    yield from _serve(realname.create_app())


@pytest.fixture(autouse=True)
def _fresh_simulators(
    sms_sim: Simulator,
    wechat_sim: Simulator,
    realname_sim: Simulator,
    wechat_clock: MutableClock,
) -> None:
    wechat_clock.current = START
    for simulator in (sms_sim, wechat_sim, realname_sim):
        simulator.admin.post("/__admin/reset").raise_for_status()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """The production Redis client settings against the session's redis-server, emptied."""
    client = redis_cache.connect(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


class MakeUpstream(Protocol):
    def __call__(self, simulator: Simulator, **config: Any) -> UpstreamClient: ...


@pytest.fixture
async def make_upstream(redis: Redis) -> AsyncIterator[MakeUpstream]:
    """Upstream clients with a unique name each (isolated metrics), closed after the test."""
    made: list[UpstreamClient] = []

    def make(simulator: Simulator, **config: Any) -> UpstreamClient:
        fields: dict[str, Any] = {"name": f"id-{uuid4().hex[:10]}", "backoff_base": 0.001}
        fields.update(config)
        client = UpstreamClient(UpstreamConfig(base_url=simulator.url, **fields), redis)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


# --- SMS --------------------------------------------------------------------------------------


def _outbox(sms_sim: Simulator, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = sms_sim.admin.get("/outbox", params=params).json()["items"]
    return items


async def test_a_login_code_reaches_the_outbox(
    sms_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = SmsClient(make_upstream(sms_sim))
    message_id = await client.send_login_code(
        PHONE, "482915", valid_minutes=5, idempotency_key="otp:1"
    )
    [item] = _outbox(sms_sim, phone=PHONE)
    assert item["id"] == message_id
    assert item["params"] == {"code": "482915", "minutes": "5"}
    assert item["text"] == "【我的长沙】您的登录验证码为482915，5分钟内有效。请勿泄露给他人。"


async def test_a_repeated_send_with_the_same_key_texts_once(
    sms_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = SmsClient(make_upstream(sms_sim))
    first = await client.send_login_code(PHONE, "111111", valid_minutes=5, idempotency_key="k")
    again = await client.send_login_code(PHONE, "111111", valid_minutes=5, idempotency_key="k")
    other = await client.send_login_code(PHONE, "222222", valid_minutes=5, idempotency_key="k2")
    assert first == again != other
    assert [item["params"]["code"] for item in _outbox(sms_sim)] == ["222222", "111111"]
    assert sms_sim.count("POST /v1/messages") == 3


async def test_the_outbox_is_newest_first_per_phone(
    sms_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = SmsClient(make_upstream(sms_sim), sign_name="我的长沙")
    sends = [(PHONE, "100001"), ("15973112345", "200002"), (PHONE, "300003")]
    for n, (phone, code) in enumerate(sends):
        await client.send_login_code(phone, code, valid_minutes=10, idempotency_key=f"n{n}")
    assert [i["params"]["code"] for i in _outbox(sms_sim)] == ["300003", "200002", "100001"]
    assert [i["params"]["code"] for i in _outbox(sms_sim, phone=PHONE)] == ["300003", "100001"]


async def test_an_invalid_phone_is_rejected_once_not_retried(
    sms_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = SmsClient(make_upstream(sms_sim, retries=2))
    with pytest.raises(UpstreamRejected) as caught:
        await client.send_login_code("12345", "123456", valid_minutes=5, idempotency_key="bad")
    assert caught.value.status == 400
    assert caught.value.body["error"]["code"] == "INVALID_PHONE"
    assert sms_sim.count("POST /v1/messages") == 1
    assert _outbox(sms_sim) == []


async def test_a_gateway_that_is_down_is_retried_then_unavailable(
    sms_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    sms_sim.faults(down=True)
    client = SmsClient(make_upstream(sms_sim, retries=2))
    with pytest.raises(UpstreamUnavailable):
        await client.send_login_code(PHONE, "123456", valid_minutes=5, idempotency_key="down")
    assert sms_sim.count("POST /v1/messages") == 3, "keyed sends are idempotent: retried"
    sms_sim.faults()
    await client.send_login_code(PHONE, "123456", valid_minutes=5, idempotency_key="down")
    assert len(_outbox(sms_sim)) == 1


async def test_sms_arguments_are_checked_before_any_request(
    sms_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = SmsClient(make_upstream(sms_sim))
    with pytest.raises(ValueError, match="one minute"):
        await client.send_login_code(PHONE, "123456", valid_minutes=0, idempotency_key="k")
    with pytest.raises(ValueError, match="idempotency key"):
        await client.send_login_code(PHONE, "123456", valid_minutes=5, idempotency_key="")
    assert sms_sim.count("POST /v1/messages") == 0


# --- WeChat -----------------------------------------------------------------------------------


def _wx_login(wechat_sim: Simulator, **body: Any) -> dict[str, Any]:
    response = wechat_sim.admin.post("/__admin/login-codes", json=body)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _wechat(upstream: UpstreamClient, **credentials: str) -> WechatClient:
    given = {"app_id": wechat.DEV_APP_ID, "app_secret": wechat.DEV_APP_SECRET, **credentials}
    return WechatClient(upstream, **given)


async def test_a_code_signs_the_user_in(wechat_sim: Simulator, make_upstream: MakeUpstream) -> None:
    login = _wx_login(wechat_sim, openid="o-citizen-zhangwei")
    session = await _wechat(make_upstream(wechat_sim)).code_to_session(login["code"])
    assert session == WechatSession(openid="o-citizen-zhangwei", unionid=login["unionid"])
    assert session.unionid is not None
    assert not hasattr(session, "session_key")


async def test_no_unionid_when_the_app_has_no_open_platform(
    wechat_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    code = _wx_login(wechat_sim, unionid=None)["code"]
    session = await _wechat(make_upstream(wechat_sim)).code_to_session(code)
    assert session.unionid is None


async def test_a_code_is_single_use(wechat_sim: Simulator, make_upstream: MakeUpstream) -> None:
    client = _wechat(make_upstream(wechat_sim))
    code = _wx_login(wechat_sim)["code"]
    await client.code_to_session(code)
    with pytest.raises(WechatCodeRejected) as caught:
        await client.code_to_session(code)
    assert caught.value.errcode == 40163
    assert caught.value.errmsg.startswith("code been used")
    assert not isinstance(caught.value, UpstreamError)


async def test_unknown_and_expired_codes_are_rejected(
    wechat_sim: Simulator, wechat_clock: MutableClock, make_upstream: MakeUpstream
) -> None:
    client = _wechat(make_upstream(wechat_sim))
    with pytest.raises(WechatCodeRejected) as unknown:
        await client.code_to_session("never-issued")
    assert unknown.value.errcode == 40029
    code = _wx_login(wechat_sim)["code"]
    wechat_clock.current = START + timedelta(minutes=5)
    with pytest.raises(WechatCodeRejected) as expired:
        await client.code_to_session(code)
    assert expired.value.errcode == 40029


async def test_an_empty_code_is_rejected_without_a_request(
    wechat_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    with pytest.raises(WechatCodeRejected) as caught:
        await _wechat(make_upstream(wechat_sim)).code_to_session("")
    assert caught.value.errcode == 41008
    assert wechat_sim.count("GET /sns/jscode2session") == 0


@pytest.mark.parametrize(
    ("credentials", "errcode"),
    [({"app_secret": "wrong-secret"}, 40125), ({"app_id": "wx-somebody-else"}, 40013)],
)
async def test_wrong_credentials_are_our_misconfiguration(
    wechat_sim: Simulator,
    make_upstream: MakeUpstream,
    credentials: dict[str, str],
    errcode: int,
) -> None:
    client = _wechat(make_upstream(wechat_sim), **credentials)
    code = _wx_login(wechat_sim)["code"]
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.code_to_session(code)
    assert isinstance(caught.value, WechatApiError)
    assert caught.value.errcode == errcode
    assert caught.value.misconfigured
    assert caught.value.code == "UPSTREAM_UNAVAILABLE"
    assert "wrong-secret" not in str(caught.value)
    # The code was not spent: with the right credentials it still works.
    assert (await _wechat(make_upstream(wechat_sim)).code_to_session(code)).openid


async def test_wechats_minute_quota_is_an_outage(
    wechat_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    wechat_sim.admin.put("/__admin/quota", json={"perMinute": 0}).raise_for_status()
    code = _wx_login(wechat_sim)["code"]
    with pytest.raises(WechatApiError) as caught:
        await _wechat(make_upstream(wechat_sim)).code_to_session(code)
    assert caught.value.errcode == 45011
    assert not caught.value.misconfigured


async def test_an_exchange_is_never_retried_and_never_leaks_the_secret(
    wechat_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    wechat_sim.faults(down=True)
    client = _wechat(make_upstream(wechat_sim, retries=2))
    code = _wx_login(wechat_sim)["code"]
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.code_to_session(code)
    assert wechat_sim.count("GET /sns/jscode2session") == 1, "single-use code: one attempt"
    assert wechat.DEV_APP_SECRET not in str(caught.value)
    assert code not in str(caught.value)
    assert "/sns/jscode2session" in str(caught.value)
    wechat_sim.faults()
    assert (await client.code_to_session(code)).openid, "the refused attempt spent nothing"


async def test_a_slow_exchange_times_out_once(
    wechat_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    wechat_sim.faults(latencyMs=600)
    client = _wechat(make_upstream(wechat_sim, retries=2, read_timeout=0.2))
    code = _wx_login(wechat_sim)["code"]
    with pytest.raises(UpstreamTimeout) as caught:
        await client.code_to_session(code)
    assert wechat.DEV_APP_SECRET not in str(caught.value)
    assert wechat_sim.count("GET /sns/jscode2session") == 1


async def test_exchanges_are_never_cached(
    wechat_sim: Simulator, make_upstream: MakeUpstream, redis: Redis
) -> None:
    client = _wechat(make_upstream(wechat_sim))
    for _ in range(2):
        await client.code_to_session(_wx_login(wechat_sim)["code"])
    assert wechat_sim.count("GET /sns/jscode2session") == 2
    # other processes of the session share this Redis: only this test's clients matter
    assert await redis.keys("mychangsha:up:id-*") == []


def test_the_client_needs_credentials() -> None:
    upstream: Any = object()
    with pytest.raises(ValueError, match="appid and secret"):
        WechatClient(upstream, app_id="wx", app_secret="")


# --- real-name --------------------------------------------------------------------------------


async def test_every_record_verifies_as_its_status_says(
    realname_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = RealNameClient(make_upstream(realname_sim))
    expected = {
        RecordStatus.ACTIVE: RealNameResult.MATCH,
        RecordStatus.NAME_CHANGED: RealNameResult.MISMATCH,
        RecordStatus.DEREGISTERED: RealNameResult.NOT_FOUND,
    }
    for record in RECORDS:
        assert await client.verify(record.name, record.id_number) == expected[record.status]
    assert realname_sim.count("POST /v1/verifications") == len(RECORDS)


async def test_match_mismatch_and_not_found(
    realname_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = RealNameClient(make_upstream(realname_sim))
    adult, child, parent = ADULTS[0], MINORS[0], ELDERLY[0]
    assert await client.verify(adult.name, adult.id_number) is RealNameResult.MATCH
    assert await client.verify(child.name, child.id_number) is RealNameResult.MATCH
    assert await client.verify(parent.name, parent.id_number) is RealNameResult.MATCH
    assert await client.verify(child.name, adult.id_number) is RealNameResult.MISMATCH
    assert await client.verify(NAME_CHANGED.name, NAME_CHANGED.id_number) is (
        RealNameResult.MISMATCH
    )
    assert await client.verify(DEREGISTERED.name, DEREGISTERED.id_number) is (
        RealNameResult.NOT_FOUND
    )
    assert await client.verify("张三", "430102199003071234") is RealNameResult.NOT_FOUND


async def test_a_lower_case_x_is_sent_as_x(
    realname_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    person = next(r for r in RECORDS if r.verifies and r.id_number.endswith("X"))
    client = RealNameClient(make_upstream(realname_sim))
    assert await client.verify(person.name, person.id_number.lower()) is RealNameResult.MATCH


async def test_a_malformed_number_is_rejected(
    realname_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    client = RealNameClient(make_upstream(realname_sim, retries=2))
    with pytest.raises(UpstreamRejected) as caught:
        await client.verify("张伟", "4301021985")
    assert caught.value.status == 400
    assert realname_sim.count("POST /v1/verifications") == 1


async def test_a_service_that_is_down_is_unavailable(
    realname_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    realname_sim.faults(down=True)
    client = RealNameClient(make_upstream(realname_sim, retries=2))
    person = ADULTS[0]
    with pytest.raises(UpstreamUnavailable):
        await client.verify(person.name, person.id_number)
    assert realname_sim.count("POST /v1/verifications") == 3, "a pure check is retried"


async def test_a_record_added_by_a_test_verifies(
    realname_sim: Simulator, make_upstream: MakeUpstream
) -> None:
    new = {"name": "龙小溪", "idNumber": "430104200803150021"}
    realname_sim.admin.put("/__admin/records", json=new).raise_for_status()
    client = RealNameClient(make_upstream(realname_sim))
    assert await client.verify(new["name"], new["idNumber"]) is RealNameResult.MATCH


# --- the registry -----------------------------------------------------------------------------


def test_every_simulator_has_a_fixed_port_of_its_own() -> None:
    ports = {name: spec.default_port for name, spec in SIMULATORS.items()}
    assert {"tourism": 8101, "sms": 8102, "wechat": 8103, "realname": 8104}.items() <= ports.items()
    assert len(set(ports.values())) == len(ports), "two simulators share a port"
    assert all(isinstance(spec, SimulatorSpec) for spec in SIMULATORS.values())
    assert default_base_url("wechat") == "http://127.0.0.1:8103"
    with pytest.raises(UnknownSimulator, match=r"known: .*realname, sms, tourism"):
        default_base_url("no-such-upstream")


@pytest.mark.parametrize("name", ["sms", "wechat", "realname"])
def test_the_registry_builds_the_identity_simulators(name: str) -> None:
    app = build_simulator(name)
    assert isinstance(app, Starlette)
    assert app.state.simulator.name == name
