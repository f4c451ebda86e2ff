"""The hospital part of the graph: hospitals, departments, doctors, slots and appointments."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Iterable
from datetime import date, datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from mychangsha.integrations.hospital import models
from mychangsha.platform.clock import today_in_changsha
from mychangsha.resolvers import appointments as booking
from mychangsha.resolvers import hospitals as resolvers
from mychangsha.resolvers.hospital_ids import HospitalRef, ref
from mychangsha.resolvers.pagination import window
from mychangsha.resolvers.patients import NeedsVerification
from mychangsha.schema.common import DateWindow, GeoPoint, GeoPointInput, Info, page_info
from mychangsha.schema.identity import InvalidInput, UserError, VerificationRequired
from mychangsha.schema.localized import label_of
from mychangsha.schema.mutation_limits import mutation
from mychangsha.schema.nearby import (
    DEFAULT_NEARBY,
    NEARBY_DESCRIPTION,
    FirstNearby,
    attractions_near,
)
from mychangsha.schema.tourism import AttractionNode


@strawberry.type(description="A clinic session of a doctor with numbered places.")
class Slot(relay.Node):
    id: relay.NodeID[str]
    start: datetime
    end: datetime
    capacity: int
    remaining: int
    available: bool
    fee_fen: int = strawberry.field(description="Registration fee in fen.")

    @classmethod
    def from_domain(cls, slot: models.Slot, fee_fen: int) -> Self:
        """A live slot with its doctor's fee."""
        return cls(
            id=HospitalRef(slot.hospital_code, slot.id).node_id,
            start=slot.start,
            end=slot.end,
            capacity=slot.capacity,
            remaining=slot.remaining,
            available=slot.status is models.SlotStatus.FREE and slot.remaining > 0,
            fee_fen=fee_fen,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """A slot, live from its hospital."""
        out: list[Self | None] = []
        for node_id in node_ids:
            target = ref(node_id)
            client = await resolvers.hospital_client(info.context.services, target.hospital_code)
            slot = await client.slot(target.fhir_id)
            doctor = await info.context.services.hospitals.doctor_by_schedule(
                target.hospital_code, slot.schedule_id
            )
            out.append(cls.from_domain(slot, doctor.fee_fen if doctor else 0))
        return out


@strawberry.type(description="A doctor of a department.")
class Doctor(relay.Node):
    id: relay.NodeID[str]
    name: str
    title: str | None
    specialty: str | None
    fee_fen: int = strawberry.field(description="Registration fee in fen.")
    _record: strawberry.Private[models.Doctor]

    @classmethod
    def from_domain(cls, doctor: models.Doctor) -> Self:
        """The graph's view of a mirrored doctor."""
        return cls(
            id=HospitalRef(doctor.hospital_code, doctor.id).node_id,
            name=doctor.name,
            title=doctor.title,
            specialty=doctor.specialty,
            fee_fen=doctor.fee_fen,
            _record=doctor,
        )

    @strawberry.field(description="Sessions of one day (today to 7 days ahead), live.")
    async def slots(self, info: Info, date: date) -> list[Slot]:
        resolvers.check_slot_day(date, today_in_changsha())
        if self._record.schedule_id is None:
            return []
        key = (self._record.hospital_code, self._record.schedule_id, date)
        found = await info.context.loader(resolvers.SlotsByScheduleDayLoader).load(key)
        return [Slot.from_domain(s, self._record.fee_fen) for s in sorted(found, key=_start)]

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        key = (self._record.hospital_code, self._record.department_id)
        found = await info.context.loader(resolvers.DepartmentByKeyLoader).load(key)
        return None if found is None else Department.from_domain(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Doctors from the mirror."""
        keys = [(r.hospital_code, r.fhir_id) for r in map(ref, node_ids)]
        found = await info.context.loader(resolvers.DoctorByKeyLoader).load_many(keys)
        return [None if d is None else cls.from_domain(d) for d in found]


def _start(slot: models.Slot) -> datetime:
    return slot.start


@strawberry.type(description="A clinical department of a hospital.")
class Department(relay.Node):
    id: relay.NodeID[str]
    name: str
    specialty: str | None
    _record: strawberry.Private[models.Department]

    @classmethod
    def from_domain(cls, department: models.Department) -> Self:
        """The graph's view of a mirrored department."""
        return cls(
            id=HospitalRef(department.hospital_code, department.id).node_id,
            name=department.name,
            specialty=department.specialty,
            _record=department,
        )

    @strawberry.field
    async def doctors(self, info: Info) -> list[Doctor]:
        key = (self._record.hospital_code, self._record.id)
        found = await info.context.loader(resolvers.DoctorsByDepartmentLoader).load(key)
        return [Doctor.from_domain(d) for d in found]

    @strawberry.field
    async def hospital(self, info: Info) -> Hospital | None:
        found = await info.context.loader(resolvers.HospitalByCodeLoader).load(
            self._record.hospital_code
        )
        return None if found is None else Hospital.from_domain(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Departments from the mirror."""
        keys = [(r.hospital_code, r.fhir_id) for r in map(ref, node_ids)]
        found = await info.context.loader(resolvers.DepartmentByKeyLoader).load_many(keys)
        return [None if d is None else cls.from_domain(d) for d in found]


@strawberry.type(description="A hospital of Changsha.")
class Hospital(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    aliases: list[str]
    grade: str | None = strawberry.field(description="Such as 三级甲等.")
    address: str
    phone: str | None
    location: GeoPoint | None

    @classmethod
    def from_domain(cls, hospital: models.Hospital) -> Self:
        """The graph's view of a mirrored hospital."""
        return cls(
            id=hospital.code,
            code=hospital.code,
            name=hospital.name,
            aliases=list(hospital.aliases),
            grade=hospital.grade,
            address=hospital.address,
            phone=hospital.phone,
            location=None
            if hospital.location is None
            else GeoPoint(lat=hospital.location.lat, lng=hospital.location.lng),
        )

    @strawberry.field(
        description="The days its doctors' `slots(date:)` answers for: today in Changsha and "
        "the days after it that the hospital publishes. Other dates are BAD_USER_INPUT."
    )
    def booking_window(self) -> DateWindow:
        return DateWindow.from_today(resolvers.BOOKING_HORIZON_DAYS)

    @strawberry.field
    async def departments(self, info: Info) -> list[Department]:
        found = await info.context.loader(resolvers.DepartmentsByHospitalLoader).load(self.code)
        return [Department.from_domain(d) for d in found]

    @strawberry.field(description=NEARBY_DESCRIPTION)
    async def nearby_attractions(
        self, info: Info, first: FirstNearby = DEFAULT_NEARBY
    ) -> list[AttractionNode] | None:
        return await attractions_near(info, self.location, first)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Hospitals from the mirror."""
        found = await info.context.loader(resolvers.HospitalByCodeLoader).load_many(list(node_ids))
        return [None if h is None else cls.from_domain(h) for h in found]


@strawberry.type(name="HospitalEdge")
class HospitalEdge(relay.Edge[Hospital]):
    distance_meters: float | None = strawberry.field(
        description="Distance from `near`, when the search had one."
    )


@strawberry.type(name="HospitalConnection")
class HospitalConnection(relay.Connection[Hospital]):
    edges: list[HospitalEdge]  # type: ignore[assignment]

    @classmethod
    def from_page(cls, page: resolvers.HospitalPage) -> Self:
        """A Relay connection over one page of search hits."""
        edges = [
            HospitalEdge(
                cursor=page.window.cursor(i),
                node=Hospital.from_domain(hit.hospital),
                distance_meters=hit.distance_m,
            )
            for i, hit in enumerate(page.hits)
        ]
        return cls(
            edges=edges,
            page_info=page_info(
                page.window, [e.cursor for e in edges], has_next=page.has_next_page
            ),
        )


# --- appointments -----------------------------------------------------------------------------


@strawberry.enum(description="Where an appointment stands at the hospital.")
class AppointmentStatus(enum.Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"
    NOSHOW = "noshow"
    ARRIVED = "arrived"


@strawberry.type(description="A visit the hospital confirmed.")
class Appointment(relay.Node):
    id: relay.NodeID[str]
    status: AppointmentStatus
    status_label: str = label_of("status", description="The status, in words.")
    start: datetime
    end: datetime
    patient_name: str | None
    queue_number: int | None
    _record: strawberry.Private[models.Appointment]

    @classmethod
    def from_domain(cls, appointment: models.Appointment) -> Self:
        """The graph's view of the hospital's Appointment."""
        return cls(
            id=HospitalRef(appointment.hospital_code, appointment.id).node_id,
            status=AppointmentStatus(appointment.status.value),
            start=appointment.start,
            end=appointment.end,
            patient_name=appointment.patient_name,
            queue_number=appointment.queue_number,
            _record=appointment,
        )

    @strawberry.field
    async def hospital(self, info: Info) -> Hospital | None:
        found = await info.context.loader(resolvers.HospitalByCodeLoader).load(
            self._record.hospital_code
        )
        return None if found is None else Hospital.from_domain(found)

    @strawberry.field
    async def doctor(self, info: Info) -> Doctor | None:
        if self._record.doctor_id is None:
            return None
        key = (self._record.hospital_code, self._record.doctor_id)
        found = await info.context.loader(resolvers.DoctorByKeyLoader).load(key)
        return None if found is None else Doctor.from_domain(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """The caller's own appointments only, live from the hospital."""
        return [
            cls.from_domain(await booking.appointment(info.context, ref(node_id)))
            for node_id in node_ids
        ]


@strawberry.type(description="An appointment of the list, or why its hospital could not say.")
class AppointmentEdge:
    cursor: str
    hospital_code: str
    _entry: strawberry.Private[booking.AppointmentEntry]

    @strawberry.field(
        description="Null, with an UPSTREAM_* error naming the hospital, if it did not answer."
    )
    def node(self) -> Appointment | None:
        if self._entry.error is not None:
            raise self._entry.error
        live = self._entry.appointment
        return None if live is None else Appointment.from_domain(live)


@strawberry.type(description="Appointments across every hospital, newest day first.")
class AppointmentConnection:
    edges: list[AppointmentEdge]
    page_info: relay.PageInfo


@strawberry.type(description="No place left in this session.")
class SlotUnavailable(UserError):
    pass


@strawberry.type(description="The patient already has an appointment with this doctor that day.")
class AppointmentConflict(UserError):
    pass


@strawberry.type(
    description="The hospital no longer accepts cancellation (after 18:00 the day before)."
)
class CancellationClosed(UserError):
    pass


@strawberry.type(description="Where today's queue stands for an appointment.")
class QueueUpdate:
    people_ahead: int
    called_number: int
    status: str = strawberry.field(description="waiting, called, done or not-today.")


@strawberry.input(description="What to book, for whom; the key makes retries safe.")
class AppointmentBookInput:
    slot_id: relay.GlobalID
    patient_id: relay.GlobalID = strawberry.field(
        description="Your own Citizen id or a FamilyMember id you may act for."
    )
    idempotency_key: str = strawberry.field(
        description="Generate once per booking intent and resend it on every retry."
    )


AppointmentBookResult = Annotated[
    Appointment | SlotUnavailable | VerificationRequired | AppointmentConflict | InvalidInput,
    strawberry.union("AppointmentBookResult"),
]
AppointmentCancelResult = Annotated[
    Appointment | CancellationClosed, strawberry.union("AppointmentCancelResult")
]


def _verification_required() -> VerificationRequired:
    return VerificationRequired(message="Verify your real name first.", required_level=2)


@strawberry.type
class HospitalQuery:
    @strawberry.field(
        description="Hospitals nearest first with `near`, by keyword (Chinese, pinyin, alias) "
        "and/or department name."
    )
    async def hospitals(
        self,
        info: Info,
        near: GeoPointInput | None = None,
        radius_km: float | None = None,
        keyword: str | None = None,
        department: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> HospitalConnection:
        page = await resolvers.search_hospitals(
            info.context.services,
            near=None if near is None else near.to_domain(),
            radius_km=radius_km,
            keyword=keyword,
            department=department,
            first=first,
            after=after,
        )
        return HospitalConnection.from_page(page)

    @strawberry.field(description="One hospital by its global ID; null if there is none.")
    async def hospital(self, info: Info, id: relay.GlobalID) -> Hospital | None:
        if id.type_name != "Hospital":
            return None
        found = await info.context.loader(resolvers.HospitalByCodeLoader).load(id.node_id)
        return None if found is None else Hospital.from_domain(found)

    @strawberry.field(
        description="One doctor by its global ID; null if there is none. The same as "
        "`node(id:)` for a Doctor, in a form a federation gateway can route."
    )
    async def doctor(self, info: Info, id: relay.GlobalID) -> Doctor | None:
        if id.type_name != "Doctor":
            return None
        [found] = await Doctor.resolve_nodes(info=info, node_ids=[id.node_id])
        return found

    @strawberry.field(
        description="Your and your family's appointments across every hospital (level 2). "
        "A hospital that is down costs its own entries, never the list."
    )
    async def my_appointments(
        self,
        info: Info,
        status: AppointmentStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> AppointmentConnection:
        page = window(first, after)
        entries = await booking.my_appointments(
            info.context,
            status=None if status is None else models.AppointmentStatus(status.value),
        )
        rows = entries[page.offset : page.offset + page.fetch]
        edges = [
            AppointmentEdge(
                cursor=page.cursor(i), hospital_code=entry.booking.hospital_code, _entry=entry
            )
            for i, entry in enumerate(rows[: page.first])
        ]
        return AppointmentConnection(
            edges=edges,
            page_info=page_info(page, [e.cursor for e in edges], has_next=len(rows) > page.first),
        )


@strawberry.type
class HospitalMutation:
    @mutation(description="Book a slot for yourself or a family member (level 2).")
    async def appointment_book(
        self,
        info: Info,
        request: Annotated[AppointmentBookInput, strawberry.argument(name="input")],
    ) -> AppointmentBookResult:
        try:
            outcome = await booking.book(
                info.context,
                slot_id=request.slot_id,
                patient_id=request.patient_id,
                idempotency_key=request.idempotency_key,
            )
        except NeedsVerification:
            return _verification_required()
        if isinstance(outcome, booking.Booked):
            return Appointment.from_domain(outcome.appointment)
        if isinstance(outcome, booking.Unavailable):
            return SlotUnavailable(message="No place left in this session.")
        if isinstance(outcome, booking.Conflict):
            return AppointmentConflict(
                message="You already have an appointment with this doctor that day."
            )
        return InvalidInput(message=outcome.message, field=outcome.field)

    @mutation(description="Cancel an appointment before the hospital's cut-off.")
    async def appointment_cancel(self, info: Info, id: relay.GlobalID) -> AppointmentCancelResult:
        outcome = await booking.cancel(info.context, id)
        if isinstance(outcome, booking.Closed):
            return CancellationClosed(message="Cancellation closed at 18:00 the day before.")
        return Appointment.from_domain(outcome)


@strawberry.type
class HospitalSubscription:
    @strawberry.subscription(description="Today's queue for one of your appointments, live.")
    async def appointment_queue(
        self, info: Info, appointment_id: relay.GlobalID
    ) -> AsyncGenerator[QueueUpdate, None]:
        async for position in booking.queue_updates(info.context, appointment_id):
            yield QueueUpdate(
                people_ahead=position.people_ahead,
                called_number=position.called_number,
                status=position.status,
            )
