"""The government platform client against the real simulator over HTTP, with a real Redis.

Multipart applications (bytes and streamed files), the idempotent retry after a lost answer,
the platform's refusals as typed errors, supplements, the poller's query, e-certificates and
their PDF, and the verification of signed status webhooks as the simulator sends them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mychangsha.cache import redis as redis_cache
from mychangsha.integrations import government as gov_module
from mychangsha.integrations.errors import UpstreamUnavailable
from mychangsha.integrations.government import (
    Applicant,
    ApplicationStatus,
    GovBundle,
    GovernmentClient,
    GovService,
    InvalidField,
    InvalidMaterials,
    InvalidWebhook,
    MaterialFile,
    MissingMaterials,
    SupplementNotExpected,
    first_delivery,
    verify_webhook,
)
from mychangsha.integrations.government import client as client_module
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from mychangsha.simulators.government import DEV_WEBHOOK_SECRET, create_app
from mychangsha.simulators.realname.data import check_character
from mychangsha.storage import mongo
from mychangsha.storage.gov_services import GovServiceRepository
from mychangsha.sync.government import sync_catalogue
from tests.simulators.government_support import (
    APPLICANT,
    OTHER,
    PDF,
    PNG,
    MutableClock,
    Received,
    WebhookReceiver,
)
from tests.support.servers import serve_in_thread

SECRET = DEV_WEBHOOK_SECRET.encode()
SOLE_TRADER = "个体工商户设立登记"  # issues a 营业执照 when completed
ME = Applicant(APPLICANT.name, APPLICANT.id_number, "13807310001")
SOMEONE_ELSE = Applicant(OTHER.name, OTHER.id_number, "13907310002")


# --- servers ----------------------------------------------------------------------------------


@dataclass
class LossyProxy:
    """Forwards to the platform; loses the answer to the next `lose` requests (says 502).

    The platform did the work, the client only thinks it failed: what an idempotent submit
    must survive.
    """

    target: str
    lose: int = 0
    forwarded: int = 0

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            self.forwarded += 1
            hop_by_hop = {"host", "content-length", "transfer-encoding", "connection"}
            headers = {k: v for k, v in request.headers.items() if k.lower() not in hop_by_hop}
            async with httpx.AsyncClient(base_url=self.target, timeout=10) as client:
                answer = await client.request(
                    request.method,
                    request.url.path,
                    params=str(request.query_params),
                    content=await request.body(),
                    headers=headers,
                )
            if self.lose > 0:
                self.lose -= 1
                return Response(b'{"error": "lost"}', status_code=502)
            return Response(answer.content, answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture(scope="module")
def platform(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture(scope="module")
def proxy(platform: str) -> Iterator[tuple[LossyProxy, str]]:
    lossy = LossyProxy(platform)
    with serve_in_thread(lossy.app()) as url:
        yield lossy, url


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    hooks = WebhookReceiver()
    with serve_in_thread(hooks.app) as url:
        yield hooks, f"{url}/hook"


@pytest.fixture
async def admin(
    platform: str, clock: MutableClock, receiver: tuple[WebhookReceiver, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator reset: manual progression, fast webhook retries, an empty receiver."""
    clock.offset = timedelta()
    async with httpx.AsyncClient(base_url=platform, timeout=10) as http:
        (await http.post("/__admin/reset")).raise_for_status()
        await asyncio.sleep(0.05)  # a delivery still on the wire lands before the reset below
        receiver[0].reset()
        (await http.put("/__admin/progression", json={"stepSeconds": None})).raise_for_status()
        (await http.put("/__admin/webhook", json={"retrySchedule": [0.05]})).raise_for_status()
        yield http


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def upstreams(redis: Redis) -> AsyncIterator[Callable[[str], UpstreamClient]]:
    made: list[UpstreamClient] = []

    def make(base_url: str) -> UpstreamClient:
        config = UpstreamConfig(
            name=f"gov-{uuid.uuid4().hex[:8]}", base_url=base_url, backoff_base=0.001
        )
        made.append(UpstreamClient(config, redis))
        return made[-1]

    yield make
    for upstream in made:
        await upstream.aclose()


