"""MongoDB stopped mid-booking and started again on the same port, under a graph that keeps running.

SecantusDB keeps its data on disk here (`--storage-path`), as MongoDB would: what was written
before the outage is there after it, so the test can prove what a citizen cares about. While
the database is away, readiness says so and operations answer coded errors, not HTTP 500s or
traces; once it is back, the graph serves again without a restart, and a booking the outage cut
off between the hospital's confirmation and the graph's record is finished by its retry, with
the same idempotency key, into exactly one appointment, at the hospital and in myAppointments.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

from mychangsha import embedded
from mychangsha.integrations.hospital import fhir
from mychangsha.storage.hospitals import DEPARTMENTS, DOCTORS, HOSPITALS
from tests.api.booking_calendar import booking_days
from tests.api.hospital_journey import (
    BOOK,
    decode_id,
    encode_id,
    free_slots,
    hospital_id,
    my_id,
    wait_until,
)
from tests.api.identity_client import ME, Device, verified_device
from tests.conftest import SimulatorAdmin
from tests.faults.harness import answer, post
from tests.support.graphs import extra_graph, own_redis

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

# What an operation that needs the database answers while it is away: "try again later", with
# `upstream: storage`. Anything else, a trace, or an HTTP 500 fails.
STORAGE_DOWN_CODES = frozenset({"UPSTREAM_UNAVAILABLE"})
HOSPITAL_ANSWERS_AFTER_MS = 1500  # the hospital is confirming the booking when MongoDB goes
# A public read no other test asks: an answer another test left in the shared response cache
# would (rightly) be served through the outage.
ATTRACTIONS = "{ attractions(first: 3) { edges { node { id name district level } } } }"
MY_APPOINTMENTS = "{ myAppointments(first: 20) { edges { node { id status } } } }"
CATALOGUE = (HOSPITALS, DEPARTMENTS, DOCTORS)


@dataclass
class MongoOutage:
    """A graph replica and the SecantusDB it uses, which the test stops and starts."""

    graph_url: str
    mongo: embedded.ChildProcess
    data_dir: Path

    @contextlib.contextmanager
    def mongo_down(self) -> Iterator[None]:
        """Stop SecantusDB for the block, then start it again on the same port and data."""
        self.mongo.stop()
        try:
            yield
        finally:
            self.mongo = embedded.start_mongo(self.data_dir, port=self.mongo.port)

    def ready(self) -> httpx.Response:
        """What /readyz answers."""
        return httpx.get(f"{self.graph_url}/readyz", timeout=20)


def _copy_catalogue(source_url: str, target_url: str, database: str) -> None:
    """The hospital mirror of the session's database, as a restore from a backup would bring it.

    Mirroring every catalogue from the upstreams takes seconds; bookings only need hospitals.
    """
    source: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(source_url)
    target: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(target_url)
    with source, target:
        for name in CATALOGUE:
            documents: list[dict[str, Any]] = list(source[database][name].find())
            assert documents, f"the session's {name} mirror is empty"
            target[database][name].insert_many(documents)


@pytest.fixture(scope="module")
def outage(
    graph_url: str,  # its start fills the session's catalogue mirrors
    graph_env: dict[str, str],
    mongo_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MongoOutage]:
    """A replica on a SecantusDB of its own whose data lives on disk."""
    data_dir = tmp_path_factory.mktemp("secantus")
    state = MongoOutage("", embedded.start_mongo(data_dir), data_dir)
    try:
        own_url = embedded.mongo_uri(state.mongo.port)
        _copy_catalogue(mongo_url, own_url, graph_env["MONGODB_DATABASE"])
        # The hospital answers the booking after 1.5 s: the graph must wait for it.
        with extra_graph(graph_env, MONGODB_URI=own_url, UPSTREAM_READ_TIMEOUT="5") as url:
            state.graph_url = url
            yield state
    finally:
        state.mongo.stop()


def _coded_failure(response: httpx.Response, field: str) -> None:
    """HTTP 200, no data for the field, one coded error at it, nothing internal."""
    body = answer(response)
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["path"] == [field] and error["message"], error
    assert error["extensions"]["code"] in STORAGE_DOWN_CODES, error


def _free_slot(device: Device, hospital: str) -> dict[str, Any]:
    """A free slot from the day after tomorrow on."""
    for day in booking_days(device, hospital)[2:]:
        slots = free_slots(device, hospital, day)
        if slots:
            return slots[0]
    raise AssertionError("no free slot within the week")


def _hospital_appointments(hospital: SimulatorAdmin, code: str, patient: str) -> list[str]:
    """The ids of the patient's booked appointments as the hospital's FHIR server has them."""
    token = fhir.identifier_token(fhir.PATIENT_SYSTEM, [patient])
    reply = hospital.http.get(f"/fhir/{code}/Appointment", params={"actor:identifier": token})
    entries = reply.raise_for_status().json().get("entry") or []
    return [
        str(entry["resource"]["id"])
        for entry in entries
        if entry["resource"]["resourceType"] == "Appointment"
        and entry["resource"]["status"] == "booked"
    ]


@dataclass(frozen=True)
class Booking:
    """One booking attempt: who, which slot, at which hospital, under which idempotency key."""

    device: Device
    hospital_code: str
    variables: dict[str, str]

    @property
    def patient(self) -> str:
        """The patient's id as the hospital knows it."""
        return decode_id(self.variables["patient"])[1]

    def headers(self) -> dict[str, str]:
        """The citizen's credentials and address."""
        return {
            "authorization": f"Bearer {self.device.access_token}",
            "x-forwarded-for": self.device.ip,
        }


