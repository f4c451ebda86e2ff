"""The payment gateway simulator over real HTTP: orders, paying, signed encrypted notifications.

Notifications are checked here with `cryptography` directly, not with the project's client,
so the simulator's wire format is pinned independently of the code that reads it.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mychangsha.simulators.payment import DEV_API_V3_KEY, DEV_APP_ID, DEV_MCH_ID, create_app
from mychangsha.simulators.payment.receiver import NOTIFY_PATH, NotifyReceiver, Received
from mychangsha.simulators.registry import SIMULATORS, build_simulator, default_base_url
from tests.support.servers import serve_in_thread

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
FAST = {"retrySchedule": [0.05, 0.05, 0.05]}


class MutableClock:
    """The real time shifted by `offset`; the simulator (in another thread) reads it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture(scope="module")
def receiver() -> NotifyReceiver:
    return NotifyReceiver()


@pytest.fixture(scope="module")
def notify_url(receiver: NotifyReceiver) -> Iterator[str]:
    with serve_in_thread(receiver.app) as url:
        yield url + NOTIFY_PATH


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock, receiver: NotifyReceiver) -> Iterator[httpx.Client]:
    """A client of the simulator, which is reset, with fast retries, before each test."""
    clock.offset = timedelta()
    with httpx.Client(base_url=base_url, timeout=10) as client:
        # The simulator first (cancelling the previous test's pending deliveries), then,
        # after any delivery already on the wire has landed, the receiver.
        client.post("/__admin/reset").raise_for_status()
        time.sleep(0.1)
        receiver.reset()
        client.put("/__admin/delivery", json=FAST).raise_for_status()
        yield client


def order(number: str, notify_url: str, *, total: int = 2350, **extra: Any) -> dict[str, Any]:
    return {
        "appid": DEV_APP_ID,
        "mchid": DEV_MCH_ID,
        "description": "湘雅医院-门诊缴费",
        "out_trade_no": number,
        "notify_url": notify_url,
        "amount": {"total": total, "currency": "CNY"},
        **extra,
    }


def place(http: httpx.Client, body: dict[str, Any], kind: str = "app") -> str:
    response = http.post(f"/v3/pay/transactions/{kind}", json=body)
    assert response.status_code == 200, response.text
    prepay_id: str = response.json()["prepay_id"]
    return prepay_id


def query(http: httpx.Client, number: str, mchid: str = DEV_MCH_ID) -> httpx.Response:
    return http.get(f"/v3/pay/transactions/out-trade-no/{number}", params={"mchid": mchid})


def wechat_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"]


def wait_for(receiver: NotifyReceiver, count: int, seconds: float = 5.0) -> list[Received]:
    deadline = time.monotonic() + seconds
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"{len(receiver.received)} of {count} arrived"
        time.sleep(0.01)
    return list(receiver.received)


def platform_keys(http: httpx.Client) -> dict[str, rsa.RSAPublicKey]:
    keys = {}
    for entry in http.get("/v3/certificates").raise_for_status().json()["data"]:
        key = serialization.load_pem_public_key(entry["public_key_pem"].encode())
        assert isinstance(key, rsa.RSAPublicKey)
        keys[entry["serial_no"]] = key
    return keys


def verify(http: httpx.Client, received: Received) -> None:
    """Raise InvalidSignature unless the platform key signed this exact delivery."""
    headers = received.headers
    key = platform_keys(http)[headers["wechatpay-serial"]]
    message = (
        f"{headers['wechatpay-timestamp']}\n{headers['wechatpay-nonce']}\n".encode()
        + received.body
        + b"\n"
    )
    signature = base64.b64decode(headers["wechatpay-signature"])
    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def decrypt(received: Received) -> dict[str, Any]:
    resource = orjson.loads(received.body)["resource"]
    plaintext = AESGCM(DEV_API_V3_KEY.encode()).decrypt(
        resource["nonce"].encode(),
        base64.b64decode(resource["ciphertext"]),
        resource["associated_data"].encode(),
    )
    transaction: dict[str, Any] = orjson.loads(plaintext)
    return transaction