@pytest.fixture
def gov(
    admin: httpx.AsyncClient, platform: str, upstreams: Callable[[str], UpstreamClient]
) -> GovernmentClient:
    return GovernmentClient(upstreams(platform))


# --- helpers ----------------------------------------------------------------------------------


async def service_named(gov: GovernmentClient, name: str) -> GovService:
    return next(iter([s async for s in gov.iter_services() if s.name == name]))


async def bundle_named(gov: GovernmentClient, name: str) -> GovBundle:
    return next(b for b in await gov.bundles() if b.name == name)


def form(target: GovService | GovBundle) -> dict[str, str]:
    """A valid value for every form field, as the strings a GraphQL input carries."""
    values: dict[str, str] = {}
    for field in target.form_fields:
        if field.type == "select":
            values[field.name] = (field.options or ("",))[0]
        elif field.type == "number":
            values[field.name] = "50"
        elif field.type == "date":
            values[field.name] = "2026-01-15"
        elif field.name.endswith("IdNumber"):
            values[field.name] = OTHER.id_number
        else:
            values[field.name] = f"长沙市岳麓区测试{field.label}"
    return values


def streamed(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    """A stream opener like a GridFS file's: each call reads from the start, in chunks."""

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 7):
            yield data[start : start + 7]

    return stream


def files(target: GovService | GovBundle, *, skip: tuple[str, ...] = ()) -> list[MaterialFile]:
    """One file per required material, typed as it accepts; PDFs streamed, images as bytes."""
    out = []
    for material in target.materials:
        if not material.required or material.name in skip:
            continue
        if "pdf" in material.accepted_types:
            out.append(MaterialFile(material.name, "扫描件.pdf", "application/pdf", streamed(PDF)))
        else:
            out.append(MaterialFile(material.name, "photo.png", "image/png", PNG))
    return out


async def apply(
    gov: GovernmentClient,
    target: GovService | GovBundle,
    *,
    applicant: Applicant = ME,
    callback_url: str | None = None,
    external_id: str | None = None,
) -> Any:
    return await gov.submit(
        service_code=target.code if isinstance(target, GovService) else None,
        bundle_code=target.code if isinstance(target, GovBundle) else None,
        applicant=applicant,
        fields=form(target),
        materials=files(target),
        external_id=external_id or uuid.uuid4().hex,
        callback_url=callback_url,
    )


async def advance(admin: httpx.AsyncClient, number: str, to: str) -> None:
    """Move an application through the legal transitions now (the reviewer's side)."""
    answer = await admin.post(f"/__admin/applications/{number}/advance", json={"to": to})
    answer.raise_for_status()


# --- catalogue --------------------------------------------------------------------------------


async def test_the_catalogue_is_read_through_every_page(gov: GovernmentClient) -> None:
    services = [s async for s in gov.iter_services()]
    assert len(services) >= 300 > client_module.PAGE_SIZE
    codes = [s.code for s in services]
    assert codes == sorted(set(codes)), "each service once, in the platform's order"
    licence = next(s for s in services if s.name == "企业设立登记")
    assert licence.department == "长沙市市场监督管理局" and "开办企业" in licence.life_events
    assert licence.issues_certificate == "营业执照"
    assert {m.name for m in licence.materials if m.required} >= {"居民身份证", "住所使用证明"}
    assert licence.updated_at.tzinfo is UTC
    assert await gov.service(licence.code) == licence


async def test_bundles_life_events_and_departments(gov: GovernmentClient) -> None:
    bundles = await gov.bundles()
    assert len(bundles) >= 10
    start = next(b for b in bundles if b.name == "开办企业一件事")
    assert start.life_event == "开办企业" and len(start.departments) >= 2
    assert "营业执照" not in {m.name for m in start.materials}, "the bundle issues it itself"
    assert len(start.service_codes) == len(start.services) >= 4
    assert await gov.bundle(start.code) == start
    events = {event.name: event for event in await gov.life_events()}
    assert events["开办企业"].bundle_count >= 3 and events["出生"].service_count > 0
    departments = {d.code: d for d in await gov.departments()}
    assert departments["rsj"].short_name == "人社局"