def _planned(device: Device) -> Booking:
    """A free slot at 湘雅 for the citizen, under a new key."""
    hospital = hospital_id(device, "湘雅")
    variables = {
        "slot": _free_slot(device, hospital)["id"],
        "patient": my_id(device),
        "key": uuid.uuid4().hex,
    }
    return Booking(device, decode_id(hospital)[1], variables)


def _cut_off(outage: MongoOutage, hospital: SimulatorAdmin, booking: Booking) -> None:
    """Book while MongoDB goes away, the hospital still confirming; check what everyone sees.

    The booking, a public read and a personal one each answer a coded error, and readiness
    says MongoDB is the problem, all while it is down.
    """
    route = "POST /fhir/{hospital}/Appointment"
    posted = hospital.count(route)
    prefix = f"/fhir/{booking.hospital_code}/Appointment"
    hospital.set_faults(latencyMs=HOSPITAL_ANSWERS_AFTER_MS, pathPrefix=prefix)
    try:
        with (
            httpx.Client(base_url=outage.graph_url, timeout=30) as client,
            ThreadPoolExecutor(max_workers=4) as pool,
        ):
            cut_off = pool.submit(post, client, BOOK, booking.variables, booking.headers())
            wait_until(lambda: True if hospital.count(route) > posted else None, timeout=10)
            with outage.mongo_down():
                assert not cut_off.done(), "the hospital answered before MongoDB went"
                ready = pool.submit(outage.ready)
                public = pool.submit(post, client, ATTRACTIONS)
                personal = pool.submit(post, client, ME, None, booking.headers())
                _coded_failure(cut_off.result(), "appointmentBook")
                _coded_failure(public.result(), "attractions")
                _coded_failure(personal.result(), "me")
                assert ready.result().status_code == 503
                assert ready.result().json()["checks"] == {"mongodb": False, "redis": True}
    finally:
        hospital.set_faults()


@dataclass(frozen=True)
class CutOff:
    """A citizen whose booking the outage cut off: the hospital booked it, the graph lists
    nothing, since it never told the citizen so."""

    device: Device
    booking: Booking
    at_hospital: str  # the appointment's id at the hospital


@pytest.fixture
def cut_off(
    outage: MongoOutage,
    hospital_simulator: SimulatorAdmin,
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
) -> Iterator[CutOff]:
    """A booking cut off by a MongoDB outage, and MongoDB back."""
    device, _ = verified_device(
        outage.graph_url, sms_simulator.base_url, realname_simulator.base_url
    )
    try:
        booking = _planned(device)
        _cut_off(outage, hospital_simulator, booking)
        wait_until(lambda: True if outage.ready().status_code == 200 else None, timeout=20)
        code = booking.hospital_code
        [at_hospital] = _hospital_appointments(hospital_simulator, code, booking.patient)
        assert device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"] == []
        yield CutOff(device, booking, at_hospital)
    finally:
        device.close()


def test_a_booking_cut_off_by_a_mongodb_outage_is_booked_once_by_its_retry(
    cut_off: CutOff, hospital_simulator: SimulatorAdmin
) -> None:
    device, booking, at_hospital = cut_off.device, cut_off.booking, cut_off.at_hospital
    code = booking.hospital_code
    retried = [device.post(BOOK, booking.variables)["data"]["appointmentBook"] for _ in range(2)]
    assert [r["__typename"] for r in retried] == ["Appointment", "Appointment"], retried
    assert retried[0]["id"] == retried[1]["id"] and retried[0]["status"] == "BOOKED"
    assert decode_id(retried[0]["id"])[1] == f"{code}/{at_hospital}"
    assert _hospital_appointments(hospital_simulator, code, booking.patient) == [at_hospital]
    listed = device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [retried[0]["id"]]


def test_a_booking_cut_off_and_never_retried_is_finished_by_the_graph(
    cut_off: CutOff,
    outage: MongoOutage,
    graph_env: dict[str, str],
    hospital_simulator: SimulatorAdmin,
) -> None:
    device, booking, at_hospital = cut_off.device, cut_off.booking, cut_off.at_hospital
    code = booking.hospital_code
    # No retry comes. A replica whose jobs run every half second, with a one-second grace
    # (on a Redis of its own, so no other replica holds the jobs' period), finishes it.
    with (
        own_redis() as redis_url,
        extra_graph(
            graph_env,
            MONGODB_URI=embedded.mongo_uri(outage.mongo.port),
            REDIS_URL=redis_url,
            REMINDER_POLL_SECONDS="0.5",
            BOOKING_PENDING_GRACE_SECONDS="1",
        ),
    ):
        listed = wait_until(
            lambda: device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"] or None,
            timeout=20,
        )
    expected = encode_id("Appointment", f"{code}/{at_hospital}")
    assert [edge["node"]["id"] for edge in listed] == [expected]
    assert listed[0]["node"]["status"] == "BOOKED"
    # Finished with the booking's own key: the hospital kept the one appointment it had.
    assert _hospital_appointments(hospital_simulator, code, booking.patient) == [at_hospital]