def deliveries(http: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = http.get("/__admin/notifications").json()["items"]
    return items


# --- placing orders ---------------------------------------------------------------------------


def test_the_same_order_placed_again_gets_the_same_prepay_id(
    http: httpx.Client, notify_url: str
) -> None:
    first = place(http, order("MC0001", notify_url))
    assert first.startswith("wx")
    assert len(first) == 36
    assert place(http, order("MC0001", notify_url)) == first
    assert place(http, order("MC0002", notify_url)) != first
    assert http.get("/__admin/counters").json()["byRoute"] == {"POST /v3/pay/transactions/app": 3}


def test_the_same_number_for_another_order_is_invalid_request(
    http: httpx.Client, notify_url: str
) -> None:
    place(http, order("MC0003", notify_url, total=100))
    again = http.post("/v3/pay/transactions/app", json=order("MC0003", notify_url, total=200))
    wechat_error(again, 400, "INVALID_REQUEST")
    assert again.json()["message"] == "201 商户订单号重复"
    as_jsapi = order("MC0003", notify_url, total=100, payer={"openid": OPENID})
    wechat_error(http.post("/v3/pay/transactions/jsapi", json=as_jsapi), 400, "INVALID_REQUEST")


def test_jsapi_needs_the_payers_openid(http: httpx.Client, notify_url: str) -> None:
    missing = http.post("/v3/pay/transactions/jsapi", json=order("MC0004", notify_url))
    wechat_error(missing, 400, "PARAM_ERROR")
    assert "payer" in missing.json()["message"]
    place(http, order("MC0004", notify_url, payer={"openid": OPENID}), kind="jsapi")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": {"total": 0}}, "amount.total"),
        ({"amount": {"total": 100, "currency": "USD"}}, "amount.currency"),
        ({"amount": {"total": 1.5}}, "amount.total"),
        ({"out_trade_no": "short"}, "out_trade_no"),
        ({"out_trade_no": "订单0000001"}, "out_trade_no"),
        ({"notify_url": "http://example.com/notify?bill=1"}, "notify_url"),
        ({"description": ""}, "description"),
        ({"time_expire": "2025-05-14T11:00:00"}, "time_expire"),
        ({"mchid": None}, "mchid"),
    ],
)
def test_invalid_fields_are_param_errors(
    http: httpx.Client, notify_url: str, change: dict[str, Any], field: str
) -> None:
    response = http.post("/v3/pay/transactions/app", json={**order("MC0005", notify_url), **change})
    wechat_error(response, 400, "PARAM_ERROR")
    assert field in response.json()["message"]


def test_a_body_that_is_not_json_is_a_param_error(http: httpx.Client) -> None:
    response = http.post("/v3/pay/transactions/app", content=b"{", headers={"content-type": "a/b"})
    wechat_error(response, 400, "PARAM_ERROR")


# --- querying and closing ---------------------------------------------------------------------


def test_an_unpaid_order_reads_notpay_and_unknown_ones_do_not_exist(
    http: httpx.Client, notify_url: str
) -> None:
    place(http, order("MC0010", notify_url, attach="bill:42"))
    body = query(http, "MC0010").raise_for_status().json()
    assert body["trade_state"] == "NOTPAY"
    assert body["amount"] == {"total": 2350, "currency": "CNY"}
    assert body["attach"] == "bill:42"
    assert "transaction_id" not in body
    assert "success_time" not in body
    wechat_error(query(http, "MC0099"), 404, "ORDER_NOT_EXIST")
    wechat_error(query(http, "MC0010", mchid="1234567890"), 404, "ORDER_NOT_EXIST")
    wechat_error(http.get("/v3/pay/transactions/out-trade-no/MC0010"), 400, "PARAM_ERROR")


