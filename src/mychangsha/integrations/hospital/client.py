"""Each hospital's FHIR server as domain calls, and the registry of every hospital's client.

Every hospital is its own upstream: its own `UpstreamClient`, hence its own connection pool,
circuit breaker, metrics label and cache namespace, so one hospital being down never slows
or trips the others. The client only decides *what* to ask (FHIR searches, conditional
create, updates) and maps answers through `fhir.py`; how to ask (timeouts, retries, breaker,
Redis cache) is the shared upstream layer's job, and so is `accept: application/fhir+json`:
it is each hospital upstream's default header, so every read asks for FHIR.

A body that breaks the FHIR profile is the hospital's fault: it surfaces as
`UpstreamUnavailable`, like a body that is not JSON at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.invoice import Invoice
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from redis.asyncio import Redis

from mychangsha.integrations.errors import UpstreamNotFound, UpstreamRejected, UpstreamUnavailable
from mychangsha.integrations.hospital import fhir
from mychangsha.integrations.hospital.fhir import FhirMappingError
from mychangsha.integrations.hospital.models import (
    HOSPITAL_CODE_PATTERN,
    Appointment,
    AppointmentStatus,
    Bill,
    BillStatus,
    Department,
    Doctor,
    HospitalCatalogue,
    HospitalEndpoint,
    QueuePosition,
    Report,
    Slot,
)
from mychangsha.integrations.http import Params, UpstreamClient
from mychangsha.platform.clock import CHANGSHA
from mychangsha.settings import Settings

__all__ = [
    "CancellationClosed",
    "HospitalClient",
    "HospitalClients",
    "SlotFull",
]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Resource)

# FHIR servers commonly cap `_count` at 100; larger asks only get cut anyway.
PAGE_SIZE = 100
# SPEC: slot inventory belongs to the hospital; a cached answer, fresh or stale, is never
# older than this.
SLOT_MAX_AGE_SECONDS = 30.0
QUEUE_MAX_AGE_SECONDS = 10.0
DIRECTORY_CACHE_SECONDS = 300.0
DIRECTORY_STALE_SECONDS = 7 * 24 * 3600.0
_WRITE_HEADERS = {
    "accept": fhir.FHIR_JSON,
    "content-type": fhir.FHIR_JSON,
    "prefer": "return=representation",
}


class SlotFull(Exception):
    """The hospital refused a booking with 409: the session has no place left."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "the slot is full")
        self.message = message