# --- applying ---------------------------------------------------------------------------------


async def test_submit_uploads_fields_and_streamed_materials(
    gov: GovernmentClient, receiver: tuple[WebhookReceiver, str]
) -> None:
    service = await service_named(gov, SOLE_TRADER)
    application = await apply(gov, service, callback_url=receiver[1], external_id="ext-a")
    assert application.number.startswith("430100-")
    assert (application.service_code, application.bundle_code) == (service.code, None)
    assert application.status is ApplicationStatus.SUBMITTED
    assert application.external_id == "ext-a" and application.applicant == ME
    assert application.fields["registeredCapital"] == 50, "numbers come back normalised"
    uploaded = {m.material: m for m in application.materials}
    assert set(uploaded) == {m.material_name for m in files(service)}
    assert uploaded["居民身份证"].sha256 == hashlib.sha256(PDF).hexdigest()
    assert uploaded["居民身份证"].file_name == "扫描件.pdf"
    assert [entry.status for entry in application.timeline] == [ApplicationStatus.SUBMITTED]
    assert await gov.application(application.number) == application


async def test_a_bundle_is_applied_for_once_for_every_department(gov: GovernmentClient) -> None:
    bundle = await bundle_named(gov, "开办企业一件事")
    application = await apply(gov, bundle)
    assert (application.service_code, application.bundle_code) == (None, bundle.code)
    assert set(application.service_codes) == set(bundle.service_codes)
    assert len(application.departments) >= 2


async def test_a_lost_answer_is_retried_into_the_same_application(
    gov: GovernmentClient,
    admin: httpx.AsyncClient,
    proxy: tuple[LossyProxy, str],
    upstreams: Callable[[str], UpstreamClient],
) -> None:
    lossy, url = proxy
    service = await service_named(gov, SOLE_TRADER)
    behind_proxy = GovernmentClient(upstreams(url))
    lossy.lose, lossy.forwarded = 1, 0
    retried = await apply(behind_proxy, service, external_id="ext-retry")
    assert lossy.forwarded == 2, "the first answer was lost, the retry got the application"
    again = await apply(gov, service, external_id="ext-retry")
    assert again.number == retried.number
    listed = (await admin.get("/v1/applications", params={"externalId": "ext-retry"})).json()
    assert listed["total"] == 1, "one application, however often it was sent"


async def test_missing_materials_are_named(gov: GovernmentClient) -> None:
    service = await service_named(gov, SOLE_TRADER)
    with pytest.raises(MissingMaterials) as caught:
        await gov.submit(
            service_code=service.code,
            bundle_code=None,
            applicant=ME,
            fields=form(service),
            materials=files(service, skip=("住所使用证明",)),
            external_id=uuid.uuid4().hex,
            callback_url=None,
        )
    assert caught.value.names == ["住所使用证明"]
    assert caught.value.code == "MISSING_MATERIALS" and caught.value.message


@pytest.mark.parametrize(
    ("field", "value", "applicant"),
    [
        ("enterpriseType", "跨国集团", ME),
        ("registeredCapital", "-5", ME),
        ("applicant.phone", None, Applicant(ME.name, ME.id_number, "12345")),
    ],
)
async def test_an_invalid_field_is_named(
    gov: GovernmentClient, field: str, value: str | None, applicant: Applicant
) -> None:
    service = await service_named(gov, SOLE_TRADER)
    fields = form(service)
    if value is not None:
        fields[field] = value
    with pytest.raises(InvalidField) as caught:
        await gov.submit(
            service_code=service.code,
            bundle_code=None,
            applicant=applicant,
            fields=fields,
            materials=files(service),
            external_id=uuid.uuid4().hex,
            callback_url=None,
        )
    assert caught.value.field == field and caught.value.message