def test_a_closed_order_cannot_be_paid_or_placed_again(http: httpx.Client, notify_url: str) -> None:
    prepay_id = place(http, order("MC0011", notify_url))
    close = http.post("/v3/pay/transactions/out-trade-no/MC0011/close", json={"mchid": DEV_MCH_ID})
    assert close.status_code == 204
    assert query(http, "MC0011").json()["trade_state"] == "CLOSED"
    wechat_error(http.post(f"/pay/{prepay_id}"), 400, "ORDER_CLOSED")
    wechat_error(
        http.post("/v3/pay/transactions/app", json=order("MC0011", notify_url)), 400, "ORDER_CLOSED"
    )
    assert deliveries(http) == []


def test_an_order_past_its_time_expire_is_closed(
    http: httpx.Client, notify_url: str, clock: MutableClock
) -> None:
    expire = (datetime.now(UTC) + timedelta(minutes=15)).isoformat(timespec="seconds")
    prepay_id = place(http, order("MC0012", notify_url, time_expire=expire))
    assert query(http, "MC0012").json()["trade_state"] == "NOTPAY"
    clock.offset = timedelta(minutes=16)
    assert query(http, "MC0012").json()["trade_state"] == "CLOSED"
    wechat_error(http.post(f"/pay/{prepay_id}"), 400, "ORDER_CLOSED")


