"""Sign-in, refresh rotation, reuse detection and logout, over real HTTP against the app."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator

import pytest

from tests.api.identity_client import ME, Device, error_codes, random_phone, skip_resend_wait
from tests.conftest import SimulatorAdmin


@pytest.fixture
def device(graph_url: str, sms_simulator: SimulatorAdmin) -> Iterator[Device]:
    client = Device(graph_url, sms_simulator.base_url)
    yield client
    client.close()


def test_whole_phone_flow(device: Device) -> None:
    phone = random_phone()
    sent = device.request_code(phone)
    assert sent == {"__typename": "OtpSent", "expiresInSeconds": 300, "retryAfterSeconds": 60}
    session = device.login(phone, device.latest_code(phone))
    assert session["__typename"] == "AuthSession"
    assert session["expiresIn"] == 900 and session["citizen"]["verificationLevel"] == 1

    me = device.post(ME)["data"]["me"]
    assert me["id"] == session["citizen"]["id"]
    assert me["maskedPhone"] == f"{phone[:3]}****{phone[-4:]}"
    assert me["maskedIdNumber"] is None and me["name"] is None

    first_refresh = device.refresh_token
    renewed = device.refresh()
    assert renewed["__typename"] == "AuthSession"
    assert renewed["refreshToken"] != first_refresh
    assert device.post(ME)["data"]["me"]["id"] == me["id"]

    # The spent token comes back: somebody else has it, so the whole session ends.
    reused = device.refresh(first_refresh)
    assert reused["__typename"] == "InvalidRefreshToken"
    body = device.post(ME)
    assert body["data"] is None and error_codes(body) == ["UNAUTHENTICATED"]
    assert device.refresh(renewed["refreshToken"])["__typename"] == "InvalidRefreshToken"


def test_signing_in_again_finds_the_same_citizen(device: Device, redis_url: str) -> None:
    phone = random_phone()
    first = device.sign_in(phone)
    skip_resend_wait(redis_url, phone)
    other = Device(str(device.http.base_url), str(device.sms.base_url))
    try:
        second = other.sign_in(phone)
    finally:
        other.close()
    assert first["citizen"]["id"] == second["citizen"]["id"]
    assert first["accessToken"] != second["accessToken"]


def test_logout_ends_the_session_at_once(device: Device) -> None:
    device.sign_in()
    assert device.post("mutation { authLogout }")["data"] == {"authLogout": True}
    body = device.post(ME)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert device.refresh()["__typename"] == "InvalidRefreshToken"


def test_me_without_a_token_is_unauthenticated(device: Device) -> None:
    body = device.post(ME)
    assert body["data"] is None and error_codes(body) == ["UNAUTHENTICATED"]
    assert error_codes(device.post("mutation { authLogout }")) == ["UNAUTHENTICATED"]


def test_racing_refreshes_with_one_token_let_at_most_one_through(device: Device) -> None:
    device.sign_in()
    token = device.refresh_token
    assert token is not None

    def attempt(_: int) -> str:
        racer = Device(str(device.http.base_url), str(device.sms.base_url), ip=device.ip)
        try:
            return str(racer.refresh(token)["__typename"])
        finally:
            racer.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("AuthSession") <= 1
    assert outcomes.count("InvalidRefreshToken") >= 7
    # A racing loser presented a spent token: the session is revoked for everyone.
    assert error_codes(device.post(ME)) == ["UNAUTHENTICATED"]


def test_invalid_phone_is_typed(device: Device) -> None:
    result = device.request_code("12345")
    assert result["__typename"] == "InvalidInput" and result["field"] == "phone"
