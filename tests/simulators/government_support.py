"""Shared pieces of the government simulator's tests: a movable clock, a webhook receiver, and
builders of valid applications from the catalogue's own description of a service.

Signatures are checked here with `hmac` directly, not with the simulator's helper, so the wire
format is pinned independently of the code that produces it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mychangsha.simulators.government import DEV_WEBHOOK_SECRET, create_app
from mychangsha.simulators.realname.data import ADULTS
from tests.support.servers import serve_in_thread

PDF = b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
JPG = b"\xff\xd8\xff\xe0" + bytes(24)
APPLICANT = ADULTS[0]  # 张伟, 430102198503120114
OTHER = ADULTS[1]


class MutableClock:
    """The real time shifted by `offset`; the simulator (in another thread) reads it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        """Move the simulator's time forward."""
        self.offset += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Received:
    """One webhook request as it arrived, and the status it was answered with."""

    headers: dict[str, str]
    body: bytes
    answered: int

    def event(self) -> dict[str, Any]:
        """The webhook's JSON."""
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


@dataclass
class WebhookReceiver:
    """Our side of the webhook: keeps every request; refuses the first `fail_first` with 503."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    app: Starlette = field(init=False)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/hook", self._receive, methods=["POST"])])

    def reset(self) -> None:
        """Forget everything; accept everything."""
        self.received.clear()
        self.fail_first = 0

    def wait_for(self, count: int, seconds: float = 5.0) -> list[Received]:
        """Poll until `count` requests arrived, then give them all (oldest first)."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} webhooks came"
            time.sleep(0.01)
        return list(self.received)

    def statuses(self) -> list[str]:
        """The statuses of the webhooks answered 2xx, in arrival order."""
        return [item.event()["status"] for item in self.received if item.answered < 300]

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        failing = self.fail_first > 0
        if failing:
            self.fail_first -= 1
        answered = 503 if failing else 204
        self.received.append(Received(dict(request.headers), body, answered))
        return Response(status_code=answered)


def signature_valid(headers: dict[str, str], body: bytes, secret: str = DEV_WEBHOOK_SECRET) -> bool:
    """X-Gov-Signature is sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>."""
    message = headers["x-gov-timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-gov-signature"])


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    """The simulator's clock, shared by a module's tests and reset before each."""
    return MutableClock()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    """The webhook receiver, served for the whole module, and its URL."""
    hooks = WebhookReceiver()
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hook"


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    """One simulator for the module."""
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(
    base_url: str, clock: MutableClock, receiver: tuple[WebhookReceiver, str]
) -> Iterator[httpx.Client]:
    """A client of the reset simulator: manual progression, fast webhook retries."""
    clock.offset = timedelta()
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        time.sleep(0.05)  # any delivery still on the wire lands before the receiver forgets
        receiver[0].reset()
        client.put("/__admin/progression", json={"stepSeconds": None}).raise_for_status()
        client.put("/__admin/webhook", json={"retrySchedule": [0.05, 0.05]}).raise_for_status()
        yield client


# --- building applications -------------------------------------------------------------------


def all_services(http: httpx.Client) -> list[dict[str, Any]]:
    """The whole catalogue, walked by its `next` links."""
    items: list[dict[str, Any]] = []
    url: str | None = "/v1/services?pageSize=100"
    while url is not None:
        page = http.get(url).raise_for_status().json()
        items.extend(page["items"])
        url = page["next"]
    return items


def service_named(http: httpx.Client, name: str) -> dict[str, Any]:
    """One service by its name."""
    return next(s for s in all_services(http) if s["name"] == name)


def bundle_named(http: httpx.Client, name: str) -> dict[str, Any]:
    """One bundle by its name."""
    items = http.get("/v1/bundles").raise_for_status().json()["items"]
    return next(b for b in items if b["name"] == name)


def valid_fields(target: dict[str, Any]) -> dict[str, Any]:
    """A value of the right type for every form field (required or not)."""
    values: dict[str, Any] = {}
    for form_field in target["formFields"]:
        name, kind = form_field["name"], form_field["type"]
        if kind == "select":
            values[name] = form_field["options"][0]
        elif kind == "number":
            values[name] = 100
        elif kind == "date":
            values[name] = "2026-01-15"
        elif name.endswith("IdNumber"):
            values[name] = OTHER.id_number
        else:
            values[name] = f"长沙市芙蓉区测试{form_field['label']}"
    return values


def material_files(
    target: dict[str, Any], *, skip: tuple[str, ...] = ()
) -> list[tuple[str, tuple[str, bytes, str]]]:
    """One file for each required material (except `skip`), of a type the material accepts."""
    files = []
    for material in target["materials"]:
        if not material["required"] or material["name"] in skip:
            continue
        if "pdf" in material["acceptedTypes"]:
            files.append((f"materials[{material['name']}]", ("scan.pdf", PDF, "application/pdf")))
        else:
            files.append((f"materials[{material['name']}]", ("photo.png", PNG, "image/png")))
    return files


def submit(
    http: httpx.Client,
    target: dict[str, Any],
    *,
    external_id: str,
    fields: dict[str, Any] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    callback_url: str | None = None,
    applicant: dict[str, str] | None = None,
) -> httpx.Response:
    """POST /v1/applications as multipart: the JSON part plus material files."""
    key = "bundleCode" if "serviceCodes" in target else "serviceCode"
    application: dict[str, Any] = {
        key: target["code"],
        "applicant": applicant
        or {"name": APPLICANT.name, "idNumber": APPLICANT.id_number, "phone": "13807310001"},
        "fields": valid_fields(target) if fields is None else fields,
        "externalId": external_id,
    }
    if callback_url is not None:
        application["callbackUrl"] = callback_url
    parts = material_files(target) if files is None else files
    body = json.dumps(application, ensure_ascii=False).encode()
    # The JSON as a part without a file name: a form field, so multipart even with no files.
    return http.post(
        "/v1/applications", files=[("application", (None, body, "application/json")), *parts]
    )