def test_a_paid_order_cannot_be_closed_or_placed_again(http: httpx.Client, notify_url: str) -> None:
    prepay_id = place(http, order("MC0013", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    close = http.post("/v3/pay/transactions/out-trade-no/MC0013/close", json={"mchid": DEV_MCH_ID})
    wechat_error(close, 400, "ORDERPAID")
    wechat_error(
        http.post("/v3/pay/transactions/app", json=order("MC0013", notify_url)), 400, "ORDERPAID"
    )


# --- paying and the notification --------------------------------------------------------------


def test_paying_sends_a_signed_encrypted_notification(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    prepay_id = place(
        http, order("MC0020", notify_url, total=12800, payer={"openid": OPENID}), "jsapi"
    )
    paid = http.post(f"/pay/{prepay_id}").raise_for_status().json()
    assert paid["trade_state"] == "SUCCESS"

    [received] = wait_for(receiver, 1)
    verify(http, received)
    headers = received.headers
    assert headers["content-type"] == "application/json"
    assert len(headers["wechatpay-nonce"]) == 32
    assert abs(int(headers["wechatpay-timestamp"]) - time.time()) < 5
    assert headers["wechatpay-signature-type"] == "WECHATPAY2-SHA256-RSA2048"
    event = received.event()
    assert event.keys() == {
        "id",
        "create_time",
        "resource_type",
        "event_type",
        "summary",
        "resource",
    }
    assert event["resource_type"] == "encrypt-resource"
    assert event["event_type"] == "TRANSACTION.SUCCESS"
    assert event["summary"] == "支付成功"
    resource = orjson.loads(received.body)["resource"]
    assert resource["algorithm"] == "AEAD_AES_256_GCM"
    assert resource["original_type"] == "transaction"
    assert resource["associated_data"] == "transaction"
    assert len(resource["nonce"]) == 12

    transaction = decrypt(received)
    assert transaction["out_trade_no"] == "MC0020"
    assert transaction["mchid"] == DEV_MCH_ID
    assert transaction["trade_state"] == "SUCCESS"
    assert transaction["trade_type"] == "JSAPI"
    assert transaction["amount"] == {
        "total": 12800,
        "payer_total": 12800,
        "currency": "CNY",
        "payer_currency": "CNY",
    }
    assert transaction["payer"] == {"openid": OPENID}
    assert transaction["transaction_id"] == paid["transaction_id"]
    assert len(transaction["transaction_id"]) == 28
    assert transaction["success_time"].endswith("+08:00")
    assert query(http, "MC0020").json() == paid == transaction


def test_paying_twice_changes_nothing_and_notifies_once(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    prepay_id = place(http, order("MC0021", notify_url))
    first = http.post(f"/pay/{prepay_id}").raise_for_status().json()
    again = http.post(f"/pay/{prepay_id}", json={"openid": "someone-else"}).raise_for_status()
    assert again.json() == first
    wait_for(receiver, 1)
    time.sleep(0.1)
    assert len(receiver.received) == 1
    assert [d["kind"] for d in deliveries(http)] == ["payment"]
    wechat_error(http.post("/pay/wx-unknown"), 404, "ORDER_NOT_EXIST")


def test_a_refused_notification_is_retried_until_answered_2xx(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    receiver.reset(fail_first=2)
    prepay_id = place(http, order("MC0022", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    received = wait_for(receiver, 3)
    assert [item.answered for item in received] == [500, 500, 204]
    assert len({item.body for item in received}) == 1, "every retry carries the same body"
    assert len({item.headers["wechatpay-nonce"] for item in received}) == 3
    for item in received:
        verify(http, item)
    [delivery] = deliveries(http)
    assert delivery["status"] == "delivered"
    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [500, 500, 204]


def test_a_merchant_that_never_accepts_exhausts_the_schedule(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    receiver.reset(fail_first=100)
    http.put("/__admin/delivery", json={"retrySchedule": [0.02, 0.02]}).raise_for_status()
    prepay_id = place(http, order("MC0023", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    wait_for(receiver, 3)
    deadline = time.monotonic() + 2
    while deliveries(http)[0]["status"] == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    [delivery] = deliveries(http)
    assert delivery["status"] == "failed"
    assert len(delivery["attempts"]) == 3


def test_an_unreachable_notify_url_is_recorded_as_an_error(http: httpx.Client) -> None:
    http.put("/__admin/delivery", json={"retrySchedule": [], "awaitFirstAttempt": True})
    prepay_id = place(http, order("MC0024", "http://127.0.0.1:9/notify"))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    [delivery] = deliveries(http)
    assert delivery["status"] == "failed"
    [attempt] = delivery["attempts"]
    assert attempt["statusCode"] is None
    assert attempt["error"].startswith("ConnectError")


def test_with_a_delay_the_payment_answers_before_the_notification(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    http.put("/__admin/delivery", json={"delayMs": 300}).raise_for_status()
    prepay_id = place(http, order("MC0025", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    assert receiver.received == []
    wait_for(receiver, 1)


def test_the_notification_can_arrive_before_the_payment_answers(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    http.put("/__admin/delivery", json={"awaitFirstAttempt": True}).raise_for_status()
    prepay_id = place(http, order("MC0026", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    assert len(receiver.received) == 1, "the merchant heard first"


def test_a_duplicate_is_the_same_notification_freshly_signed(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    prepay_id = place(http, order("MC0027", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    [original] = wait_for(receiver, 1)
    delivery = http.post("/__admin/orders/MC0027/notify").raise_for_status().json()
    assert delivery["kind"] == "duplicate"
    assert delivery["status"] == "delivered"
    [_, duplicate] = wait_for(receiver, 2)
    assert duplicate.body == original.body
    assert duplicate.event()["id"] == original.event()["id"]
    assert duplicate.headers["wechatpay-nonce"] != original.headers["wechatpay-nonce"]
    verify(http, duplicate)
    assert decrypt(duplicate) == decrypt(original)


def test_a_tampered_notification_does_not_verify(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    receiver.reset(fail_first=1)  # a verifying merchant refuses it; it is not retried
    prepay_id = place(http, order("MC0028", notify_url))
    http.put("/__admin/delivery", json={"delayMs": 60_000}).raise_for_status()
    http.post(f"/pay/{prepay_id}").raise_for_status()
    delivery = http.post("/__admin/orders/MC0028/notify?tamper=1").raise_for_status().json()
    assert delivery["kind"] == "tampered"
    assert delivery["status"] == "failed"
    [tampered] = receiver.received
    with pytest.raises(InvalidSignature):
        verify(http, tampered)
    assert tampered.event()["summary"] != "支付成功"


def test_only_paid_orders_can_be_notified_again(http: httpx.Client, notify_url: str) -> None:
    place(http, order("MC0029", notify_url))
    assert http.post("/__admin/orders/MC0029/notify").status_code == 409
    assert http.post("/__admin/orders/MC0098/notify").status_code == 404


def test_a_rotated_key_signs_and_both_stay_listed(
    http: httpx.Client, notify_url: str, receiver: NotifyReceiver
) -> None:
    [old_serial] = platform_keys(http)
    listed = http.post("/__admin/platform-keys/rotate").raise_for_status().json()["data"]
    [old, new] = listed
    assert old["serial_no"] == old_serial
    new_serial = new["serial_no"]
    prepay_id = place(http, order("MC0030", notify_url))
    http.post(f"/pay/{prepay_id}").raise_for_status()
    [received] = wait_for(receiver, 1)
    assert received.headers["wechatpay-serial"] == new_serial
    verify(http, received)
    http.post("/__admin/reset").raise_for_status()
    assert list(platform_keys(http)) == [old_serial]


# --- admin, documents, registry ---------------------------------------------------------------


def test_the_admin_api_lists_orders_and_reset_forgets_them(
    http: httpx.Client, notify_url: str
) -> None:
    prepay_id = place(http, order("MC0040", notify_url))
    [item] = http.get("/__admin/orders").json()["items"]
    assert item["prepay_id"] == prepay_id
    assert item["notify_url"] == notify_url
    assert item["trade_state"] == "NOTPAY"
    assert http.get("/__admin/delivery").json() == {
        "delayMs": 0,
        "retrySchedule": [0.05, 0.05, 0.05],
        "awaitFirstAttempt": False,
        "timeoutMs": 5000,
    }
    assert http.put("/__admin/delivery", json={"delayMs": -1}).status_code == 400
    http.post("/__admin/reset").raise_for_status()
    assert http.get("/__admin/orders").json()["items"] == []
    assert http.get("/__admin/delivery").json()["retrySchedule"] == [0.2, 0.5, 1.0, 2.0]


def test_certificates_list_the_platform_key(http: httpx.Client) -> None:
    [entry] = http.get("/v3/certificates").raise_for_status().json()["data"]
    assert len(entry["serial_no"]) == 40
    assert entry["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    effective = datetime.fromisoformat(entry["effective_time"])
    assert datetime.fromisoformat(entry["expire_time"]) - effective > timedelta(days=365)


def test_the_openapi_document_covers_every_route(http: httpx.Client) -> None:
    document = http.get("/openapi.json").raise_for_status().json()
    assert document["openapi"] == "3.1.0"
    assert {
        "/v3/pay/transactions/app",
        "/v3/pay/transactions/jsapi",
        "/v3/pay/transactions/out-trade-no/{out_trade_no}",
        "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
        "/v3/certificates",
        "/pay/{prepay_id}",
        "/__admin/orders",
        "/__admin/orders/{out_trade_no}/notify",
        "/__admin/notifications",
        "/__admin/delivery",
        "/__admin/platform-keys/rotate",
        "/__admin/reset",
    } <= document["paths"].keys()
    assert "transactionSuccess" in document["webhooks"]


def test_an_api_v3_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        create_app(api_v3_key="too-short")


def test_the_registry_serves_payment_on_its_own_port() -> None:
    assert SIMULATORS["payment"].default_port == 8106
    assert default_base_url("payment") == "http://127.0.0.1:8106"
    assert build_simulator("payment").state.simulator.name == "payment"