async def test_a_file_disguised_by_its_name_is_refused(gov: GovernmentClient) -> None:
    service = await service_named(gov, SOLE_TRADER)
    disguised = [
        MaterialFile(m.material_name, "scan.pdf", "application/pdf", b"MZ\x90\x00 not a pdf")
        if m.material_name == "居民身份证"
        else m
        for m in files(service)
    ]
    with pytest.raises(InvalidMaterials) as caught:
        await gov.submit(
            service_code=service.code,
            bundle_code=None,
            applicant=ME,
            fields=form(service),
            materials=disguised,
            external_id=uuid.uuid4().hex,
            callback_url=None,
        )
    assert (caught.value.code, caught.value.names) == ("INVALID_MATERIAL", ["居民身份证"])


# --- supplements and status -------------------------------------------------------------------


async def test_supplementing_resumes_the_review_once(
    gov: GovernmentClient, admin: httpx.AsyncClient
) -> None:
    service = await service_named(gov, SOLE_TRADER)
    application = await apply(gov, service)
    with pytest.raises(SupplementNotExpected):
        await gov.supplement(application.number, files(service))
    await advance(admin, application.number, "needs_supplement")
    waiting = await gov.application(application.number)
    assert waiting.status is ApplicationStatus.NEEDS_SUPPLEMENT
    assert waiting.requested_materials == ("居民身份证",)
    asked = [MaterialFile("居民身份证", "清晰版.pdf", "application/pdf", streamed(PDF))]
    resumed = await gov.supplement(application.number, asked, note="已重新扫描")
    assert resumed.status is ApplicationStatus.IN_REVIEW and resumed.requested_materials == ()
    assert resumed.supplement_request is not None
    assert resumed.supplement_request.fulfilled_at is not None
    assert [(m.material, m.round) for m in resumed.materials if m.round > 0] == [("居民身份证", 1)]
    assert "已重新扫描" in resumed.timeline[-1].note
    with pytest.raises(SupplementNotExpected):
        await gov.supplement(application.number, asked)