class CancellationClosed(Exception):
    """The hospital refused a cancellation with 422: past the cut-off (the day before, 18:00)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "the appointment can no longer be cancelled")
        self.message = message


class HospitalClient:
    """One hospital's FHIR server through its own upstream client (pool, breaker, cache)."""

    def __init__(
        self,
        endpoint: HospitalEndpoint,
        upstream: UpstreamClient,
        *,
        slot_cache_seconds: float = 5.0,
        queue_cache_seconds: float = 2.0,
    ) -> None:
        self._endpoint = endpoint
        self._upstream = upstream
        self._name = upstream.config.name
        self._base_url = upstream.config.base_url
        self._slot_ttl = slot_cache_seconds
        self._queue_ttl = queue_cache_seconds

    @property
    def code(self) -> str:
        """The hospital code (Organization id, `urn:mychangsha:hospital`)."""
        return self._endpoint.code

    @property
    def endpoint(self) -> HospitalEndpoint:
        """Where this hospital's FHIR server is."""
        return self._endpoint

    # --- catalogue ----------------------------------------------------------------------------

    async def catalogue(self) -> HospitalCatalogue:
        """The hospital with its departments and doctors, every page of every search."""
        code = self.code
        organization_body, locations, services, roles, schedules = await asyncio.gather(
            self._upstream.get_json(f"Organization/{code}"),
            self._all("Location", {"organization": f"Organization/{code}"}),
            self._all("HealthcareService", {"organization": f"Organization/{code}"}),
            self._all(
                "PractitionerRole",
                {
                    "organization": f"Organization/{code}",
                    "_include": "PractitionerRole:practitioner",
                },
            ),
            self._all("Schedule", {}),
        )
        with self._contract():
            organization = fhir.parse(Organization, organization_body)
            location = next(iter(fhir.resources_of(locations, Location)), None)
            hospital = fhir.hospital_from(organization, location)
            departments = self._departments(fhir.resources_of(services, HealthcareService))
            doctors = self._doctors(roles, fhir.resources_of(schedules, Schedule), departments)
        return HospitalCatalogue(
            endpoint=self._endpoint,
            hospital=hospital,
            departments=tuple(departments),
            doctors=tuple(doctors),
        )

    def _departments(self, services: Sequence[HealthcareService]) -> list[Department]:
        """Open departments; one malformed service is skipped, never the whole hospital."""
        out = []
        for service in services:
            if service.active is False:
                continue
            try:
                out.append(fhir.department_from(service, hospital_code=self.code))
            except FhirMappingError as exc:
                log.warning("hospital %s: skipping a department: %s", self.code, exc)
        return out

    def _doctors(
        self, bundle: Bundle, schedules: Sequence[Schedule], departments: Sequence[Department]
    ) -> list[Doctor]:
        """Doctors of known departments, with their schedule; malformed roles are skipped."""
        practitioners = {p.id: p for p in fhir.resources_of(bundle, Practitioner) if p.id}
        schedule_of = fhir.schedule_ids_by_role(schedules)
        department_ids = {d.id for d in departments}
        out = []
        for role in fhir.resources_of(bundle, PractitionerRole):
            if role.active is False or not role.id:
                continue
            practitioner_id = fhir.reference_id(role.practitioner, "Practitioner")
            practitioner = practitioners.get(practitioner_id) if practitioner_id else None
            try:
                doctor = fhir.doctor_from(
                    role, practitioner, schedule_of.get(str(role.id)), hospital_code=self.code
                )
            except FhirMappingError as exc:
                log.warning("hospital %s: skipping a doctor: %s", self.code, exc)
                continue
            if doctor.department_id in department_ids:
                out.append(doctor)
        return out

    # --- slots --------------------------------------------------------------------------------

    def _slot_search(self, schedule_ids: Sequence[str], day: date) -> Params:
        """The one Slot search for these schedules on a day; same ids, same cache key.

        The profile's explicit bounds, `start=ge{day}T00:00:00+08:00&start=lt{next}…`: a
        date-precision `start={day}` would leave the day's zone to the server. Lower bound
        first, as the profile writes it (the upstream client keeps a repeated key's order).
        """
        lower, upper = fhir.day_bounds(day)
        return [
            ("schedule", ",".join(f"Schedule/{i}" for i in sorted(set(schedule_ids)))),
            ("start", f"ge{lower}"),
            ("start", f"lt{upper}"),
            ("_count", PAGE_SIZE),
        ]

    async def slots(self, schedule_ids: Sequence[str], day: date) -> list[Slot]:
        """Every session of these schedules on a Changsha day, free or full, in time order.

        One cached search for all schedules: a department page showing twenty doctors costs
        one request, and a full session still shows (as full) rather than vanishing. The day's
        bounds are checked here too: a server that ignores `start` must not leak other days.
        """
        if not schedule_ids:
            return []
        params = self._slot_search(schedule_ids, day)
        lower = datetime.combine(day, time(), CHANGSHA)
        upper = lower + timedelta(days=1)
        bundles = await self._all(
            "Slot",
            params,
            cache_ttl=self._slot_ttl,
            stale_ttl=max(SLOT_MAX_AGE_SECONDS - self._slot_ttl, 0.0),
        )
        wanted = set(schedule_ids)
        with self._contract():
            found = [fhir.slot_from(s, self.code) for s in fhir.resources_of(bundles, FhirSlot)]
        slots = [s for s in found if lower <= s.start < upper and s.schedule_id in wanted]
        return sorted(slots, key=lambda s: (s.start, s.schedule_id, s.id))

    async def invalidate_slots(self, schedule_ids: Sequence[str], day: date) -> None:
        """Forget the cached search of `slots(schedule_ids, day)`: after a booking, read anew."""
        if schedule_ids:
            await self._upstream.invalidate("Slot", self._slot_search(schedule_ids, day))

    async def slot(self, slot_id: str) -> Slot:
        """One session as the hospital has it right now (uncached: used to decide a booking).

        Concurrent reads of one slot share a request: its answer is at most that request old,
        and the hospital still decides every booking itself.
        """
        body = await self._upstream.get_json(f"Slot/{slot_id}", shared=True)
        with self._contract():
            return fhir.slot_from(fhir.parse(FhirSlot, body), self.code)

    # --- appointments -------------------------------------------------------------------------

    async def book(
        self,
        *,
        slot_id: str,
        doctor_id: str,
        patient_id: str,
        patient_name: str,
        booking_key: str,
    ) -> Appointment:
        """Take one place of a slot; the same booking key never books twice.

        A conditional create (`If-None-Exist` on our booking identifier) makes the POST safe
        to retry: a repeat returns the Appointment the first attempt made. 409 → SlotFull.
        """
        body = fhir.appointment_request(slot_id, doctor_id, patient_id, patient_name, booking_key)
        condition = fhir.booking_condition(booking_key)
        headers = {**_WRITE_HEADERS, "if-none-exist": condition}
        try:
            _, reply = await self._upstream.send_json(
                "POST", "Appointment", json=body, headers=headers, idempotent=True
            )
        except UpstreamRejected as exc:
            if exc.status == 409:
                raise SlotFull(fhir.outcome_message(exc.body)) from exc
            raise
        with self._contract():
            if reply is None:  # a server that ignored `Prefer: return=representation`
                resource = await self._booked_by_key(booking_key)
            else:
                resource = fhir.parse(FhirAppointment, reply)
            appointment = fhir.appointment_from(resource, hospital_code=self.code)
        if appointment.status is not AppointmentStatus.BOOKED:
            raise UpstreamUnavailable(
                self._name, f"{self._name}: booking answered status {appointment.status.value}"
            )
        return appointment

    async def _booked_by_key(self, booking_key: str) -> FhirAppointment:
        """The Appointment a conditional create made, found by its booking identifier."""
        token = fhir.identifier_token(fhir.BOOKING_SYSTEM, [booking_key])
        bundles = await self._all("Appointment", {"identifier": token})
        found = fhir.resources_of(bundles, FhirAppointment)
        if not found:
            raise FhirMappingError("the booking is not found after its create")
        return found[0]

    async def appointment(self, appointment_id: str) -> Appointment:
        """One appointment as the hospital holds it now."""
        return self._appointment(await self._upstream.get_json(f"Appointment/{appointment_id}"))

    async def appointments_for(self, patient_ids: Sequence[str]) -> list[Appointment]:
        """Every appointment of these people at this hospital, in one (paged) search."""
        if not patient_ids:
            return []
        token = fhir.identifier_token(fhir.PATIENT_SYSTEM, sorted(set(patient_ids)))
        bundles = await self._all("Appointment", {"actor:identifier": token})
        out = []
        for resource in fhir.resources_of(bundles, FhirAppointment):
            try:
                out.append(fhir.appointment_from(resource, hospital_code=self.code))
            except FhirMappingError as exc:  # one odd record must not cost the whole list
                log.warning("hospital %s: skipping an appointment: %s", self.code, exc)
        return sorted(out, key=lambda a: (a.start, a.id))

    async def cancel(self, appointment_id: str) -> Appointment:
        """Cancel (PUT with status cancelled), freeing the place; 422 → CancellationClosed."""
        try:
            resource = await self._update(
                f"Appointment/{appointment_id}",
                FhirAppointment,
                fhir.cancelled,
                done=lambda a: a.status == "cancelled",
            )
        except UpstreamRejected as exc:
            if exc.status == 422:
                raise CancellationClosed(fhir.outcome_message(exc.body)) from exc
            raise
        with self._contract():
            return fhir.appointment_from(resource, hospital_code=self.code)

    async def queue(self, appointment_id: str) -> QueuePosition:
        """Today's queue position; cached a moment, as every subscriber polls the same answer."""
        body = await self._upstream.get_json(
            f"Appointment/{appointment_id}/$queue",
            cache_ttl=self._queue_ttl,
            stale_ttl=max(QUEUE_MAX_AGE_SECONDS - self._queue_ttl, 0.0),
        )
        with self._contract():
            return fhir.queue_from(fhir.parse(Parameters, body))

    def _appointment(self, body: Any) -> Appointment:
        with self._contract():
            return fhir.appointment_from(fhir.parse(FhirAppointment, body), hospital_code=self.code)

    # --- reports ------------------------------------------------------------------------------

    async def reports(self, patient_ids: Sequence[str]) -> list[Report]:
        """These people's reports with their observations, newest first, in one search."""
        if not patient_ids:
            return []
        token = fhir.identifier_token(fhir.PATIENT_SYSTEM, sorted(set(patient_ids)))
        bundles = await self._all(
            "DiagnosticReport",
            {"subject:identifier": token, "_include": "DiagnosticReport:result"},
        )
        return self._reports(bundles)

    async def report(self, report_id: str) -> Report:
        """One report with its observations, in one request (a search with `_include`)."""
        bundles = await self._all(
            "DiagnosticReport", {"_id": report_id, "_include": "DiagnosticReport:result"}
        )
        found = [r for r in self._reports(bundles) if r.id == report_id]
        if not found:
            raise UpstreamNotFound(self._name, f"{self._name}: DiagnosticReport/{report_id}")
        return found[0]

    def _reports(self, bundle: Bundle) -> list[Report]:
        observations = {o.id: o for o in fhir.resources_of(bundle, FhirObservation) if o.id}
        with self._contract():
            reports = [
                fhir.report_from(r, observations, hospital_code=self.code)
                for r in fhir.resources_of(bundle, DiagnosticReport)
            ]
        return sorted(reports, key=_report_time, reverse=True)

    # --- bills --------------------------------------------------------------------------------

    async def bills(self, patient_ids: Sequence[str], *, status: BillStatus | None) -> list[Bill]:
        """These people's bills (optionally of one status), with their lines, newest first."""
        if not patient_ids:
            return []
        params: dict[str, str | int] = {
            "subject:identifier": fhir.identifier_token(
                fhir.PATIENT_SYSTEM, sorted(set(patient_ids))
            )
        }
        if status is not None:
            params["status"] = status.value
        bundles = await self._all("Invoice", params)
        invoices = fhir.resources_of(bundles, Invoice)
        charges = await self._charge_items(invoices, fhir.resources_of(bundles, ChargeItem))
        with self._contract():
            bills = [fhir.bill_from(i, charges, hospital_code=self.code) for i in invoices]
        return sorted(bills, key=_bill_time, reverse=True)

    async def bill(self, bill_id: str) -> Bill:
        """One bill with its lines."""
        body = await self._upstream.get_json(f"Invoice/{bill_id}")
        with self._contract():
            invoice = fhir.parse(Invoice, body)
        return await self._bill(invoice)

    async def mark_bill_paid(self, bill_id: str, *, transaction_id: str) -> Bill:
        """Mark a bill balanced, naming the payment transaction; a paid bill is left as it is."""
        invoice = await self._update(
            f"Invoice/{bill_id}",
            Invoice,
            lambda body: fhir.balanced_invoice(body, transaction_id),
            done=lambda i: i.status == "balanced",
        )
        return await self._bill(invoice)

    async def _bill(self, invoice: Invoice) -> Bill:
        charges = await self._charge_items([invoice], [])
        with self._contract():
            return fhir.bill_from(invoice, charges, hospital_code=self.code)

    async def _charge_items(
        self, invoices: Sequence[Invoice], included: Sequence[ChargeItem]
    ) -> dict[str, ChargeItem]:
        """The ChargeItems the lines need, fetched in one search only when a line lacks them."""
        charges = {str(c.id): c for c in included if c.id}
        for invoice in invoices:
            contained = [c for c in invoice.contained or () if isinstance(c, ChargeItem) and c.id]
            charges.update((f"#{c.id}", c) for c in contained)
        missing = [i for i in fhir.charge_items_needed(invoices) if i not in charges]
        if missing:
            bundles = await self._all("ChargeItem", {"_id": ",".join(missing)})
            charges.update((str(c.id), c) for c in fhir.resources_of(bundles, ChargeItem) if c.id)
        return charges

    # --- plumbing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _contract(self) -> Iterator[None]:
        """A profile violation is the hospital's fault: report it as the upstream failing."""
        try:
            yield
        except FhirMappingError as exc:
            raise UpstreamUnavailable(self._name, f"{self._name}: {exc}") from exc

    async def _all(
        self,
        resource: str,
        params: Params,
        *,
        cache_ttl: float | None = None,
        stale_ttl: float = 0.0,
    ) -> Bundle:
        """Every page of a search merged into one Bundle (entries in order, no `next` link)."""
        entries: list[BundleEntry] = []
        with self._contract():
            async for page in self._pages(resource, params, cache_ttl, stale_ttl):
                entries.extend(page.entry or ())
        return Bundle(type="searchset", total=len(entries), entry=entries or None)

    async def _pages(
        self, resource: str, params: Params, cache_ttl: float | None, stale_ttl: float
    ) -> AsyncIterator[Bundle]:
        """Page one (cached when asked), then each `next` link through `get_json`, uncached.

        Only page one is cached: its key is what `invalidate` forgets, so a cached later page
        (whose link a server may well repeat) would outlive an invalidation. A link's query is
        opaque and `get_json` sends it byte for byte; as a GET, it is retried like page one.
        """
        search = _with_page_size(params)

        async def first() -> Any:
            if cache_ttl is None:
                return await self._upstream.get_json(resource, search)
            return await self._upstream.get_json(
                resource, search, cache_ttl=cache_ttl, stale_ttl=stale_ttl
            )

        async def following(link: str) -> Any:
            return await self._upstream.get_json(fhir.relative_link(link, self._base_url))

        async for page in fhir.pages(first, following):
            yield page

    async def _update(
        self,
        path: str,
        model: type[R],
        build: Callable[[Any], dict[str, Any]],
        *,
        done: Callable[[R], bool],
    ) -> R:
        """Read, change and PUT a resource with `If-Match`, unless it is already `done`.

        The PUT is idempotent, so it is retried; a retry whose first attempt landed meets a
        new version (412), so a 412 means: read again, and stop if the change is there.
        """
        for attempt in range(2):
            body = await self._upstream.get_json(path)
            with self._contract():
                current = fhir.parse(model, body)
                if done(current):
                    return current
                update = build(body)
            headers = dict(_WRITE_HEADERS)
            version = fhir.version_of(current)
            if version is not None:
                headers["if-match"] = f'W/"{version}"'
            try:
                _, reply = await self._upstream.send_json(
                    "PUT", path, json=update, headers=headers, idempotent=True
                )
            except UpstreamRejected as exc:
                if exc.status == 412 and attempt == 0:
                    continue
                raise
            if reply is None:
                reply = await self._upstream.get_json(path)
            with self._contract():
                return fhir.parse(model, reply)
        raise UpstreamUnavailable(self._name, f"{self._name}: {path} keeps changing")


