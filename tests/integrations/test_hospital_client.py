"""The hospital FHIR client against the hospital simulator, over real HTTP with a real Redis.

The simulator runs in this process (uvicorn in a thread) with a pinned clock, so "tomorrow's
morning clinic" and "18:00 the day before" are facts, not races with the wall clock. Request
counts come from the simulator's per-hospital counters: what the hospital actually received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.integrations.errors import UpstreamNotFound, UpstreamUnavailable
from mychangsha.integrations.hospital import client as client_module
from mychangsha.integrations.hospital.client import (
    CancellationClosed,
    HospitalClient,
    HospitalClients,
    SlotFull,
)
from mychangsha.integrations.hospital.models import (
    AppointmentStatus,
    BillStatus,
    Doctor,
    HospitalCatalogue,
    ReportCategory,
    Slot,
    SlotStatus,
)
from mychangsha.settings import Settings
from mychangsha.simulators.hospital import create_app
from mychangsha.storage import mongo
from mychangsha.storage.hospitals import HospitalRepository
from mychangsha.storage.mongo import Document
from mychangsha.sync.hospitals import HospitalSyncFailed, sync_catalogues
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 5, 14, 9, 0, tzinfo=CST)  # a Wednesday morning in Changsha
TODAY = NOW.date()
TOMORROW = TODAY + timedelta(days=1)


@dataclass
class Simulator:
    """The hospital simulator served in this process, with its admin controls."""

    url: str
    admin: httpx.Client
    clock: MutableClock

    def base(self, code: str) -> str:
        return f"{self.url}/fhir/{code}"

    def counts(self, code: str) -> dict[str, int]:
        """Requests one hospital received, by `METHOD Type[/{id}[/$op]]`."""
        body: dict[str, dict[str, int]] = self.admin.get("/__admin/hospital-counters").json()
        return body.get(code, {})

    def route_count(self, route: str) -> int:
        """Requests that reached one route of the simulator (all hospitals)."""
        by_route: dict[str, int] = self.admin.get("/__admin/counters").json()["byRoute"]
        return by_route.get(route, 0)

    def set_capacity(self, code: str, slot_id: str, capacity: int) -> None:
        self.admin.put(
            f"/__admin/slots/{code}/{slot_id}", json={"capacity": capacity}
        ).raise_for_status()

    def appointments(self, **params: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.admin.get("/__admin/appointments", params=params).json()[
            "items"
        ]
        return items

    def faults(self, **faults: Any) -> None:
        self.admin.put("/__admin/faults", json=faults).raise_for_status()


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    clock = MutableClock(NOW)
    with (
        serve_in_thread(create_app(clock=clock)) as url,
        httpx.Client(base_url=url, timeout=10) as admin,
    ):
        yield Simulator(url, admin, clock)


@pytest.fixture(autouse=True)
def _fresh_simulator(sim: Simulator) -> None:
    sim.clock.current = NOW
    sim.admin.post("/__admin/reset").raise_for_status()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


def _settings(sim: Simulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "hospital_endpoints": {code: sim.base(code) for code in ("xiangya", "xiangya2")},
        "upstream_retries": 1,
        "upstream_read_timeout": 2.0,
        "upstream_breaker_threshold": 3,
        "upstream_breaker_cooldown": 60.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
async def clients(sim: Simulator, redis: Redis) -> AsyncIterator[HospitalClients]:
    registry = HospitalClients(_settings(sim), redis)
    for endpoint in await registry.endpoints():
        registry.register(endpoint)
    yield registry
    await registry.aclose()


@pytest.fixture
def xiangya(clients: HospitalClients) -> HospitalClient:
    return clients.get("xiangya")


@pytest.fixture(scope="module")
async def catalogue(sim: Simulator, redis_url: str) -> HospitalCatalogue:
    """湘雅's catalogue, read once for the module (it never changes)."""
    redis = redis_cache.connect(redis_url)
    registry = HospitalClients(_settings(sim), redis)
    try:
        endpoint = next(e for e in await registry.endpoints() if e.code == "xiangya")
        return await registry.register(endpoint).catalogue()
    finally:
        await registry.aclose()
        await redis.aclose()


