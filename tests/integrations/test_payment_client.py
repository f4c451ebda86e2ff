"""The payment client against the payment simulator: orders, queries, verified notifications.

Everything runs over real HTTP: the simulator and a stand-in merchant callback each under
uvicorn in a thread, the client through the shared `UpstreamClient` with a real redis-server.
The simulator is given the merchant's public key, so every request the client sends must
carry a valid WeChat Pay signature; and it signs with a platform key the test knows, so tests
can also forge notifications that are correctly signed yet wrong inside.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.integrations.errors import UpstreamNotFound
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from mychangsha.integrations.payment import (
    InvalidNotification,
    PayChannel,
    PaymentClient,
    PaymentRejected,
    PaymentResult,
    generate_merchant_key_pem,
)
from mychangsha.simulators.payment import DEV_API_V3_KEY, DEV_APP_ID, DEV_MCH_ID, create_app
from mychangsha.simulators.payment.keys import PlatformKey, load_private_key
from mychangsha.simulators.payment.receiver import NOTIFY_PATH, NotifyReceiver, Received
from tests.support.servers import serve_in_thread

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
CERTIFICATES = "GET /v3/certificates"
MERCHANT_PEM = generate_merchant_key_pem()
PLATFORM_PEM = generate_merchant_key_pem()  # any RSA-2048 key will do as the platform's
PLATFORM_KEY = PlatformKey.of(load_private_key(PLATFORM_PEM), effective=datetime.now(UTC))


def _private(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


class MutableClock:
    """The real time shifted by `offset`; the simulator (in another thread) reads it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Gateway:
    """The simulator's URL, a sync client of its controls, the merchant's notify URL."""

    url: str
    admin: httpx.Client
    notify_url: str
    receiver: NotifyReceiver
    clock: MutableClock

    def pay(self, prepay_id: str) -> dict[str, Any]:
        """The citizen pays in the SDK."""
        paid: dict[str, Any] = self.admin.post(f"/pay/{prepay_id}").raise_for_status().json()
        return paid

    def count(self, route: str) -> int:
        by_route: dict[str, int] = self.admin.get("/__admin/counters").json()["byRoute"]
        return by_route.get(route, 0)

    def delivery(self, **config: Any) -> None:
        self.admin.put("/__admin/delivery", json=config).raise_for_status()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    clock, receiver = MutableClock(), NotifyReceiver()
    merchant_public = _private(MERCHANT_PEM).public_key()
    app = create_app(
        clock=clock,
        platform_private_key_pem=PLATFORM_PEM,
        merchant_public_key_pem=merchant_public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    with (
        serve_in_thread(receiver.app) as receiver_url,
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, timeout=10) as admin,
    ):
        yield Gateway(url, admin, receiver_url + NOTIFY_PATH, receiver, clock)


@pytest.fixture(autouse=True)
def _fresh(gateway: Gateway) -> None:
    gateway.clock.offset = timedelta()
    # The gateway first (cancelling pending deliveries), then, once a delivery already on the
    # wire has landed, the receiver.
    gateway.admin.post("/__admin/reset").raise_for_status()
    time.sleep(0.1)
    gateway.receiver.reset()
    gateway.delivery(retrySchedule=[0.05, 0.05, 0.05])


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


MakeClient = Callable[..., PaymentClient]


@pytest.fixture
async def make_client(gateway: Gateway, redis: Redis) -> AsyncIterator[MakeClient]:
    """Payment clients, each on its own upstream client (isolated breaker), closed after."""
    upstreams: list[UpstreamClient] = []

    def make(**overrides: Any) -> PaymentClient:
        config = UpstreamConfig(name=f"pay-{uuid4().hex[:10]}", base_url=gateway.url)
        upstream = UpstreamClient(config, redis)
        upstreams.append(upstream)
        settings: dict[str, Any] = {
            "app_id": DEV_APP_ID,
            "mch_id": DEV_MCH_ID,
            "api_v3_key": DEV_API_V3_KEY,
            "merchant_private_key_pem": MERCHANT_PEM,
            **overrides,
        }
        return PaymentClient(upstream, **settings)

    yield make
    for upstream in upstreams:
        await upstream.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> PaymentClient:
    return make_client()


async def place(
    client: PaymentClient, gateway: Gateway, number: str, amount_fen: int = 2350, **extra: Any
) -> str:
    order = await client.create_order(
        out_trade_no=number,
        amount_fen=amount_fen,
        description="湘雅医院-门诊缴费",
        notify_url=gateway.notify_url,
        channel=extra.pop("channel", PayChannel.WECHAT),
        **extra,
    )
    return order.prepay_id


