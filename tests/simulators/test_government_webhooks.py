"""Status webhooks of the government platform simulator over real HTTP: signed pushes, retries,
lost webhooks recovered by polling, duplicates and forgeries.

A small Starlette app plays our side (`WebhookReceiver`); signatures are recomputed with
`hmac` in `government_support.signature_valid`, independently of the simulator's code.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.simulators.government_support import (
    MutableClock,
    WebhookReceiver,
    base_url,
    clock,
    http,
    receiver,
    service_named,
    signature_valid,
    submit,
)

__all__ = ["base_url", "clock", "http", "receiver"]  # fixtures used by this module

SERVICE = "个体工商户设立登记"


def apply(http: httpx.Client, url: str | None, external_id: str = "ext-w") -> dict[str, Any]:
    response = submit(http, service_named(http, SERVICE), external_id=external_id, callback_url=url)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def deliveries(http: httpx.Client, number: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = http.get(
        "/__admin/webhooks", params={"applicationNumber": number}
    ).json()["items"]
    return items


def test_every_change_is_pushed_signed(
    http: httpx.Client, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    application = apply(http, url)
    number = application["applicationNumber"]
    (first,) = hooks.wait_for(1)
    assert signature_valid(first.headers, first.body)
    assert first.headers["content-type"] == "application/json"
    assert abs(int(first.headers["x-gov-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    event = first.event()
    assert set(event) == {
        "eventId", "applicationNumber", "status", "previousStatus", "at", "externalId",
    }  # fmt: skip
    assert event["applicationNumber"] == number and event["externalId"] == "ext-w"
    assert (event["status"], event["previousStatus"]) == ("submitted", None)
    assert event["at"] == application["submittedAt"]
    assert first.headers["x-gov-event-id"] == event["eventId"]
    http.post(f"/__admin/applications/{number}/advance", json={"to": "approved"})
    received = hooks.wait_for(4)
    assert [r.event()["status"] for r in received] == [
        "submitted", "accepted", "in_review", "approved",
    ]  # fmt: skip
    assert [r.event()["previousStatus"] for r in received[1:]] == [
        "submitted", "accepted", "in_review",
    ]  # fmt: skip
    assert all(signature_valid(r.headers, r.body) for r in received)
    assert len({r.event()["eventId"] for r in received}) == 4
    timeline = http.get(f"/v1/applications/{number}").json()["timeline"]
    assert [r.event()["at"] for r in received] == [entry["at"] for entry in timeline]


def test_changes_by_the_clock_are_pushed_without_requests(
    http: httpx.Client, clock: MutableClock, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    http.put("/__admin/progression", json={"stepSeconds": 60}).raise_for_status()
    apply(http, url)
    hooks.wait_for(1)
    clock.advance(120)  # two steps due; nobody asks the platform anything
    received = hooks.wait_for(3)
    assert [r.event()["status"] for r in received] == ["submitted", "accepted", "in_review"]


def test_a_refused_webhook_is_retried(
    http: httpx.Client, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    hooks.fail_first = 2
    number = apply(http, url)["applicationNumber"]
    received = hooks.wait_for(3)
    assert [r.answered for r in received] == [503, 503, 204]
    assert len({r.body for r in received}) == 1, "every attempt carries the same event"
    assert all(signature_valid(r.headers, r.body) for r in received)
    (delivery,) = deliveries(http, number)
    assert delivery["status"] == "delivered"
    assert [a["statusCode"] for a in delivery["attempts"]] == [503, 503, 204]


def test_a_lost_webhook_is_found_by_polling(
    http: httpx.Client, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    number = apply(http, url)["applicationNumber"]
    hooks.wait_for(1)
    last_seen = http.get(f"/v1/applications/{number}").json()["updatedAt"]
    assert http.put("/__admin/webhook", json={"dropNext": 1}).json()["dropNext"] == 1
    http.post(f"/__admin/applications/{number}/advance").raise_for_status()
    time.sleep(0.2)
    assert hooks.statuses() == ["submitted"], "the accepted webhook was lost"
    assert [d["status"] for d in deliveries(http, number)] == ["delivered", "dropped"]
    assert http.get("/__admin/webhook").json()["dropNext"] == 0
    polled = http.get("/v1/applications", params={"updatedSince": last_seen}).json()
    assert [(a["applicationNumber"], a["status"]) for a in polled["items"]] == [
        (number, "accepted")
    ]
    http.post(f"/__admin/applications/{number}/advance").raise_for_status()
    assert hooks.wait_for(2)[-1].event()["status"] == "in_review", "only one was dropped"


def test_a_redelivery_is_a_duplicate_with_the_same_event_id(
    http: httpx.Client, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    apply(http, url)
    (original,) = hooks.wait_for(1)
    event_id = original.event()["eventId"]
    response = http.post(f"/__admin/webhooks/{event_id}/redeliver")
    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["status"]) == ("duplicate", "delivered")
    duplicate = hooks.wait_for(2)[1]
    assert duplicate.body == original.body
    assert duplicate.event()["eventId"] == event_id
    assert signature_valid(duplicate.headers, duplicate.body)
    assert http.post("/__admin/webhooks/evt_nope/redeliver").status_code == 404


def test_a_tampered_webhook_fails_verification(
    http: httpx.Client, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    apply(http, url)
    (original,) = hooks.wait_for(1)
    event_id = original.event()["eventId"]
    response = http.post(f"/__admin/webhooks/{event_id}/redeliver", params={"tamper": "1"})
    assert response.json()["kind"] == "tampered"
    forged = hooks.wait_for(2)[1]
    assert forged.event()["eventId"] == event_id
    assert forged.event()["status"] != original.event()["status"]
    assert not signature_valid(forged.headers, forged.body)
    assert not signature_valid(original.headers, original.body, secret="another-secret")


def test_the_admin_url_serves_applications_without_a_callback(
    http: httpx.Client, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    number = apply(http, None, external_id="ext-n1")["applicationNumber"]
    assert [d["status"] for d in deliveries(http, number)] == ["no_url"]
    assert http.put("/__admin/webhook", json={"url": url}).json()["url"] == url
    apply(http, None, external_id="ext-n2")
    assert hooks.wait_for(1)[0].event()["externalId"] == "ext-n2"
    assert http.put("/__admin/webhook", json={"url": "ftp://x"}).status_code == 400