def _schedules(catalogue: HospitalCatalogue) -> list[str]:
    return [d.schedule_id for d in catalogue.doctors if d.schedule_id]


async def _free_slot(
    client: HospitalClient, catalogue: HospitalCatalogue, day: date = TOMORROW
) -> tuple[Slot, Doctor]:
    slots = await client.slots(_schedules(catalogue), day)
    await client.invalidate_slots(_schedules(catalogue), day)  # tests count from a cold cache
    slot = next(s for s in slots if s.status is SlotStatus.FREE)
    doctor = next(d for d in catalogue.doctors if d.schedule_id == slot.schedule_id)
    return slot, doctor


async def _book(
    client: HospitalClient, slot: Slot, doctor: Doctor, patient: str, key: str | None = None
) -> Any:
    return await client.book(
        slot_id=slot.id,
        doctor_id=doctor.id,
        patient_id=patient,
        patient_name="李小明",
        booking_key=key or uuid4().hex,
    )


# --- registry and catalogue ---------------------------------------------------------------------


async def test_endpoints_come_from_the_directory_once(sim: Simulator, redis: Redis) -> None:
    settings = _settings(
        sim, hospital_endpoints=None, hospital_directory_url=f"{sim.url}/directory"
    )
    registry = HospitalClients(settings, redis)
    try:
        first = await registry.endpoints()
        again = await registry.endpoints()
    finally:
        await registry.aclose()
    assert first == again
    assert len(first) >= 20
    xiangya = next(e for e in first if e.code == "xiangya")
    assert xiangya.name == "中南大学湘雅医院"
    assert xiangya.fhir_base_url == sim.base("xiangya")
    assert sim.route_count("GET /directory") == 1, "the directory is cached"


async def test_endpoints_from_settings_never_read_the_directory(
    sim: Simulator, clients: HospitalClients
) -> None:
    assert [e.code for e in await clients.endpoints()] == ["xiangya", "xiangya2"]
    assert sim.route_count("GET /directory") == 0


@pytest.mark.parametrize("code", ["Xiangya", "xiang/ya", "a b", "", "-x", "x" * 41])
def test_hospital_codes_must_be_safe_for_ids_and_keys(sim: Simulator, code: str) -> None:
    """A code prefixes the hospital's ids and names its upstream: no slashes, no spaces."""
    with pytest.raises(ValidationError, match="hospital code"):
        _settings(sim, hospital_endpoints={code: sim.base("xiangya")})


async def test_register_is_idempotent_and_get_needs_registration(
    sim: Simulator, clients: HospitalClients
) -> None:
    [endpoint, _] = await clients.endpoints()
    assert clients.register(endpoint) is clients.get("xiangya")
    with pytest.raises(KeyError):
        clients.get("hnsrmyy")


async def test_catalogue_maps_the_hospital_departments_and_doctors(
    catalogue: HospitalCatalogue,
) -> None:
    hospital = catalogue.hospital
    assert (hospital.code, hospital.name, hospital.grade) == (
        "xiangya",
        "中南大学湘雅医院",
        "三级甲等",
    )
    assert "湘雅" in hospital.aliases
    assert hospital.location is not None and 28.0 < hospital.location.lat < 28.4
    assert hospital.address.startswith("湖南省长沙市")
    assert len(catalogue.departments) > 3
    department_ids = {d.id for d in catalogue.departments}
    assert catalogue.doctors and all(d.department_id in department_ids for d in catalogue.doctors)
    assert all(d.schedule_id and d.fee_fen > 0 and d.name for d in catalogue.doctors)
    assert all(d.fee_fen % 50 == 0 for d in catalogue.doctors), "fees are whole 0.5-yuan steps"


