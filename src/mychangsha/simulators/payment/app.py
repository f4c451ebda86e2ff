"""The payment gateway simulator: WeChat Pay API v3's order, query, close and notification.

The merchant side is WeChat Pay's contract (field names, `{"code", "message"}` errors, signed
and encrypted notifications); see `openapi.py`. The citizen's side — the app's payment SDK
showing the cashier and the citizen confirming — is `POST /pay/{prepay_id}`. Paying starts
an asynchronous notification to the order's `notify_url` (see `notify.py`).

Simplifications, each deliberate: merchant request signatures are checked only when the
simulator is given the merchant's public key (`auth.py`); `GET /v3/certificates` hands out
plain public keys instead of certificates encrypted with the APIv3 key; any appid and mchid
are accepted; `notify_url` may be plain http for the dev stack. Test controls under
`/__admin` read orders and deliveries, resend a notification (as a duplicate or tampered),
tune delivery (delay, retry schedule) and rotate the platform key.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    SimulatorClock,
    aware_now,
    create_simulator_app,
    describe_validation_error,
    system_clock,
)
from mychangsha.simulators.payment.auth import MerchantAuthenticator
from mychangsha.simulators.payment.keys import (
    DEV_API_V3_KEY,
    PlatformKey,
    check_api_v3_key,
    dev_platform_private_key,
    load_private_key,
    new_platform_private_key,
)
from mychangsha.simulators.payment.notify import DeliveryConfig, Notifier, build_notification
from mychangsha.simulators.payment.openapi import openapi_document
from mychangsha.simulators.payment.orders import (
    CreateOrderJson,
    Order,
    TradeType,
    WechatPayError,
    wechat_time,
)

__all__ = ["DEV_API_V3_KEY", "DEV_APP_ID", "DEV_MCH_ID", "PaymentState", "create_app"]

NAME: Final = "payment"
# The dev stack's merchant: WeChat's documentation values, accepted like any other.
DEV_APP_ID: Final = "wx-mychangsha-dev"
DEV_MCH_ID: Final = "1900000109"
_Model = TypeVar("_Model", bound=BaseModel)


class _PayJson(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    openid: str | None = Field(default=None, min_length=1, max_length=128)


class _CloseJson(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    mchid: str = Field(min_length=1, max_length=32)


def _parse(model: type[_Model], raw: bytes) -> _Model:
    """A WeChat request body, or 400 PARAM_ERROR naming the offending fields."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise WechatPayError(400, "PARAM_ERROR", describe_validation_error(exc)) from exc


def _random_openid() -> str:
    """Who paid an APP order: WeChat reveals the payer's openid only after payment."""
    return "o" + secrets.token_urlsafe(21)[:27]


@dataclass
class PaymentState:
    """Orders by number and by prepay id, the platform keys (newest signs) and the notifier."""

    clock: SimulatorClock
    api_v3_key: bytes
    initial_key: PlatformKey
    merchant_auth: MerchantAuthenticator | None
    keys: list[PlatformKey] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    by_prepay_id: dict[str, Order] = field(default_factory=dict)
    notifier: Notifier = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [self.initial_key]
        self.notifier = Notifier(self.clock, self.signing_key)

    def now(self) -> datetime:
        """The injected clock's time (timezone-aware)."""
        return aware_now(self.clock)

    def signing_key(self) -> PlatformKey:
        """The key notifications are signed with: the newest one."""
        return self.keys[-1]

    def order(self, out_trade_no: str, mchid: str) -> Order:
        """The merchant's order, or WeChat's 404 (another merchant's order is not found)."""
        order = self.orders.get(out_trade_no)
        if order is None or order.request.mchid != mchid:
            raise WechatPayError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def reset(self) -> None:
        """No orders, no deliveries, default delivery, the original platform key."""
        self.orders.clear()
        self.by_prepay_id.clear()
        self.keys = [self.initial_key]
        self.notifier.reset()


