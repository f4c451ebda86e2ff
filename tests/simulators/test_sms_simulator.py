"""The SMS gateway simulator over real HTTP: templates, idempotency keys, the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mychangsha.simulators.sms import create_app
from mychangsha.simulators.sms.data import TEMPLATES
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

START = datetime(2025, 5, 14, 3, 0, tzinfo=UTC)  # 11:00 in Changsha
PHONE = "13800138000"
OTHER_PHONE = "15973112345"


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(START)


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock) -> Iterator[httpx.Client]:
    """A client of the simulator, reset and at the start time before each test."""
    clock.current = START
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def login_code(phone: str = PHONE, code: str = "123456", minutes: str = "5") -> dict[str, Any]:
    return {
        "phone": phone,
        "signName": "我的长沙",
        "template": "LOGIN_CODE",
        "params": {"code": code, "minutes": minutes},
    }


def send(http: httpx.Client, body: Any, key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return http.post("/v1/messages", json=body, headers=headers)


def outbox(http: httpx.Client, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        http.get("/outbox", params=params).raise_for_status().json()["items"]
    )
    return items


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


# --- sending ----------------------------------------------------------------------------------


def test_a_login_code_is_queued_rendered_and_kept_in_the_outbox(http: httpx.Client) -> None:
    response = send(http, login_code())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["messageId"].startswith("sms-")
    assert "idempotent-replayed" not in response.headers
    [item] = outbox(http)
    assert item == {
        "id": body["messageId"],
        "phone": PHONE,
        "signName": "我的长沙",
        "template": "LOGIN_CODE",
        "params": {"code": "123456", "minutes": "5"},
        "text": "【我的长沙】您的登录验证码为123456，5分钟内有效。请勿泄露给他人。",
        "sentAt": "2025-05-14T11:00:00.000+08:00",
    }


def test_every_template_renders_with_its_signature(http: httpx.Client) -> None:
    params = {
        "CHANGE_PHONE_CODE": {"code": "8K2Q", "minutes": "10"},
        "APPOINTMENT_REMINDER": {
            "hospital": "中南大学湘雅医院",
            "department": "心血管内科",
            "time": "5月15日 08:30",
        },
        "APPLICATION_UPDATE": {
            "service": "新生儿出生一件事",
            "number": "CS2025051400012",
            "status": "已办结",
        },
    }
    assert set(params) | {"LOGIN_CODE"} == set(TEMPLATES)
    for template, values in params.items():
        body = {"phone": PHONE, "signName": "我的长沙", "template": template, "params": values}
        assert send(http, body).status_code == 202, template
    texts = [item["text"] for item in outbox(http)]
    assert texts == [
        "【我的长沙】您办理的新生儿出生一件事（受理编号CS2025051400012）有新进展：已办结。"
        "详情请查看我的长沙App。",
        "【我的长沙】您已预约中南大学湘雅医院心血管内科，就诊时间5月15日 08:30，"
        "请提前15分钟到院签到。",
        "【我的长沙】您正在更换绑定手机，验证码为8K2Q，10分钟内有效。如非本人操作，请忽略本短信。",
    ]


@pytest.mark.parametrize(
    "phone",
    [
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # no network starts with 12
        "23800138000",
        "+8613800138000",  # the gateway takes national numbers only
        "138 0013 8000",
        "1380013800a",
        "１３８００１３８０００",  # full-width digits
        "",
    ],
)
def test_only_mainland_mobiles_are_accepted(http: httpx.Client, phone: str) -> None:
    _error(send(http, login_code(phone=phone)), 400, "INVALID_PHONE")
    assert outbox(http) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"template": "WELCOME"}, "UNKNOWN_TEMPLATE"),
        ({"signName": "长沙银行"}, "UNKNOWN_SIGN_NAME"),
        ({"params": {"code": "123456"}}, "INVALID_PARAMS"),
        ({"params": {"code": "123456", "minutes": "5", "name": "x"}}, "INVALID_PARAMS"),
        ({"params": {"code": "12", "minutes": "5"}}, "INVALID_PARAMS"),
        ({"params": {"code": "123456", "minutes": "0"}}, "INVALID_PARAMS"),
        ({"params": {"code": 123456, "minutes": "5"}}, "BAD_REQUEST"),
        ({"phone": 13800138000}, "BAD_REQUEST"),
        ({"extra": True}, "BAD_REQUEST"),
    ],
)
def test_bad_messages_are_400_and_send_nothing(
    http: httpx.Client, change: dict[str, Any], code: str
) -> None:
    _error(send(http, {**login_code(), **change}), 400, code)
    assert outbox(http) == []


@pytest.mark.parametrize("missing", ["phone", "signName", "template"])
def test_missing_fields_are_400(http: httpx.Client, missing: str) -> None:
    body = login_code()
    del body[missing]
    response = send(http, body)
    _error(response, 400, "BAD_REQUEST")
    assert missing in response.json()["error"]["message"]


def test_a_body_that_is_not_a_json_object_is_400(http: httpx.Client) -> None:
    _error(http.post("/v1/messages", content=b"phone=138"), 400, "BAD_REQUEST")
    _error(http.post("/v1/messages", json=[login_code()]), 400, "BAD_REQUEST")


# --- idempotency ------------------------------------------------------------------------------


def test_a_repeated_idempotency_key_answers_the_first_message_and_sends_nothing(
    http: httpx.Client,
) -> None:
    first = send(http, login_code(), key="login:abc")
    again = send(http, login_code(), key="login:abc")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(outbox(http)) == 1
    other = send(http, login_code(), key="login:def")
    assert other.json()["messageId"] != first.json()["messageId"]
    assert len(outbox(http)) == 2
    counters = http.get("/__admin/counters").json()
    assert counters == {"total": 3, "byRoute": {"POST /v1/messages": 3}}


def test_a_key_reused_for_another_message_is_422(http: httpx.Client) -> None:
    send(http, login_code(code="111111"), key="k1").raise_for_status()
    _error(send(http, login_code(code="222222"), key="k1"), 422, "IDEMPOTENCY_KEY_REUSED")
    assert [item["params"]["code"] for item in outbox(http)] == ["111111"]


def test_without_a_key_every_send_is_a_new_message(http: httpx.Client) -> None:
    ids = {send(http, login_code()).json()["messageId"] for _ in range(3)}
    assert len(ids) == 3
    assert len(outbox(http)) == 3


def test_a_refused_send_does_not_bind_its_key(http: httpx.Client) -> None:
    _error(send(http, login_code(phone="123"), key="k2"), 400, "INVALID_PHONE")
    assert send(http, login_code(), key="k2").status_code == 202


@pytest.mark.parametrize("key", ["", "x" * 256, "键"])
def test_malformed_idempotency_keys_are_400(http: httpx.Client, key: str) -> None:
    # Bytes, so a non-ASCII key reaches the wire as UTF-8 instead of failing in httpx.
    response = http.post(
        "/v1/messages", json=login_code(), headers={b"Idempotency-Key": key.encode()}
    )
    _error(response, 400, "BAD_REQUEST")


# --- the outbox -------------------------------------------------------------------------------


def test_the_outbox_is_newest_first_filters_by_phone_and_limits(
    http: httpx.Client, clock: MutableClock
) -> None:
    for minute, (phone, code) in enumerate(
        [(PHONE, "100001"), (OTHER_PHONE, "200002"), (PHONE, "300003"), (OTHER_PHONE, "400004")]
    ):
        clock.current = START + timedelta(minutes=minute)
        send(http, login_code(phone=phone, code=code)).raise_for_status()
    everything = outbox(http)
    assert [item["params"]["code"] for item in everything] == [
        "400004",
        "300003",
        "200002",
        "100001",
    ]
    assert [item["sentAt"] for item in everything] == sorted(
        (item["sentAt"] for item in everything), reverse=True
    )
    assert [item["params"]["code"] for item in outbox(http, phone=PHONE)] == ["300003", "100001"]
    assert [item["params"]["code"] for item in outbox(http, phone=PHONE, limit="1")] == ["300003"]
    assert [item["params"]["code"] for item in outbox(http, limit="3")] == [
        "400004",
        "300003",
        "200002",
    ]
    assert outbox(http, phone="13900000000") == []


def test_the_default_limit_is_twenty(http: httpx.Client) -> None:
    for n in range(25):
        send(http, login_code(code=f"{n:06d}")).raise_for_status()
    items = outbox(http)
    assert len(items) == 20
    assert items[0]["params"]["code"] == "000024"
    assert len(outbox(http, limit="1000")) == 25


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", ""])
def test_bad_limits_are_400(http: httpx.Client, limit: str) -> None:
    _error(http.get("/outbox", params={"limit": limit}), 400, "BAD_REQUEST")


def test_delete_clears_the_outbox_but_keys_still_dedupe(http: httpx.Client) -> None:
    first = send(http, login_code(), key="k3").json()["messageId"]
    send(http, login_code(phone=OTHER_PHONE)).raise_for_status()
    assert http.delete("/outbox").json() == {"deleted": 2}
    assert outbox(http) == []
    assert send(http, login_code(), key="k3").json()["messageId"] == first
    assert outbox(http) == []


def test_reset_clears_the_outbox_and_the_keys(http: httpx.Client) -> None:
    first = send(http, login_code(), key="k4").json()["messageId"]
    http.post("/__admin/reset").raise_for_status()
    assert outbox(http) == []
    assert send(http, login_code(), key="k4").json()["messageId"] != first
    assert len(outbox(http)) == 1


def test_the_outbox_is_neither_counted_nor_faulted(http: httpx.Client) -> None:
    send(http, login_code()).raise_for_status()
    http.put("/__admin/faults", json={"down": True}).raise_for_status()
    _error(send(http, login_code()), 503, "SERVICE_UNAVAILABLE")
    assert len(outbox(http)) == 1
    http.delete("/outbox").raise_for_status()
    assert http.get("/__admin/counters").json() == {
        "total": 2,
        "byRoute": {"POST /v1/messages": 2},
    }


def test_two_simulators_have_their_own_outbox(http: httpx.Client) -> None:
    with serve_in_thread(create_app()) as other:
        httpx.post(f"{other}/v1/messages", json=login_code()).raise_for_status()
        assert outbox(http) == []
        assert len(httpx.get(f"{other}/outbox").json()["items"]) == 1


def test_registered_sign_names_are_configurable() -> None:
    with serve_in_thread(create_app(sign_names=["长沙医保"])) as url:
        body = {**login_code(), "signName": "长沙医保"}
        assert httpx.post(f"{url}/v1/messages", json=body).status_code == 202
        refused = httpx.post(f"{url}/v1/messages", json=login_code())
        _error(refused, 400, "UNKNOWN_SIGN_NAME")
        [item] = httpx.get(f"{url}/outbox").json()["items"]
        assert item["text"].startswith("【长沙医保】您的登录验证码为")


def test_openapi_describes_every_route_and_its_refs_resolve(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    for path, methods in {
        "/v1/messages": {"post"},
        "/outbox": {"get", "delete"},
        "/__admin/faults": {"get", "put"},
        "/__admin/reset": {"post"},
    }.items():
        assert methods <= set(document["paths"][path]), path
    assert set(
        document["components"]["schemas"]["SendMessage"]["properties"]["template"]["enum"]
    ) == set(TEMPLATES)
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node: Any = document
        for key in ref.split("/"):
            node = node[key]
