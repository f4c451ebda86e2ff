"""Code brute force, resend and per-IP limits, mutation rate limits, WeChat sign-in, websockets."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.api.identity_client import ME, Device, error_codes, random_ip, random_phone
from tests.conftest import SimulatorAdmin


@pytest.fixture
def make_device(graph_url: str, sms_simulator: SimulatorAdmin) -> Iterator[Any]:
    devices: list[Device] = []

    def make(ip: str | None = None) -> Device:
        device = Device(graph_url, sms_simulator.base_url, ip=ip)
        devices.append(device)
        return device

    yield make
    for device in devices:
        device.close()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_burn_the_code(make_device: Any) -> None:
    device: Device = make_device()
    phone = random_phone()
    device.request_code(phone)
    code = device.latest_code(phone)
    left = [device.login(phone, _wrong(code))["attemptsLeft"] for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    # Even the right code is refused now: the attacker's tries used it up.
    after = device.login(phone, code)
    assert after["__typename"] == "InvalidCode" and after["attemptsLeft"] == 0


def test_parallel_guesses_get_five_tries_at_most(make_device: Any) -> None:
    device: Device = make_device()
    phone = random_phone()
    device.request_code(phone)
    code = device.latest_code(phone)
    guesses = [*[f"{n:06d}" for n in range(40) if f"{n:06d}" != code][:30], code]

    def guess(value: str) -> dict[str, Any]:
        racer: Device = make_device(ip=device.ip)
        return racer.login(phone, value)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(guess, guesses))
    assert all(o["__typename"] in {"InvalidCode", "AuthSession"} for o in outcomes), outcomes
    # Each try spent the code's counter atomically: every "tries left" value from 4 down to 1
    # was handed out at most once, and at most one of 31 racing guesses could sign in.
    left = [o["attemptsLeft"] for o in outcomes if o["__typename"] == "InvalidCode"]
    positive = [n for n in left if n > 0]
    assert len(positive) == len(set(positive)) and set(positive) <= {1, 2, 3, 4}
    assert [o["__typename"] for o in outcomes].count("AuthSession") <= 1


def test_a_code_signs_in_once_even_when_racing(make_device: Any) -> None:
    device: Device = make_device()
    phone = random_phone()
    device.request_code(phone)
    code = device.latest_code(phone)

    def login(_: int) -> str:
        racer: Device = make_device(ip=device.ip)
        return str(racer.login(phone, code)["__typename"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(login, range(5)))
    assert outcomes.count("AuthSession") == 1, outcomes


def test_resend_waits_a_minute(make_device: Any, sms_simulator: SimulatorAdmin) -> None:
    device: Device = make_device()
    phone = random_phone()
    assert device.request_code(phone)["__typename"] == "OtpSent"
    again = device.request_code(phone)
    assert again["__typename"] == "RateLimited" and 50 <= again["retryAfterSeconds"] <= 60
    outbox = httpx.get(f"{sms_simulator.base_url}/outbox", params={"phone": phone}).json()
    assert len(outbox["items"]) == 1


def test_one_address_cannot_spray_codes(make_device: Any) -> None:
    device: Device = make_device()
    results = [device.request_code(random_phone())["__typename"] for _ in range(32)]
    assert results[:30] == ["OtpSent"] * 30
    assert results[30:] == ["RateLimited", "RateLimited"]
    # Another address is unaffected.
    assert make_device().request_code(random_phone())["__typename"] == "OtpSent"


def test_mutations_are_rate_limited_per_address(make_device: Any) -> None:
    device: Device = make_device()
    codes = [error_codes(device.post("mutation { authLogout }")) for _ in range(125)]
    assert codes[0] == ["UNAUTHENTICATED"]
    limited = [c for c in codes if c == ["RATE_LIMITED"]]
    assert len(limited) >= 5
    body = device.post("mutation { authLogout }")
    assert body["errors"][0]["extensions"]["retryAfterSeconds"] >= 1


# --- WeChat mini-program sign-in --------------------------------------------------------------

WECHAT_LOGIN = """
mutation($code: String!) { authWechatLogin(code: $code) {
  __typename
  ... on AuthSession { accessToken citizen { id } }
  ... on PhoneBindingRequired { bindingToken }
  ... on InvalidWechatCode { message }
} }"""


def _wx_login(wechat: SimulatorAdmin, openid: str | None = None) -> str:
    body = {"openid": openid} if openid else {}
    response = wechat.http.post("/__admin/login-codes", json=body).raise_for_status()
    return str(response.json()["code"])


def test_wechat_user_binds_a_phone_once(make_device: Any, wechat_simulator: SimulatorAdmin) -> None:
    device: Device = make_device()
    code = _wx_login(wechat_simulator, openid="o-test-" + random_ip().replace(".", ""))
    first = device.post(WECHAT_LOGIN, {"code": code})["data"]["authWechatLogin"]
    assert first["__typename"] == "PhoneBindingRequired"

    phone = random_phone()
    device.request_code(phone)
    session = device.login(phone, device.latest_code(phone), binding=first["bindingToken"])
    assert session["__typename"] == "AuthSession"

    # The same code again: WeChat codes are single-use.
    reused = device.post(WECHAT_LOGIN, {"code": code})["data"]["authWechatLogin"]
    assert reused["__typename"] == "InvalidWechatCode"


def test_a_bound_wechat_user_signs_in_directly(
    make_device: Any, wechat_simulator: SimulatorAdmin
) -> None:
    device: Device = make_device()
    openid = "o-bound-" + random_ip().replace(".", "")
    binding = device.post(WECHAT_LOGIN, {"code": _wx_login(wechat_simulator, openid)})
    token = binding["data"]["authWechatLogin"]["bindingToken"]
    phone = random_phone()
    device.request_code(phone)
    session = device.login(phone, device.latest_code(phone), binding=token)
    citizen_id = session["citizen"]["id"]

    direct = device.post(WECHAT_LOGIN, {"code": _wx_login(wechat_simulator, openid)})
    result = direct["data"]["authWechatLogin"]
    assert result["__typename"] == "AuthSession" and result["citizen"]["id"] == citizen_id
    # The binding token was spent by the first sign-in.
    phone = random_phone()
    device.request_code(phone)
    again = device.login(phone, device.latest_code(phone), binding=token)
    assert again["__typename"] == "InvalidBindingToken"


# --- websockets -------------------------------------------------------------------------------


def _ws_url(graph_url: str) -> str:
    return graph_url.replace("http://", "ws://") + "/graphql"


def test_websocket_with_a_valid_token_runs_personal_operations(
    graph_url: str, make_device: Any
) -> None:
    device: Device = make_device()
    device.sign_in()
    with connect(_ws_url(graph_url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {device.access_token}"},
                }
            )
        )
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ME}}))
        message = json.loads(ws.recv(timeout=10))
        assert (
            message["type"] == "next" and message["payload"]["data"]["me"]["verificationLevel"] == 1
        )


def test_websocket_with_a_revoked_token_is_closed_4403(graph_url: str, make_device: Any) -> None:
    device: Device = make_device()
    device.sign_in()
    token = device.access_token
    device.post("mutation { authLogout }")
    with connect(_ws_url(graph_url), subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