async def test_catalogue_follows_every_page(
    sim: Simulator,
    xiangya: HospitalClient,
    catalogue: HospitalCatalogue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", 5)
    paged = await xiangya.catalogue()
    assert paged == catalogue
    counts = sim.counts("xiangya")
    pages = -(-len(catalogue.doctors) // 5)
    assert counts["GET PractitionerRole"] == pages >= 2
    assert counts["GET Schedule"] == pages
    assert counts["GET Organization/{id}"] == 1


# --- slots and booking --------------------------------------------------------------------------


async def test_slots_are_one_cached_search_until_invalidated(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    schedules = _schedules(catalogue)
    slot, doctor = await _free_slot(xiangya, catalogue)
    sim.admin.post("/__admin/reset").raise_for_status()

    first = await xiangya.slots(schedules, TOMORROW)
    again = await xiangya.slots(list(reversed(schedules)), TOMORROW)  # same set, same key
    assert first == again
    assert sim.counts("xiangya")["GET Slot"] == 1
    assert all(
        s.start.date() == TOMORROW and s.start.utcoffset() == timedelta(hours=8) for s in first
    )
    assert {s.schedule_id for s in first} <= set(schedules)
    before = next(s for s in first if s.id == slot.id)

    await _book(xiangya, slot, doctor, "person-1")
    stale = await xiangya.slots(schedules, TOMORROW)
    assert next(s for s in stale if s.id == slot.id).booked == before.booked, "still cached"
    await xiangya.invalidate_slots(schedules, TOMORROW)
    fresh = await xiangya.slots(schedules, TOMORROW)
    assert next(s for s in fresh if s.id == slot.id).booked == before.booked + 1
    assert sim.counts("xiangya")["GET Slot"] == 2


async def test_slots_of_one_schedule_and_of_none(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, _ = await _free_slot(xiangya, catalogue)
    mine = await xiangya.slots([slot.schedule_id], TOMORROW)
    assert mine and {s.schedule_id for s in mine} == {slot.schedule_id}
    assert await xiangya.slots([], TOMORROW) == []
    assert await xiangya.slot(slot.id) == next(s for s in mine if s.id == slot.id)


async def test_booking_is_idempotent_by_key(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    first = await _book(xiangya, slot, doctor, "person-1", key="booking-1")
    again = await _book(xiangya, slot, doctor, "person-1", key="booking-1")
    assert again == first
    assert first.status is AppointmentStatus.BOOKED
    assert (first.slot_id, first.doctor_id, first.patient_id) == (slot.id, doctor.id, "person-1")
    assert first.patient_name == "李小明"
    assert first.booking_key == "booking-1"
    assert first.queue_number == 1
    assert first.start == slot.start
    assert len(sim.appointments(hospital="xiangya")) == 1
    other = await _book(xiangya, slot, doctor, "person-2", key="booking-2")
    assert other.id != first.id and other.queue_number == 2
    assert await xiangya.appointment(first.id) == first


async def test_a_full_slot_raises_slot_full(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    sim.set_capacity("xiangya", slot.id, 1)
    taken = await _book(xiangya, slot, doctor, "person-1", key="winner")
    with pytest.raises(SlotFull) as caught:
        await _book(xiangya, slot, doctor, "person-2", key="loser")
    assert caught.value.message and slot.id in caught.value.message
    # The winner's retry still gets its appointment: the key finds it before capacity counts.
    assert await _book(xiangya, slot, doctor, "person-1", key="winner") == taken
    assert (await xiangya.slot(slot.id)).status is SlotStatus.BUSY
    assert sim.counts("xiangya")["POST Appointment"] == 3


async def test_appointments_of_several_people_in_one_search(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    mine = await _book(xiangya, slot, doctor, "person-1")
    child = await _book(xiangya, slot, doctor, "person-child")
    await _book(xiangya, slot, doctor, "stranger")
    found = await xiangya.appointments_for(["person-1", "person-child"])
    assert {a.id for a in found} == {mine.id, child.id}
    assert sim.counts("xiangya")["GET Appointment"] == 1
    assert await xiangya.appointments_for([]) == []


async def test_cancel_frees_the_place_and_repeats_harmlessly(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    booked = await _book(xiangya, slot, doctor, "person-1")
    assert (await xiangya.slot(slot.id)).booked == 1
    cancelled = await xiangya.cancel(booked.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.id == booked.id and cancelled.queue_number == booked.queue_number
    assert (await xiangya.slot(slot.id)).booked == 0
    assert (await xiangya.cancel(booked.id)).status is AppointmentStatus.CANCELLED
    assert sim.counts("xiangya")["PUT Appointment/{id}"] == 1, "a cancelled one is not PUT again"


async def test_cancel_after_the_cutoff_is_closed(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    booked = await _book(xiangya, slot, doctor, "person-1")
    sim.clock.current = datetime(2025, 5, 14, 18, 0, tzinfo=CST)  # 18:00 the day before
    with pytest.raises(CancellationClosed) as caught:
        await xiangya.cancel(booked.id)
    assert caught.value.message
    assert (await xiangya.appointment(booked.id)).status is AppointmentStatus.BOOKED


async def test_unknown_appointment_is_not_found(xiangya: HospitalClient) -> None:
    with pytest.raises(UpstreamNotFound):
        await xiangya.appointment("no-such-appointment")
    with pytest.raises(UpstreamNotFound):
        await xiangya.cancel("no-such-appointment")


async def test_queue_position_today_and_tomorrow(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    tomorrow_slot, doctor = await _free_slot(xiangya, catalogue)
    first = await _book(xiangya, tomorrow_slot, doctor, "person-1")
    second = await _book(xiangya, tomorrow_slot, doctor, "person-2")
    queue = await xiangya.queue(second.id)
    assert (queue.status, queue.people_ahead) == ("not-today", 1)
    assert (await xiangya.queue(first.id)).people_ahead == 0

    today_slot, today_doctor = await _free_slot(xiangya, catalogue, TODAY)
    visit = await _book(xiangya, today_slot, today_doctor, "person-1")
    now = await xiangya.queue(visit.id)
    assert now.status in {"waiting", "called", "done"}
    assert now.called_number >= 0 and now.people_ahead >= 0


# --- reports and bills --------------------------------------------------------------------------


async def test_reports_with_their_observations_in_one_request(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    await _book(xiangya, slot, doctor, "person-1")  # a visit brings a lab report
    sim.admin.post(
        "/__admin/hospitals/xiangya/reports", json={"patientId": "person-1", "kind": "imaging"}
    ).raise_for_status()
    sim.admin.post(
        "/__admin/hospitals/xiangya/reports", json={"patientId": "stranger"}
    ).raise_for_status()
    before = sim.counts("xiangya").get("GET DiagnosticReport", 0)

    reports = await xiangya.reports(["person-1"])
    assert sim.counts("xiangya")["GET DiagnosticReport"] == before + 1
    assert {r.category for r in reports} == {ReportCategory.LAB, ReportCategory.IMAGING}
    assert all(r.patient_id == "person-1" and r.hospital_code == "xiangya" for r in reports)
    lab = next(r for r in reports if r.category is ReportCategory.LAB)
    assert lab.observations and lab.name
    assert all(o.flag in {"H", "L", "N"} for o in lab.observations)
    assert all(o.value is not None and o.unit for o in lab.observations)
    imaging = next(r for r in reports if r.category is ReportCategory.IMAGING)
    assert imaging.conclusion

    assert await xiangya.report(lab.id) == lab
    with pytest.raises(UpstreamNotFound):
        await xiangya.report("no-such-report")


async def test_bills_and_marking_one_paid_once(
    sim: Simulator, xiangya: HospitalClient, catalogue: HospitalCatalogue
) -> None:
    slot, doctor = await _free_slot(xiangya, catalogue)
    await _book(xiangya, slot, doctor, "person-1")  # a booking bills its registration fee
    sim.admin.post(
        "/__admin/hospitals/xiangya/invoices",
        json={"patientId": "person-1", "description": "血常规检查", "amountFen": 2550},
    ).raise_for_status()

    unpaid = await xiangya.bills(["person-1"], status=BillStatus.ISSUED)
    assert sorted(b.total_fen for b in unpaid) == sorted([doctor.fee_fen, 2550])
    assert all(sum(line.amount_fen for line in b.lines) == b.total_fen for b in unpaid)
    assert all(b.number and b.issued for b in unpaid)
    exam = next(b for b in unpaid if b.total_fen == 2550)
    assert exam.lines[0].description == "血常规检查"

    paid = await xiangya.mark_bill_paid(exam.id, transaction_id="wx-4200001")
    assert paid.status is BillStatus.BALANCED and paid.total_fen == 2550
    assert paid.transaction_id == "wx-4200001"
    assert exam.transaction_id is None
    assert await xiangya.mark_bill_paid(exam.id, transaction_id="wx-4200001") == paid
    assert sim.counts("xiangya")["PUT Invoice/{id}"] == 1, "a paid bill is not PUT again"
    assert await xiangya.bill(exam.id) == paid
    still_unpaid = await xiangya.bills(["person-1"], status=BillStatus.ISSUED)
    assert [b.id for b in still_unpaid] == [b.id for b in unpaid if b.id != exam.id]
    assert len(await xiangya.bills(["person-1"], status=None)) == 2


# --- isolation between hospitals ----------------------------------------------------------------


async def test_one_hospital_down_leaves_the_others_alone(
    sim: Simulator, clients: HospitalClients
) -> None:
    sim.faults(down=True, pathPrefix="/fhir/xiangya/")
    xiangya, xiangya2 = clients.get("xiangya"), clients.get("xiangya2")
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await xiangya.appointments_for(["person-1"])
    with pytest.raises(UpstreamUnavailable, match="breaker open"):
        await xiangya.appointments_for(["person-1"])
    assert await xiangya2.appointments_for(["person-1"]) == []
    healthy = await xiangya2.catalogue()
    assert healthy.hospital.code == "xiangya2" and healthy.doctors


# --- the mirror sync ----------------------------------------------------------------------------


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = mongo.connect(mongo_url)
    database = client.get_database("test_hospital_sync")
    await client.drop_database(database.name)
    yield database
    await client.drop_database(database.name)
    await client.close()


async def test_sync_mirrors_every_hospital_and_survives_one_failing(
    sim: Simulator, clients: HospitalClients, db: AsyncDatabase[Document]
) -> None:
    repository = HospitalRepository(db)
    await repository.ensure_indexes()
    outcome = await sync_catalogues(clients, repository)
    assert outcome.complete and {s.hospital_code for s in outcome.synced} == {
        "xiangya",
        "xiangya2",
    }
    endpoints = await repository.endpoints()
    assert endpoints["xiangya"].fhir_base_url == sim.base("xiangya")
    [hit] = await repository.search(
        near=None, radius_km=None, keyword="湘雅二", department=None, offset=0, limit=5
    )
    assert hit.hospital.code == "xiangya2"

    sim.faults(down=True, pathPrefix="/fhir/xiangya2/")
    partial = await sync_catalogues(clients, repository)
    assert partial.failed == ("xiangya2",) and not partial.complete
    assert "FAILED: xiangya2" in str(partial)
    assert await repository.count() == 2, "the failed hospital keeps its mirror"

    sim.faults(down=True)
    with pytest.raises(HospitalSyncFailed):
        await sync_catalogues(clients, repository)