async def test_the_poller_sees_changes_since_its_last_look(
    gov: GovernmentClient, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", 2)  # several pages from a few applications
    service = await service_named(gov, SOLE_TRADER)
    start = datetime.now(UTC) - timedelta(seconds=1)
    mine = [await apply(gov, service) for _ in range(4)]
    await apply(gov, service, applicant=SOMEONE_ELSE)
    seen = await gov.changed_since(ME.id_number, start)
    assert [a.number for a in seen] == [a.number for a in mine]
    assert len(await gov.changed_since(None, start)) == 5
    last_look = max(a.updated_at for a in seen)
    await advance(admin, mine[1].number, "in_review")
    changed = await gov.changed_since(ME.id_number, last_look)
    assert changed[-1].number == mine[1].number
    assert changed[-1].status is ApplicationStatus.IN_REVIEW
    assert {a.number for a in changed} <= {mine[1].number, mine[-1].number}, "and the boundary"
    with pytest.raises(ValueError, match="timezone-aware"):
        await gov.changed_since(ME.id_number, datetime(2026, 1, 1))


async def test_the_poller_survives_changes_and_ties_while_it_pages(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a scripted platform: page-number paging would skip one application here."""
    monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    times = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 4, "f": 4, "g": 4}
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        requests.append(urlencode(query))
        if len(requests) == 2:
            times["a"] = 9  # changed while we page: it moves to the end
        since = datetime.fromisoformat(query["updatedSince"])
        rows = sorted(
            (base + timedelta(seconds=t), n)
            for n, t in times.items()
            if base + timedelta(seconds=t) >= since
        )
        page, size = int(query["page"]), int(query["pageSize"])
        chunk = rows[(page - 1) * size : page * size]
        following = {**query, "page": str(page + 1)}
        body = {
            "items": [_application_json(number, at) for at, number in chunk],
            "next": f"/v1/applications?{urlencode(following)}" if page * size < len(rows) else None,
        }
        return httpx.Response(200, json=body)

    config = UpstreamConfig(name=f"gov-{uuid.uuid4().hex[:8]}", base_url="http://gov.invalid")
    upstream = UpstreamClient(config, redis, transport=httpx.MockTransport(handler))
    try:
        found = await GovernmentClient(upstream).changed_since(None, base)
    finally:
        await upstream.aclose()
    assert [a.number for a in found] == ["b", "c", "d", "e", "f", "g", "a"]
    assert found[-1].updated_at == base + timedelta(seconds=9)
    assert any("page=2" in r for r in requests), "equal times fell back to the next link"


def _application_json(number: str, at: datetime) -> dict[str, Any]:
    stamp = at.isoformat(timespec="milliseconds")
    return {
        "applicationNumber": number,
        "externalId": f"ext-{number}",
        "serviceCode": "430100-QR-0001",
        "bundleCode": None,
        "applicant": {"name": ME.name, "idNumber": ME.id_number, "phone": ME.phone},
        "status": "accepted",
        "submittedAt": stamp,
        "updatedAt": stamp,
        "dueDate": "2026-03-10",
        "timeline": [{"status": "accepted", "at": stamp, "note": ""}],
    }


# --- e-certificates ---------------------------------------------------------------------------


async def test_certificates_and_their_pdf(gov: GovernmentClient, admin: httpx.AsyncClient) -> None:
    held = await gov.certificates(ME.id_number)
    assert {"居民户口簿", "居民身份证"} <= {c.type for c in held}
    id_card = next(c for c in held if c.type == "居民身份证")
    assert id_card.number == ME.id_number and id_card.holder_name == ME.name
    assert await gov.certificate(id_card.id) == id_card
    pdf = await gov.certificate_file(id_card.id)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    unknown = "11010119900307001"
    assert await gov.certificates(unknown + check_character(unknown)) == []


async def test_a_completed_application_adds_its_certificate(
    gov: GovernmentClient, admin: httpx.AsyncClient
) -> None:
    service = await service_named(gov, SOLE_TRADER)
    application = await apply(gov, service)
    await advance(admin, application.number, "completed")
    done = await gov.application(application.number)
    assert done.status is ApplicationStatus.COMPLETED and done.status.is_final
    (certificate_id,) = done.certificate_ids
    licence = next(c for c in await gov.certificates(ME.id_number) if c.id == certificate_id)
    assert licence.type == "营业执照" and licence.data["applicationNumber"] == done.number
    assert len(licence.number) == 18


# --- webhooks ---------------------------------------------------------------------------------


async def first_webhook(
    gov: GovernmentClient, receiver: tuple[WebhookReceiver, str]
) -> tuple[Received, str]:
    hooks, url = receiver
    service = await service_named(gov, SOLE_TRADER)
    application = await apply(gov, service, callback_url=url, external_id="ext-hook")
    (delivery,) = await asyncio.to_thread(hooks.wait_for, 1)
    return delivery, application.number


async def test_a_signed_webhook_verifies(
    gov: GovernmentClient, receiver: tuple[WebhookReceiver, str]
) -> None:
    delivery, number = await first_webhook(gov, receiver)
    change = verify_webhook(SECRET, delivery.headers, delivery.body, now=time.time())
    assert (change.application_number, change.external_id) == (number, "ext-hook")
    assert (change.status, change.previous) == (ApplicationStatus.SUBMITTED, None)
    assert change.event_id == delivery.headers["x-gov-event-id"]
    assert change.at.tzinfo is UTC


async def test_a_tampered_webhook_is_refused(
    gov: GovernmentClient, admin: httpx.AsyncClient, receiver: tuple[WebhookReceiver, str]
) -> None:
    delivery, _ = await first_webhook(gov, receiver)
    event_id = delivery.event()["eventId"]
    redelivered = await admin.post(
        f"/__admin/webhooks/{event_id}/redeliver", params={"tamper": "1"}
    )
    assert redelivered.json()["kind"] == "tampered"
    tampered = receiver[0].received[-1]
    assert tampered.body != delivery.body
    with pytest.raises(InvalidWebhook, match="does not verify"):
        verify_webhook(SECRET, tampered.headers, tampered.body, now=time.time())
    with pytest.raises(InvalidWebhook, match="does not verify"):
        verify_webhook(b"another secret", delivery.headers, delivery.body, now=time.time())


async def test_a_stale_or_unsigned_webhook_is_refused(
    gov: GovernmentClient, receiver: tuple[WebhookReceiver, str]
) -> None:
    delivery, _ = await first_webhook(gov, receiver)
    sent = int(delivery.headers["x-gov-timestamp"])
    assert verify_webhook(SECRET, delivery.headers, delivery.body, now=sent + 299)
    with pytest.raises(InvalidWebhook, match="stale"):
        verify_webhook(SECRET, delivery.headers, delivery.body, now=sent + 301)
    with pytest.raises(InvalidWebhook, match="stale"):
        verify_webhook(SECRET, delivery.headers, delivery.body, now=sent - 301)
    unsigned = {k: v for k, v in delivery.headers.items() if k != "x-gov-signature"}
    with pytest.raises(InvalidWebhook, match="missing"):
        verify_webhook(SECRET, unsigned, delivery.body, now=sent)
    # A replay with a fresh timestamp but the old signature does not verify.
    moved = {**delivery.headers, "x-gov-timestamp": str(sent + 1000)}
    with pytest.raises(InvalidWebhook, match="does not verify"):
        verify_webhook(SECRET, moved, delivery.body, now=sent + 1000)


async def test_a_duplicate_webhook_verifies_and_is_told_apart(
    gov: GovernmentClient,
    admin: httpx.AsyncClient,
    receiver: tuple[WebhookReceiver, str],
    redis: Redis,
) -> None:
    delivery, _ = await first_webhook(gov, receiver)
    event_id = delivery.event()["eventId"]
    redelivered = await admin.post(f"/__admin/webhooks/{event_id}/redeliver")
    assert redelivered.json()["kind"] == "duplicate"
    duplicate = receiver[0].received[-1]
    first = verify_webhook(SECRET, delivery.headers, delivery.body, now=time.time())
    again = verify_webhook(SECRET, duplicate.headers, duplicate.body, now=time.time())
    assert again == first, "same event, freshly signed"
    assert await first_delivery(redis, first.event_id) is True
    assert await first_delivery(redis, again.event_id) is False


def test_a_body_that_is_not_an_event_is_refused() -> None:
    body = orjson.dumps({"hello": "world"})
    now = int(time.time())
    signature = hmac.new(SECRET, f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Gov-Timestamp": str(now), "X-Gov-Signature": f"sha256={signature}"}
    with pytest.raises(InvalidWebhook, match="not a status event"):
        verify_webhook(SECRET, headers, body, now=now)
    assert gov_module.verify_webhook is verify_webhook


# --- the catalogue sync job ---------------------------------------------------------------------


async def test_sync_mirrors_the_catalogue_and_keeps_it_when_the_platform_fails(
    gov: GovernmentClient, admin: httpx.AsyncClient, mongo_url: str
) -> None:
    client = mongo.connect(mongo_url)
    db = client.get_database("test_gov_sync")
    await client.drop_database(db.name)
    repository = GovServiceRepository(db)
    await repository.ensure_indexes()
    try:
        first = await sync_catalogue(gov, repository)
        assert first.services >= 300 and first.bundles >= 10 and first.life_events >= 10
        [hit] = await repository.search(keyword="kaiban qiye", limit=1)
        assert hit.name == "开办企业一件事"

        code = (await service_named(gov, SOLE_TRADER)).code
        revised = await admin.put(f"/__admin/services/{code}", json={"feeFen": 1500})
        revised.raise_for_status()
        await sync_catalogue(gov, repository)
        assert (await repository.by_codes([code]))[code].fee_fen == 1500

        await admin.put("/__admin/faults", json={"down": True, "pathPrefix": "/v1/bundles"})
        with pytest.raises(UpstreamUnavailable):
            await sync_catalogue(gov, repository)
        assert await repository.count() == first.services, "the mirror stays as it was"
    finally:
        await client.drop_database(db.name)
        await client.close()
