"""Paying hospital bills over real HTTP: one order per bill, the signed notification applied once.

The citizen's payment SDK is played by the gateway simulator's `POST /pay/{prepay_id}`; the
gateway then calls the graph's `/callbacks/payment` with a signed, encrypted notification.
What the graph did is read back from the citizen's bills, the hospital's Invoice and request
counters, the gateway's deliveries and the graph's own payment order (in MongoDB).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pymongo import MongoClient

from tests.api.hospital_journey import book_tomorrow, decode_id, hospital_ref, wait_until
from tests.api.identity_client import Device, error_codes, valid_id_number
from tests.conftest import SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

MY_BILLS = """
query($status: BillStatus) { myBills(status: $status) {
  id hospitalCode number status totalFen issued lines { description amountFen }
} }"""

PAY = """
mutation($bill: ID!, $channel: PayChannel! = WECHAT) { billPay(billId: $bill, channel: $channel) {
  __typename
  ... on PaymentOrder { id amountFen payParams }
  ... on UserError { message }
} }"""

PUT_INVOICE = "PUT Invoice/{id}"


@pytest.fixture
def payment_orders(mongo_url: str, graph_env: dict[str, str]) -> Iterator[Any]:
    """The graph's own payment orders collection (read only)."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
    yield client[graph_env["MONGODB_DATABASE"]]["payment_orders"]
    client.close()


@pytest.fixture
def delivery(payment_simulator: SimulatorAdmin) -> Iterator[Any]:
    """Tune the gateway's notification delivery for one test; defaults again afterwards.

    Only the delivery settings go back (`PUT /__admin/delivery {}`): a full reset would also
    forget every order and delivery other tests of the session may still look at.
    """

    def configure(**settings: Any) -> None:
        payment_simulator.http.put("/__admin/delivery", json=settings).raise_for_status()

    yield configure
    payment_simulator.http.put("/__admin/delivery", json={}).raise_for_status()


# --- helpers --------------------------------------------------------------------------------


def _bills(device: Device, status: str | None = None) -> list[dict[str, Any]]:
    body = device.post(MY_BILLS, {"status": status})
    assert "errors" not in body, body
    bills: list[dict[str, Any]] = body["data"]["myBills"]
    return bills


def _pay(device: Device, bill_id: str, channel: str = "WECHAT") -> dict[str, Any]:
    body = device.post(PAY, {"bill": bill_id, "channel": channel})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["billPay"]
    return result


def _unpaid_registration_bill(device: Device) -> tuple[dict[str, Any], dict[str, Any]]:
    """Book a slot; the registration bill it brings (the only one of a new citizen)."""
    booked = book_tomorrow(device)
    bills = _bills(device, "UNPAID")
    assert len(bills) == 1, bills
    return booked, bills[0]


def _prepay_id(order: dict[str, Any]) -> str:
    package = str(order["payParams"]["package"])
    assert package.startswith("prepay_id="), order
    return package.removeprefix("prepay_id=")


def _pay_in_app(payment: SimulatorAdmin, order: dict[str, Any]) -> dict[str, Any]:
    """The citizen confirms in the payment SDK; the gateway's view of the transaction."""
    response = payment.http.post(f"/pay/{_prepay_id(order)}", json={})
    assert response.status_code == 200, response.text
    paid: dict[str, Any] = response.json()
    assert paid["trade_state"] == "SUCCESS" and paid["out_trade_no"] == order["id"], paid
    return paid


def _bill_status(device: Device, bill_id: str) -> str:
    return next(str(b["status"]) for b in _bills(device) if b["id"] == bill_id)


def _wait_paid(device: Device, bill_id: str) -> None:
    wait_until(lambda: True if _bill_status(device, bill_id) == "PAID" else None, timeout=10)


def _invoice(hospital: SimulatorAdmin, bill_id: str) -> dict[str, Any]:
    code, fhir_id = hospital_ref(bill_id)
    response = hospital.http.get(f"/fhir/{code}/Invoice/{fhir_id}")
    assert response.status_code == 200, response.text
    invoice: dict[str, Any] = response.json()
    return invoice