def _with_page_size(params: Params) -> list[tuple[str, str | int]]:
    """The search as pairs, with `_count` set to PAGE_SIZE unless the caller chose one."""
    pairs = list(params.items() if isinstance(params, Mapping) else params)
    if all(key != "_count" for key, _ in pairs):
        pairs.append(("_count", PAGE_SIZE))
    return pairs


def _report_time(report: Report) -> tuple[datetime, str]:
    moment = report.issued or report.effective or datetime.min.replace(tzinfo=CHANGSHA)
    return moment, report.id


def _bill_time(bill: Bill) -> tuple[datetime, str]:
    return bill.issued or datetime.min.replace(tzinfo=CHANGSHA), bill.id


# --- the registry -------------------------------------------------------------------------------


class _DirectoryEntry(BaseModel):
    """One hospital in the directory document."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    code: str = Field(pattern=HOSPITAL_CODE_PATTERN)
    name: str
    fhir_base_url: str = Field(alias="fhirBaseUrl", min_length=1)


_DIRECTORY = TypeAdapter(list[_DirectoryEntry])


class HospitalClients:
    """Every hospital's client, made lazily, each with its own upstream client and breaker."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self._settings = settings
        self._redis = redis
        self._clients: dict[str, HospitalClient] = {}
        self._upstreams: list[UpstreamClient] = []
        self._directory: UpstreamClient | None = None

    async def endpoints(self) -> list[HospitalEndpoint]:
        """Every hospital: from HOSPITAL_ENDPOINTS if set, else the (cached) directory."""
        configured = self._settings.hospital_endpoints
        if configured is not None:
            return [HospitalEndpoint(code, code, url) for code, url in sorted(configured.items())]
        url = self._settings.hospital_directory_url
        link = urlsplit(url)
        body = await self._directory_upstream().get_json(
            link.path or "/",
            parse_qsl(link.query, keep_blank_values=True),
            cache_ttl=DIRECTORY_CACHE_SECONDS,
            stale_ttl=DIRECTORY_STALE_SECONDS,
        )
        try:
            entries = _DIRECTORY.validate_python(body)
        except ValidationError as exc:
            raise UpstreamUnavailable("hospitals-directory", f"invalid directory: {exc}") from exc
        return [HospitalEndpoint(e.code, e.name, urljoin(url, e.fhir_base_url)) for e in entries]

    def register(self, endpoint: HospitalEndpoint) -> HospitalClient:
        """The client of this hospital, made on first use; a moved base URL gets a new one."""
        current = self._clients.get(endpoint.code)
        if current is not None and current.endpoint.fhir_base_url == endpoint.fhir_base_url:
            return current
        config = dataclasses.replace(
            self._settings.upstream(f"hospital-{endpoint.code}", endpoint.fhir_base_url),
            default_headers={"accept": fhir.FHIR_JSON},
        )
        upstream = UpstreamClient(config, self._redis)
        self._upstreams.append(upstream)  # a replaced one is closed at shutdown, not mid-call
        client = HospitalClient(
            endpoint, upstream, slot_cache_seconds=self._settings.slot_cache_seconds
        )
        self._clients[endpoint.code] = client
        return client

    def get(self, code: str) -> HospitalClient:
        """The registered client of a hospital; KeyError if nobody registered it yet."""
        return self._clients[code]

    def registered(self) -> list[HospitalClient]:
        """Every client made so far."""
        return list(self._clients.values())

    async def aclose(self) -> None:
        """Close every upstream client this registry made."""
        upstreams = list(self._upstreams)
        if self._directory is not None:
            upstreams.append(self._directory)
        self._upstreams.clear()
        self._clients.clear()
        self._directory = None
        await asyncio.gather(*(u.aclose() for u in upstreams), return_exceptions=True)

    def _directory_upstream(self) -> UpstreamClient:
        if self._directory is None:
            link = urlsplit(self._settings.hospital_directory_url)
            origin = f"{link.scheme}://{link.netloc}"
            self._directory = UpstreamClient(
                self._settings.upstream("hospitals-directory", origin), self._redis
            )
        return self._directory