class PaymentApi:
    """Endpoints bound to one simulator's state, so two apps in a process never share it."""

    def __init__(self, state: PaymentState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """WeChat Pay's merchant API and the citizen's payment: counted and faultable."""
        by_number = "/v3/pay/transactions/out-trade-no/{out_trade_no}"
        return [
            Route("/v3/pay/transactions/app", self.create_app_order, methods=["POST"]),
            Route("/v3/pay/transactions/jsapi", self.create_jsapi_order, methods=["POST"]),
            Route(by_number, self.query_order, methods=["GET"]),
            Route(f"{by_number}/close", self.close_order, methods=["POST"]),
            Route("/v3/certificates", self.certificates, methods=["GET"]),
            Route("/pay/{prepay_id}", self.pay, methods=["POST"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        """Orders, deliveries, resending, delivery tuning and key rotation for tests."""
        return [
            Route("/__admin/orders", self.list_orders, methods=["GET"]),
            Route("/__admin/orders/{out_trade_no}/notify", self.notify_again, methods=["POST"]),
            Route("/__admin/notifications", self.list_deliveries, methods=["GET"]),
            Route("/__admin/delivery", self.get_delivery, methods=["GET"]),
            Route("/__admin/delivery", self.put_delivery, methods=["PUT"]),
            Route("/__admin/platform-keys/rotate", self.rotate_key, methods=["POST"]),
        ]

    # --- the merchant's API ---------------------------------------------------------------

    async def _authorized_body(self, request: Request) -> bytes:
        body = await request.body()
        if self.state.merchant_auth is not None:
            self.state.merchant_auth.check(request, body, self.state.now())
        return body

    async def create_app_order(self, request: Request) -> Response:
        """APP payment (the native app's SDK): no payer needed."""
        return await self._create(request, "APP")

    async def create_jsapi_order(self, request: Request) -> Response:
        """JSAPI payment (mini-program, WeChat browser): the payer's openid is required."""
        return await self._create(request, "JSAPI")

    async def _create(self, request: Request, trade_type: TradeType) -> Response:
        """Place an order, or answer the same prepay id for the same order placed again."""
        wanted = _parse(CreateOrderJson, await self._authorized_body(request))
        if trade_type == "JSAPI" and wanted.payer is None:
            raise WechatPayError(400, "PARAM_ERROR", "payer.openid: required for JSAPI")
        now = self.state.now()
        existing = self.state.orders.get(wanted.out_trade_no)
        if existing is not None:
            if not existing.same_request(wanted, trade_type):
                raise WechatPayError(400, "INVALID_REQUEST", "201 商户订单号重复")
            existing.refuse_unless_payable(now)
            return OrjsonResponse({"prepay_id": existing.prepay_id})
        order = Order.place(wanted, trade_type, now)
        self.state.orders[order.out_trade_no] = order
        self.state.by_prepay_id[order.prepay_id] = order
        return OrjsonResponse({"prepay_id": order.prepay_id})

    async def query_order(self, request: Request) -> Response:
        """The order as WeChat reports it; `mchid` is required, as in WeChat's query."""
        await self._authorized_body(request)
        mchid = request.query_params.get("mchid")
        if not mchid:
            raise WechatPayError(400, "PARAM_ERROR", "mchid: required")
        order = self.state.order(request.path_params["out_trade_no"], mchid)
        return OrjsonResponse(order.transaction_json(self.state.now()))

    async def close_order(self, request: Request) -> Response:
        """Close an unpaid order (204, also when already closed); a paid one is ORDERPAID."""
        close = _parse(_CloseJson, await self._authorized_body(request))
        order = self.state.order(request.path_params["out_trade_no"], close.mchid)
        if order.state_at(self.state.now()) == "SUCCESS":
            raise WechatPayError(400, "ORDERPAID", "该订单已支付")
        order.state = "CLOSED"
        return Response(status_code=204)

    async def certificates(self, request: Request) -> Response:
        """The platform public keys by serial (simplified: WeChat sends encrypted certificates).

        Real WeChat answers `encrypt_certificate` (an X.509 certificate sealed with the APIv3
        key); newer merchants instead configure a "WeChat Pay public key" by id. Both come
        down to a public key per serial, which is what this answers in plain PEM.
        """
        await self._authorized_body(request)
        return OrjsonResponse({"data": [_key_json(key) for key in self.state.keys]})

    # --- the citizen's side ---------------------------------------------------------------

    async def pay(self, request: Request) -> Response:
        """The citizen pays in the SDK: SUCCESS once, then the notification goes out async."""
        wanted = _parse(_PayJson, await request.body())
        order = self.state.by_prepay_id.get(request.path_params["prepay_id"])
        if order is None:
            raise WechatPayError(404, "ORDER_NOT_EXIST", "订单不存在")
        now = self.state.now()
        state = order.state_at(now)
        if state == "CLOSED":
            raise WechatPayError(400, "ORDER_CLOSED", "订单已关闭")
        if state == "NOTPAY":
            order.mark_paid(now, wanted.openid or _random_openid())
            order.notification = build_notification(order, self.state.api_v3_key, now)
            delivery = self.state.notifier.send(order, "payment")
            if self.state.notifier.config.await_first_attempt:
                await delivery.first_attempt_done.wait()
        return OrjsonResponse(order.transaction_json(now))

    # --- test controls --------------------------------------------------------------------

    async def list_orders(self, request: Request) -> Response:
        """Every order, oldest first."""
        now = self.state.now()
        return OrjsonResponse({"items": [o.admin_json(now) for o in self.state.orders.values()]})

    async def list_deliveries(self, request: Request) -> Response:
        """Every delivery with its attempts, oldest first; `?outTradeNo=` narrows to one order."""
        wanted = request.query_params.get("outTradeNo")
        items = [
            delivery.to_json()
            for delivery in self.state.notifier.deliveries
            if wanted is None or delivery.out_trade_no == wanted
        ]
        return OrjsonResponse({"items": items})

    async def notify_again(self, request: Request) -> Response:
        """Send a paid order's notification again (a duplicate), or `?tamper=1` a forged one.

        Answers after the first attempt, so a test can look at the merchant's side at once;
        a failed duplicate is retried in the background like any delivery.
        """
        order = self.state.orders.get(request.path_params["out_trade_no"])
        if order is None:
            raise ApiError(404, "no such order")
        if order.notification is None:
            raise ApiError(409, "only a paid order has a notification to send")
        tamper = request.query_params.get("tamper", "") in {"1", "true"}
        delivery = self.state.notifier.send(order, "tampered" if tamper else "duplicate")
        await delivery.first_attempt_done.wait()
        return OrjsonResponse(delivery.to_json())

    async def get_delivery(self, request: Request) -> Response:
        """The delivery settings in force."""
        return OrjsonResponse(self.state.notifier.config.to_json())

    async def put_delivery(self, request: Request) -> Response:
        """Replace the delivery settings (missing keys take their defaults) until reset."""
        try:
            config = DeliveryConfig.model_validate_json((await request.body()) or b"{}")
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        self.state.notifier.config = config
        return OrjsonResponse(config.to_json())

    async def rotate_key(self, request: Request) -> Response:
        """A new platform key signs from now on; the old one stays listed, as during rotation."""
        key = PlatformKey.of(new_platform_private_key(), effective=self.state.now())
        self.state.keys.append(key)
        return OrjsonResponse({"data": [_key_json(k) for k in self.state.keys]})


def _key_json(key: PlatformKey) -> dict[str, Any]:
    return {
        "serial_no": key.serial_no,
        "effective_time": wechat_time(key.effective_time),
        "expire_time": wechat_time(key.expire_time),
        "public_key_pem": key.public_key_pem(),
    }


async def _wechat_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WechatPayError)
    return OrjsonResponse({"code": exc.code, "message": exc.message}, status_code=exc.status_code)


def create_app(
    *,
    clock: SimulatorClock | None = None,
    api_v3_key: str = DEV_API_V3_KEY,
    platform_private_key_pem: bytes | None = None,
    merchant_public_key_pem: bytes | None = None,
) -> Starlette:
    """A fresh payment gateway simulator.

    `api_v3_key` (32 bytes) seals notifications; `platform_private_key_pem` signs them (a
    key generated once per process when absent); with `merchant_public_key_pem` the merchant's
    request signatures are checked, as WeChat checks them.
    """
    clock = clock or system_clock
    private_key = (
        dev_platform_private_key()
        if platform_private_key_pem is None
        else load_private_key(platform_private_key_pem)
    )
    state = PaymentState(
        clock=clock,
        api_v3_key=check_api_v3_key(api_v3_key),
        initial_key=PlatformKey.of(private_key, effective=aware_now(clock)),
        merchant_auth=(
            None
            if merchant_public_key_pem is None
            else MerchantAuthenticator(merchant_public_key_pem)
        ),
    )
    api = PaymentApi(state)
    app = create_simulator_app(
        NAME,
        api.routes(),
        openapi_document(),
        on_reset=state.reset,
        admin_routes=api.admin_routes(),
    )
    app.add_exception_handler(WechatPayError, _wechat_error)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.notifier.aclose()

    app.router.lifespan_context = lifespan
    app.state.payment = state
    return app