def _invoice_puts(hospital: SimulatorAdmin, bill_id: str) -> int:
    code, _ = hospital_ref(bill_id)
    counters = hospital.http.get("/__admin/hospital-counters").raise_for_status().json()
    return int(counters.get(code, {}).get(PUT_INVOICE, 0))


def _gateway_orders(payment: SimulatorAdmin, out_trade_no: str) -> list[dict[str, Any]]:
    items = payment.http.get("/__admin/orders").raise_for_status().json()["items"]
    return [o for o in items if o["out_trade_no"] == out_trade_no]


def _deliveries(payment: SimulatorAdmin, out_trade_no: str) -> list[dict[str, Any]]:
    params = {"outTradeNo": out_trade_no}
    items: list[dict[str, Any]] = (
        payment.http.get("/__admin/notifications", params=params).raise_for_status().json()["items"]
    )
    return items


def _verify_pay_sign(params: dict[str, str], merchant_key_pem: str) -> None:
    """paySign is the merchant key's RSA-SHA256 over appId, timeStamp, nonceStr, package."""
    key = serialization.load_pem_private_key(merchant_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    fields = (params["appId"], params["timeStamp"], params["nonceStr"], params["package"])
    message = "".join(f"{value}\n" for value in fields).encode()
    key.public_key().verify(
        base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256()
    )


def _paid_bill(
    device: Device, payment: SimulatorAdmin
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A registration bill paid the normal way: (bill, order, gateway transaction)."""
    _, bill = _unpaid_registration_bill(device)
    order = _pay(device, bill["id"])
    assert order["__typename"] == "PaymentOrder", order
    paid = _pay_in_app(payment, order)
    _wait_paid(device, bill["id"])
    return bill, order, paid


# --- tests ----------------------------------------------------------------------------------


def test_level_one_citizen_has_no_bills(graph_url: str, sms_simulator: SimulatorAdmin) -> None:
    device = Device(graph_url, sms_simulator.base_url)
    try:
        device.sign_in()
        body = device.post(MY_BILLS, {"status": "UNPAID"})
        assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None, body
        assert body["errors"][0]["extensions"]["requiredLevel"] == 2
    finally:
        device.close()


def test_the_registration_bill_and_one_order_for_it(
    people: Any,
    graph_env: dict[str, str],
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
) -> None:
    device, _ = people()
    booked, bill = _unpaid_registration_bill(device)
    assert decode_id(bill["id"])[0] == "Bill"
    assert bill["hospitalCode"] == booked["hospitalCode"] and bill["status"] == "UNPAID"
    assert bill["totalFen"] == booked["slot"]["feeFen"] > 0
    assert bill["number"] and bill["issued"]
    assert [line["amountFen"] for line in bill["lines"]] == [bill["totalFen"]]
    assert bill["lines"][0]["description"].startswith("挂号费")
    assert _bills(device) == [bill] and _bills(device, "PAID") == []

    order = _pay(device, bill["id"])
    assert order["__typename"] == "PaymentOrder", order
    assert order["amountFen"] == bill["totalFen"]
    params = order["payParams"]
    assert set(params) >= {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert abs(int(params["timeStamp"]) - time.time()) < 60 and params["signType"] == "RSA"
    _verify_pay_sign(params, graph_env["PAYMENT_MERCHANT_PRIVATE_KEY"])
    prepay = _prepay_id(order)

    again = _pay(device, bill["id"])
    assert again["__typename"] == "PaymentOrder"
    assert (again["id"], again["amountFen"], _prepay_id(again)) == (
        order["id"],
        order["amountFen"],
        prepay,
    )
    at_gateway = _gateway_orders(payment_simulator, order["id"])
    assert len(at_gateway) == 1, at_gateway
    assert at_gateway[0]["prepay_id"] == prepay
    assert at_gateway[0]["amount"]["total"] == bill["totalFen"]
    assert at_gateway[0]["trade_state"] == "NOTPAY"
    # Opening an order changes nothing at the hospital: the bill is still to pay.
    assert _invoice(hospital_simulator, bill["id"])["status"] == "issued"
    assert _bill_status(device, bill["id"]) == "UNPAID"


def test_paying_marks_the_bill_paid_exactly_once(
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    payment_orders: Any,
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    puts_before = _invoice_puts(hospital_simulator, bill["id"])
    order = _pay(device, bill["id"])
    paid = _pay_in_app(payment_simulator, order)

    started = time.monotonic()
    _wait_paid(device, bill["id"])
    assert time.monotonic() - started < 10
    assert _bills(device, "UNPAID") == []
    assert [b["id"] for b in _bills(device, "PAID")] == [bill["id"]]

    invoice = _invoice(hospital_simulator, bill["id"])
    assert invoice["status"] == "balanced"
    assert invoice["paymentTerms"] == paid["transaction_id"]
    assert invoice["meta"]["versionId"] == "2"  # issued (1), balanced (2): changed once
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts_before + 1

    stored = payment_orders.find_one({"_id": order["id"]})
    assert stored["state"] == "paid" and stored["fulfilled"] is True
    assert stored["transaction_id"] == paid["transaction_id"]
    assert stored["amount_fen"] == bill["totalFen"]
    deliveries = _deliveries(payment_simulator, order["id"])
    assert [(d["kind"], d["status"]) for d in deliveries] == [("payment", "delivered")]
    assert deliveries[0]["attempts"][-1]["statusCode"] in (200, 204)


def test_a_duplicate_notification_changes_nothing(
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    payment_orders: Any,
) -> None:
    device, _ = people()
    bill, order, _ = _paid_bill(device, payment_simulator)
    stored = payment_orders.find_one({"_id": order["id"]})
    invoice = _invoice(hospital_simulator, bill["id"])
    puts = _invoice_puts(hospital_simulator, bill["id"])

    for _ in range(2):
        duplicate = payment_simulator.http.post(f"/__admin/orders/{order['id']}/notify")
        assert duplicate.status_code == 200, duplicate.text
        sent = duplicate.json()
        assert sent["kind"] == "duplicate" and sent["status"] == "delivered", sent
        assert sent["attempts"][0]["statusCode"] in (200, 204)  # acknowledged, not retried

    assert payment_orders.find_one({"_id": order["id"]}) == stored
    assert _invoice(hospital_simulator, bill["id"]) == invoice
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts
    assert _bill_status(device, bill["id"]) == "PAID"
    kinds = [d["kind"] for d in _deliveries(payment_simulator, order["id"])]
    assert kinds == ["payment", "duplicate", "duplicate"]


def test_the_notification_may_arrive_before_the_app_hears_back(
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    delivery: Any,
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    puts = _invoice_puts(hospital_simulator, bill["id"])
    order = _pay(device, bill["id"])
    delivery(awaitFirstAttempt=True)
    _pay_in_app(payment_simulator, order)
    # `/pay` answered only after the graph had the notification: no waiting needed now.
    first = _deliveries(payment_simulator, order["id"])[0]
    assert first["attempts"] and first["attempts"][0]["statusCode"] in (200, 204), first
    assert _bill_status(device, bill["id"]) == "PAID"
    assert _invoice(hospital_simulator, bill["id"])["status"] == "balanced"
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts + 1


def test_a_tampered_notification_is_refused_and_changes_nothing(
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    payment_orders: Any,
    delivery: Any,
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    order = _pay(device, bill["id"])
    # The genuine notification is held back, so the forged one arrives while the bill is unpaid.
    delivery(delayMs=600_000)
    _pay_in_app(payment_simulator, order)
    stored = payment_orders.find_one({"_id": order["id"]})
    invoice = _invoice(hospital_simulator, bill["id"])
    puts = _invoice_puts(hospital_simulator, bill["id"])
    assert stored["state"] == "pending" and invoice["status"] == "issued"

    response = payment_simulator.http.post(
        f"/__admin/orders/{order['id']}/notify", params={"tamper": "1"}
    )
    assert response.status_code == 200, response.text
    tampered = response.json()
    assert tampered["kind"] == "tampered" and tampered["status"] == "failed", tampered
    assert [a["statusCode"] for a in tampered["attempts"]] == [401]
    listed = {d["id"]: d for d in _deliveries(payment_simulator, order["id"])}
    assert listed[tampered["id"]]["status"] == "failed"
    assert listed[tampered["id"]]["attempts"][0]["statusCode"] == 401

    assert payment_orders.find_one({"_id": order["id"]}) == stored
    assert _invoice(hospital_simulator, bill["id"]) == invoice
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts
    assert _bill_status(device, bill["id"]) == "UNPAID"

    # The genuine notification (resent now) is still accepted: the forgery spoilt nothing.
    genuine = payment_simulator.http.post(f"/__admin/orders/{order['id']}/notify").json()
    assert genuine["status"] == "delivered", genuine
    assert _bill_status(device, bill["id"]) == "PAID"
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts + 1


def test_paying_a_paid_bill_is_refused(
    people: Any, hospital_simulator: SimulatorAdmin, payment_simulator: SimulatorAdmin
) -> None:
    device, _ = people()
    bill, _, _ = _paid_bill(device, payment_simulator)
    orders_before = payment_simulator.http.get("/__admin/orders").json()["items"]
    again = _pay(device, bill["id"])
    assert again["__typename"] == "BillAlreadyPaid" and again["message"], again
    assert payment_simulator.http.get("/__admin/orders").json()["items"] == orders_before
    assert _invoice(hospital_simulator, bill["id"])["status"] == "balanced"


def test_a_forged_callback_is_refused(
    graph_url: str,
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    payment_orders: Any,
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    order = _pay(device, bill["id"])
    stored = payment_orders.find_one({"_id": order["id"]})
    puts = _invoice_puts(hospital_simulator, bill["id"])

    forged_event = {
        "id": "EV-forged",
        "create_time": "2025-05-14T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbA==",
            "associated_data": "transaction",
            "nonce": "abcdefghijkl",
        },
        # What a naive merchant might read in the clear: it must not be believed.
        "out_trade_no": order["id"],
        "trade_state": "SUCCESS",
    }
    signed_looking = {
        "content-type": "application/json",
        "wechatpay-timestamp": str(int(time.time())),
        "wechatpay-nonce": secrets.token_hex(16),
        "wechatpay-serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechatpay-signature": "Zm9yZ2Vk" * 43,
        "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
    }
    attempts = [
        (json.dumps(forged_event).encode(), signed_looking),
        (json.dumps(forged_event).encode(), {"content-type": "application/json"}),
        (b"not json at all", signed_looking),
        (b"", {}),
    ]
    with httpx.Client(base_url=graph_url, timeout=10) as http:
        for body, headers in attempts:
            response = http.post("/callbacks/payment", content=body, headers=headers)
            assert response.status_code == 401, (body, headers, response.text)
            assert response.json()["code"] == "FAIL"

    assert payment_orders.find_one({"_id": order["id"]}) == stored
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts
    assert _invoice(hospital_simulator, bill["id"])["status"] == "issued"
    assert _bill_status(device, bill["id"]) == "UNPAID"
    assert _pay(device, bill["id"])["id"] == order["id"]  # still the one open order


def test_racing_pay_taps_open_one_order(people: Any, payment_simulator: SimulatorAdmin) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _pay(device, bill["id"]), range(6)))
    assert {r["__typename"] for r in results} == {"PaymentOrder"}, results
    order_ids = {r["id"] for r in results}
    assert len(order_ids) == 1, results
    (order_id,) = order_ids
    assert len({_prepay_id(r) for r in results}) == 1
    assert len(_gateway_orders(payment_simulator, order_id)) == 1


def test_family_bills_are_mine_to_pay_and_nobody_elses(
    people: Any, payment_simulator: SimulatorAdmin, payment_orders: Any
) -> None:
    parent, _ = people()
    child = parent.post(
        """mutation($id: String!) { familyMemberAdd(input: {name: "周小宝", idNumber: $id,
        relation: CHILD}) { __typename ... on FamilyMember { id } } }""",
        {"id": valid_id_number("20160301")},
    )["data"]["familyMemberAdd"]
    book_tomorrow(parent, "湘雅三", patient_id=child["id"])
    (bill,) = _bills(parent, "UNPAID")

    stranger, _ = people()
    assert _bills(stranger) == []
    refused = stranger.post(PAY, {"bill": bill["id"], "channel": "WECHAT"})
    assert error_codes(refused) == ["NOT_FOUND"] and refused["data"] is None, refused
    assert payment_orders.count_documents({"bill_id": hospital_ref(bill["id"])[1]}) == 0

    order = _pay(parent, bill["id"])
    assert order["__typename"] == "PaymentOrder" and order["amountFen"] == bill["totalFen"]
    _pay_in_app(payment_simulator, order)
    _wait_paid(parent, bill["id"])


def test_a_hospital_down_at_notification_is_told_by_the_retry(
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    payment_orders: Any,
    delivery: Any,
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    code, _ = hospital_ref(bill["id"])
    puts = _invoice_puts(hospital_simulator, bill["id"])
    order = _pay(device, bill["id"])
    delivery(retrySchedule=[1.0, 1.0, 2.0, 4.0])
    hospital_simulator.set_faults(down=True, pathPrefix=f"/fhir/{code}/Invoice")
    try:
        _pay_in_app(payment_simulator, order)

        def first_attempt_failed() -> dict[str, Any] | None:
            (sent,) = _deliveries(payment_simulator, order["id"])
            answered = [a for a in sent["attempts"] if a["statusCode"] or a["error"]]
            return sent if answered else None

        sent = wait_until(first_attempt_failed, timeout=5)
        # Not acknowledged, so the gateway will retry; the money is recorded all the same.
        assert sent["attempts"][0]["statusCode"] >= 500, sent
        stored = payment_orders.find_one({"_id": order["id"]})
        assert stored["state"] == "paid" and stored["fulfilled"] is False
    finally:
        hospital_simulator.set_faults(down=False)
    # ... and the gateway's retry tells the hospital, once.
    _wait_paid(device, bill["id"])
    assert _invoice_puts(hospital_simulator, bill["id"]) == puts + 1
    assert payment_orders.find_one({"_id": order["id"]})["fulfilled"] is True
    final = wait_until(
        lambda: (
            d
            if (d := _deliveries(payment_simulator, order["id"])[0])["status"] != "pending"
            else None
        )
    )
    assert final["status"] == "delivered", final


def test_a_bill_is_a_node(people: Any) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    query = """query($id: ID!) { node(id: $id) { id ... on Bill {
      hospitalCode number status totalFen issued lines { description amountFen } } } }"""
    body = device.post(query, {"id": bill["id"]})
    assert "errors" not in body, body
    assert body["data"]["node"] == bill
    stranger, _ = people()
    refused = stranger.post(query, {"id": bill["id"]})
    assert error_codes(refused) == ["NOT_FOUND"] and refused["data"] == {"node": None}, refused


CANCEL = """mutation($id: ID!) { appointmentCancel(id: $id) { __typename
  ... on Appointment { status } ... on UserError { message } } }"""


def test_a_cancelled_bill_cannot_be_paid(people: Any, payment_orders: Any) -> None:
    device, _ = people()
    booked = book_tomorrow(device, "省人民", first_day=2)
    (bill,) = _bills(device, "UNPAID")
    cancelled = device.post(CANCEL, {"id": booked["id"]})["data"]["appointmentCancel"]
    assert cancelled == {"__typename": "Appointment", "status": "CANCELLED"}, cancelled
    assert _bills(device, "UNPAID") == []
    assert [b["id"] for b in _bills(device, "CANCELLED")] == [bill["id"]]
    refused = _pay(device, bill["id"])
    assert refused["__typename"] == "BillNotPayable" and refused["message"], refused
    assert payment_orders.count_documents({"bill_id": hospital_ref(bill["id"])[1]}) == 0


def test_cancelling_closes_the_open_payment_order(
    people: Any, hospital_simulator: SimulatorAdmin, payment_simulator: SimulatorAdmin
) -> None:
    """The citizen opened the cashier, then cancelled: the old order must not take money."""
    device, _ = people()
    booked = book_tomorrow(device, "省人民", first_day=2)
    (bill,) = _bills(device, "UNPAID")
    order = _pay(device, bill["id"])
    assert order["__typename"] == "PaymentOrder", order
    cancelled = device.post(CANCEL, {"id": booked["id"]})["data"]["appointmentCancel"]
    assert cancelled["status"] == "CANCELLED", cancelled

    (at_gateway,) = _gateway_orders(payment_simulator, order["id"])
    assert at_gateway["trade_state"] == "CLOSED", at_gateway
    late = payment_simulator.http.post(f"/pay/{_prepay_id(order)}", json={})
    assert late.status_code == 400 and late.json()["code"] == "ORDER_CLOSED", late.text
    assert _invoice(hospital_simulator, bill["id"])["status"] == "cancelled"


def test_a_gateway_outage_opens_no_second_order(
    people: Any, payment_simulator: SimulatorAdmin, payment_orders: Any
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    payment_simulator.set_faults(down=True)
    try:
        body = device.post(PAY, {"bill": bill["id"], "channel": "WECHAT"})
    finally:
        payment_simulator.set_faults(down=False)
    assert error_codes(body) == ["UPSTREAM_UNAVAILABLE"], body
    assert "payment" in body["errors"][0]["extensions"]["upstream"]
    # Once the gateway is back, the one order of the bill is placed and nothing else.
    order = _pay(device, bill["id"])
    assert order["__typename"] == "PaymentOrder", order
    assert (
        payment_orders.count_documents(
            {"kind": "hospital_bill", "item_id": hospital_ref(bill["id"])[1]}
        )
        == 1
    )
    assert len(_gateway_orders(payment_simulator, order["id"])) == 1
    _pay_in_app(payment_simulator, order)
    _wait_paid(device, bill["id"])


def test_notifications_racing_each_other_pay_once(
    people: Any,
    hospital_simulator: SimulatorAdmin,
    payment_simulator: SimulatorAdmin,
    payment_orders: Any,
    delivery: Any,
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    order = _pay(device, bill["id"])
    delivery(delayMs=600_000)  # the first delivery waits; the duplicates race each other
    paid = _pay_in_app(payment_simulator, order)
    puts = _invoice_puts(hospital_simulator, bill["id"])

    def notify(_: int) -> dict[str, Any]:
        response = payment_simulator.http.post(f"/__admin/orders/{order['id']}/notify")
        assert response.status_code == 200, response.text
        sent: dict[str, Any] = response.json()
        return sent

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        sent = list(pool.map(notify, range(6)))
    assert [s["attempts"][0]["statusCode"] for s in sent] == [204] * 6, sent

    stored = payment_orders.find_one({"_id": order["id"]})
    assert stored["state"] == "paid" and stored["fulfilled"] is True
    assert stored["transaction_id"] == paid["transaction_id"]
    invoice = _invoice(hospital_simulator, bill["id"])
    assert invoice["status"] == "balanced" and invoice["meta"]["versionId"] == "2"
    assert invoice["paymentTerms"] == paid["transaction_id"]
    # Racers may each try the PUT; the hospital's version check lets one of them through.
    assert 1 <= _invoice_puts(hospital_simulator, bill["id"]) - puts <= 6
    assert _bill_status(device, bill["id"]) == "PAID"


HOME_BILLS = "{ home { billsToPay { id status } } }"


def test_a_confirmed_payment_ends_the_kept_home_screen(
    people: Any, payment_simulator: SimulatorAdmin
) -> None:
    device, _ = people()
    _, bill = _unpaid_registration_bill(device)
    order = _pay(device, bill["id"])

    def home() -> tuple[list[dict[str, Any]], str | None]:
        response = device.http.post(
            "/graphql",
            json={"query": HOME_BILLS},
            headers={"authorization": f"Bearer {device.access_token}"},
        )
        return response.json()["data"]["home"]["billsToPay"], response.headers.get(
            "x-mychangsha-cache"
        )

    assert home() == ([{"id": bill["id"], "status": "UNPAID"}], "miss")
    assert home()[1] == "hit"
    _pay_in_app(payment_simulator, order)  # the gateway, not the citizen, tells the graph
    _wait_paid(device, bill["id"])
    assert home() == ([], "miss")