async def paid_notification(
    client: PaymentClient, gateway: Gateway, number: str, amount_fen: int = 2350
) -> Received:
    """Place an order, pay it, and return the notification the merchant received."""
    gateway.pay(await place(client, gateway, number, amount_fen))
    [received] = await gateway.receiver.wait_for(1)
    return received


def forge(event: Any, *, key: rsa.RSAPrivateKey | None = None) -> tuple[dict[str, str], bytes]:
    """A notification signed with the platform key (or another), as an insider could."""
    body = orjson.dumps(event)
    timestamp, nonce = str(int(datetime.now(UTC).timestamp())), "n" * 32
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    signature = (key or PLATFORM_KEY.private_key).sign(message, padding.PKCS1v15(), hashes.SHA256())
    headers = {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": PLATFORM_KEY.serial_no,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
    }
    return headers, body


def sealed(transaction: Any, *, api_v3_key: str = DEV_API_V3_KEY) -> dict[str, Any]:
    """A TRANSACTION.SUCCESS event around a transaction encrypted with the given key."""
    nonce = "abcdefghijkl"
    ciphertext = AESGCM(api_v3_key.encode()).encrypt(
        nonce.encode(), orjson.dumps(transaction), b"transaction"
    )
    return {
        "id": str(uuid4()),
        "create_time": "2025-05-14T11:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": "transaction",
            "nonce": nonce,
        },
    }


def transaction(**changes: Any) -> dict[str, Any]:
    return {
        "mchid": DEV_MCH_ID,
        "appid": DEV_APP_ID,
        "out_trade_no": "MC9000",
        "transaction_id": "4200002025051400000000000001",
        "trade_state": "SUCCESS",
        "success_time": "2025-05-14T11:00:00+08:00",
        "amount": {"total": 100, "payer_total": 100, "currency": "CNY"},
        **changes,
    }


async def invalid(client: PaymentClient, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(InvalidNotification) as caught:
        await client.verify_notification(headers, body)
    return caught.value.reason


# --- orders -----------------------------------------------------------------------------------


async def test_creating_an_order_is_idempotent_by_number(
    client: PaymentClient, gateway: Gateway
) -> None:
    first = await place(client, gateway, "MC0001")
    again = await place(client, gateway, "MC0001")
    other = await place(client, gateway, "MC0002")
    assert first == again != other
    assert gateway.count("POST /v3/pay/transactions/app") == 3
    [order, _] = gateway.admin.get("/__admin/orders").json()["items"]
    assert order["amount"]["total"] == 2350
    assert order["notify_url"] == gateway.notify_url


async def test_pay_params_are_signed_by_the_merchant_key(client: PaymentClient) -> None:
    order = await client.create_order(
        out_trade_no="MC0003",
        amount_fen=500,
        description="岳麓山-门票",
        notify_url="http://127.0.0.1:8000/payments/notify",
        channel=PayChannel.WECHAT,
        payer_openid=OPENID,
    )
    params = order.pay_params
    assert params.keys() == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == DEV_APP_ID
    assert params["package"] == f"prepay_id={order.prepay_id}"
    assert params["signType"] == "RSA"
    assert len(params["nonceStr"]) == 32
    assert abs(int(params["timeStamp"]) - datetime.now(UTC).timestamp()) < 5
    message = f"{DEV_APP_ID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    _private(MERCHANT_PEM).public_key().verify(
        base64.b64decode(params["paySign"]),
        message.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


async def test_the_channel_and_payer_choose_the_order_kind(
    client: PaymentClient, gateway: Gateway
) -> None:
    await place(client, gateway, "MC0004", payer_openid=OPENID)
    await place(client, gateway, "MC0005")
    await place(client, gateway, "MC0006", channel=PayChannel.ALIPAY)
    assert gateway.count("POST /v3/pay/transactions/jsapi") == 1
    assert gateway.count("POST /v3/pay/transactions/app") == 2
    with pytest.raises(ValueError, match="openid"):
        await place(client, gateway, "MC0007", channel=PayChannel.ALIPAY, payer_openid=OPENID)
    with pytest.raises(ValueError, match="positive"):
        await place(client, gateway, "MC0008", amount_fen=0)
    with pytest.raises(ValueError, match="timezone"):
        await place(client, gateway, "MC0009", expires_at=datetime(2025, 5, 14, 12))


async def test_another_order_under_a_used_number_is_rejected_once(
    client: PaymentClient, gateway: Gateway
) -> None:
    await place(client, gateway, "MC0010", amount_fen=100)
    with pytest.raises(PaymentRejected) as caught:
        await place(client, gateway, "MC0010", amount_fen=200)
    assert caught.value.status == 400
    assert caught.value.wechat_code == "INVALID_REQUEST"
    assert caught.value.wechat_message == "201 商户订单号重复"
    assert gateway.count("POST /v3/pay/transactions/app") == 2, "a refusal is not retried"


async def test_an_expiry_is_sent_as_time_expire(client: PaymentClient, gateway: Gateway) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    await place(client, gateway, "MC0011", expires_at=expires)
    [order] = gateway.admin.get("/__admin/orders").json()["items"]
    assert datetime.fromisoformat(order["time_expire"]) == expires


async def test_an_unpaid_order_queries_as_notpay_and_closes(
    client: PaymentClient, gateway: Gateway
) -> None:
    await place(client, gateway, "MC0012", amount_fen=990)
    assert await client.query("MC0012") == PaymentResult("MC0012", "", "NOTPAY", 990, None)
    await client.close("MC0012")
    assert (await client.query("MC0012")).state == "CLOSED"
    with pytest.raises(UpstreamNotFound):
        await client.query("MC0099")


async def test_a_gateway_checking_signatures_refuses_a_wrong_merchant_key(
    make_client: MakeClient, gateway: Gateway
) -> None:
    unsigned = gateway.admin.post("/v3/pay/transactions/app", json={})
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] == "SIGN_ERROR"
    impostor = make_client(merchant_private_key_pem=generate_merchant_key_pem())
    with pytest.raises(PaymentRejected) as caught:
        await place(impostor, gateway, "MC0013")
    assert caught.value.wechat_code == "SIGN_ERROR"


async def test_the_api_v3_key_must_be_32_bytes(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        make_client(api_v3_key="short")


# --- notifications ----------------------------------------------------------------------------


async def test_a_paid_order_notifies_a_result_that_verifies(
    client: PaymentClient, gateway: Gateway
) -> None:
    prepay_id = await place(client, gateway, "MC0020", amount_fen=12800)
    paid = gateway.pay(prepay_id)
    [received] = await gateway.receiver.wait_for(1)
    result = await client.verify_notification(received.headers, received.body)
    assert result.out_trade_no == "MC0020"
    assert result.state == "SUCCESS"
    assert result.paid
    assert result.amount_fen == 12800
    assert result.transaction_id == paid["transaction_id"]
    assert result.paid_at is not None
    assert result.paid_at.tzinfo is UTC
    assert abs(result.paid_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert await client.query("MC0020") == result


async def test_a_duplicate_notification_verifies_to_the_same_result(
    client: PaymentClient, gateway: Gateway
) -> None:
    original = await paid_notification(client, gateway, "MC0021")
    gateway.admin.post("/__admin/orders/MC0021/notify").raise_for_status()
    [_, duplicate] = await gateway.receiver.wait_for(2)
    first = await client.verify_notification(original.headers, original.body)
    assert await client.verify_notification(duplicate.headers, duplicate.body) == first
    assert gateway.count(CERTIFICATES) == 1, "platform keys are fetched once"


async def test_retries_until_the_merchant_accepts_carry_the_same_payment(
    client: PaymentClient, gateway: Gateway
) -> None:
    gateway.receiver.reset(fail_first=2)
    gateway.pay(await place(client, gateway, "MC0022"))
    received = await gateway.receiver.wait_for(3)
    assert [item.answered for item in received] == [500, 500, 204]
    results = {await client.verify_notification(r.headers, r.body) for r in received}
    assert len(results) == 1


async def test_the_notification_may_arrive_before_the_payment_returns(
    client: PaymentClient, gateway: Gateway
) -> None:
    gateway.delivery(awaitFirstAttempt=True)
    gateway.pay(await place(client, gateway, "MC0023"))
    [received] = gateway.receiver.received  # already there when the citizen's payment returned
    result = await client.verify_notification(received.headers, received.body)
    assert result.paid
    with pytest.raises(PaymentRejected) as caught:  # the app retrying after the fact
        await place(client, gateway, "MC0023")
    assert caught.value.wechat_code == "ORDERPAID"


async def test_a_tampered_notification_is_invalid(client: PaymentClient, gateway: Gateway) -> None:
    gateway.delivery(delayMs=60_000)  # only the tampered one reaches the merchant
    gateway.pay(await place(client, gateway, "MC0024"))
    gateway.admin.post("/__admin/orders/MC0024/notify", params={"tamper": "1"})
    [tampered] = gateway.receiver.received
    reason = await invalid(client, tampered.headers, tampered.body)
    assert "does not verify" in reason


async def test_a_stale_notification_is_invalid(client: PaymentClient, gateway: Gateway) -> None:
    prepay_id = await place(client, gateway, "MC0025")
    gateway.clock.offset = -timedelta(minutes=10)  # the notification's timestamp is old
    gateway.pay(prepay_id)
    [received] = await gateway.receiver.wait_for(1)
    assert "stale" in await invalid(client, received.headers, received.body)


async def test_an_unknown_serial_refetches_the_keys_once_then_is_invalid(
    client: PaymentClient, gateway: Gateway
) -> None:
    received = await paid_notification(client, gateway, "MC0026")
    await client.verify_notification(received.headers, received.body)
    assert gateway.count(CERTIFICATES) == 1
    for serial in ("0" * 40, "1" * 40):
        headers = {**received.headers, "wechatpay-serial": serial}
        assert "serial" in await invalid(client, headers, received.body)
    assert gateway.count(CERTIFICATES) == 2, "one refetch, then no more for a while"


async def test_a_rotated_platform_key_is_fetched_when_first_seen(
    client: PaymentClient, gateway: Gateway
) -> None:
    first = await paid_notification(client, gateway, "MC0027")
    await client.verify_notification(first.headers, first.body)
    gateway.admin.post("/__admin/platform-keys/rotate").raise_for_status()
    gateway.pay(await place(client, gateway, "MC0028"))
    [_, second] = await gateway.receiver.wait_for(2)
    assert second.headers["wechatpay-serial"] != first.headers["wechatpay-serial"]
    assert (await client.verify_notification(second.headers, second.body)).paid
    assert gateway.count(CERTIFICATES) == 2


async def test_configured_platform_keys_replace_the_download(
    make_client: MakeClient, gateway: Gateway
) -> None:
    async def configured() -> dict[str, rsa.RSAPublicKey]:
        return {PLATFORM_KEY.serial_no: PLATFORM_KEY.private_key.public_key()}

    client = make_client(platform_public_keys=configured)
    received = await paid_notification(client, gateway, "MC0029")
    assert (await client.verify_notification(received.headers, received.body)).paid
    assert gateway.count(CERTIFICATES) == 0


async def test_unavailable_platform_keys_make_the_notification_invalid(
    make_client: MakeClient,
) -> None:
    async def broken() -> dict[str, rsa.RSAPublicKey]:
        raise OSError("key store unreachable")

    client = make_client(platform_public_keys=broken)
    headers, body = forge(sealed(transaction()))
    assert "platform keys unavailable" in await invalid(client, headers, body)


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key != name}


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        (lambda: forge(sealed(transaction(amount={"total": 1}))), None),
        (lambda: forge(sealed(transaction(), api_v3_key="x" * 32)), "does not decrypt"),
        (lambda: forge(sealed(transaction(mchid="1234567890"))), "merchant"),
        (lambda: forge(sealed(transaction(trade_state="NOTPAY"))), "not paid"),
        (lambda: forge({**sealed(transaction()), "event_type": "REFUND.SUCCESS"}), "REFUND"),
        (lambda: forge([1, 2, 3]), "not a WeChat Pay notification"),
        (lambda: forge(sealed("not a transaction")), "not a transaction"),
        (lambda: forge(sealed(transaction()), key=_private(MERCHANT_PEM)), "does not verify"),
    ],
    ids=[
        "genuine",
        "other-apiv3-key",
        "other-merchant",
        "unpaid",
        "refund-event",
        "not-an-event",
        "not-a-transaction",
        "other-signer",
    ],
)
async def test_only_a_genuine_notification_verifies(
    client: PaymentClient,
    forgery: Callable[[], tuple[dict[str, str], bytes]],
    reason: str | None,
) -> None:
    headers, body = forgery()
    if reason is None:
        result = await client.verify_notification(headers, body)
        assert result == PaymentResult(
            "MC9000",
            "4200002025051400000000000001",
            "SUCCESS",
            1,
            datetime(2025, 5, 14, 3, 0, tzinfo=UTC),
        )
    else:
        assert reason in await invalid(client, headers, body)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda h: _without(h, "Wechatpay-Signature"), "missing"),
        (lambda h: _without(h, "Wechatpay-Timestamp"), "missing"),
        (lambda h: {**h, "Wechatpay-Timestamp": "soon"}, "not a number"),
        (lambda h: {**h, "Wechatpay-Timestamp": str(int(h["Wechatpay-Timestamp"]) + 600)}, "off"),
        (lambda h: {**h, "Wechatpay-Signature": "%%%"}, "does not verify"),
        (lambda h: {**h, "Wechatpay-Nonce": "another-nonce"}, "does not verify"),
    ],
    ids=["no-signature", "no-timestamp", "bad-timestamp", "future", "garbage-sig", "nonce"],
)
async def test_headers_that_do_not_fit_make_it_invalid(
    client: PaymentClient,
    mangle: Callable[[dict[str, str]], dict[str, str]],
    reason: str,
) -> None:
    headers, body = forge(sealed(transaction()))
    assert reason in await invalid(client, mangle(headers), body)


async def test_header_names_are_case_insensitive(client: PaymentClient) -> None:
    headers, body = forge(sealed(transaction()))
    upper = {name.upper(): value for name, value in headers.items()}
    assert (await client.verify_notification(upper, body)).paid
