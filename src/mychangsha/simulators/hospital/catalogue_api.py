"""Read and search endpoints of the catalogue: who the hospital is, its departments, doctors,
schedules and slots. Every route is under `/fhir/{hospital}`, one FHIR server per hospital.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import OrjsonResponse
from mychangsha.simulators.hospital import catalogue_fhir as render
from mychangsha.simulators.hospital.capability import capability_statement
from mychangsha.simulators.hospital.data import Department, Doctor
from mychangsha.simulators.hospital.fhir import (
    HOSPITAL_SYSTEM,
    FhirResponse,
    Resource,
    not_found,
)
from mychangsha.simulators.hospital.hospitals import HOSPITALS
from mychangsha.simulators.hospital.search import (
    SearchQuery,
    bundle_response,
    date_filters,
    fhir_base,
    reference_id,
    token_matches,
)
from mychangsha.simulators.hospital.state import Hospital, HospitalSimulator

PREFIX = "/fhir/{hospital}"


def hospital_of(sim: HospitalSimulator, request: Request) -> Hospital:
    """The hospital a request's path names, or a 404 OperationOutcome."""
    code = request.path_params["hospital"]
    hospital = sim.hospitals.get(code)
    if hospital is None:
        raise not_found("hospital", code)
    return hospital


def _refers(query: SearchQuery, name: str, resource_type: str, ids: Sequence[str]) -> bool:
    return query.accepts(name, lambda value: reference_id(value, resource_type) in ids)


class CatalogueApi:
    """Catalogue endpoints bound to one simulator's state."""

    def __init__(self, sim: HospitalSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        """Reads and searches of every catalogue resource type."""
        pairs = [
            ("Organization", self.search_organizations, self.read_organization),
            ("Location", self.search_locations, self.read_location),
            ("HealthcareService", self.search_services, self.read_service),
            ("Practitioner", self.search_practitioners, self.read_practitioner),
            ("PractitionerRole", self.search_roles, self.read_role),
            ("Schedule", self.search_schedules, self.read_schedule),
            ("Slot", self.search_slots, self.read_slot),
        ]
        routes: list[BaseRoute] = [
            Route("/directory", self.directory, methods=["GET"]),
            Route(f"{PREFIX}/metadata", self.metadata, methods=["GET"]),
        ]
        for resource_type, search, read in pairs:
            routes.append(Route(f"{PREFIX}/{resource_type}", search, methods=["GET"]))
            routes.append(Route(f"{PREFIX}/{resource_type}/{{id}}", read, methods=["GET"]))
        return routes

    # --- directory and metadata -----------------------------------------------------------

    async def directory(self, request: Request) -> Response:
        """Every hospital's FHIR base URL, absolute, as this request reached the simulator."""
        items = [
            {"code": info.code, "name": info.name, "fhirBaseUrl": fhir_base(request, info.code)}
            for info in HOSPITALS
        ]
        return OrjsonResponse(items)

    async def metadata(self, request: Request) -> Response:
        """The hospital's CapabilityStatement."""
        hospital = hospital_of(self.sim, request)
        base = fhir_base(request, hospital.code)
        return FhirResponse(capability_statement(hospital.catalogue.info, base))

    # --- the hospital itself --------------------------------------------------------------

    async def search_organizations(self, request: Request) -> Response:
        """The one Organization of this server, if it passes `_id` / `identifier`."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id", "identifier"))
        code = hospital.code
        ok = query.accepts("_id", lambda v: v == code) and query.accepts(
            "identifier", lambda v: token_matches(v, HOSPITAL_SYSTEM, code)
        )
        info = hospital.catalogue.info
        return bundle_response(request, query, code, [info] if ok else [], render.organization)

    async def read_organization(self, request: Request) -> Response:
        """The hospital by its code."""
        hospital = hospital_of(self.sim, request)
        self._expect_code(hospital, "Organization", request.path_params["id"])
        return FhirResponse(render.organization(hospital.catalogue.info))

    async def search_locations(self, request: Request) -> Response:
        """The hospital's main site."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id", "organization"))
        code = hospital.code
        ok = query.accepts("_id", lambda v: v == code) and _refers(
            query, "organization", "Organization", [code]
        )
        info = hospital.catalogue.info
        return bundle_response(request, query, code, [info] if ok else [], render.location)

    async def read_location(self, request: Request) -> Response:
        """The main site by id (the hospital code)."""
        hospital = hospital_of(self.sim, request)
        self._expect_code(hospital, "Location", request.path_params["id"])
        return FhirResponse(render.location(hospital.catalogue.info))

    # --- departments and doctors ----------------------------------------------------------

    async def search_services(self, request: Request) -> Response:
        """Departments, by `_id`, `organization` or `name` (contained, as users type)."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id", "organization", "name"))
        code = hospital.code
        org_ok = _refers(query, "organization", "Organization", [code])
        found = [
            dept
            for dept in hospital.catalogue.departments
            if org_ok
            and query.accepts("_id", dept.id.__eq__)
            and query.accepts("name", dept.info.name.__contains__)
        ]
        info = hospital.catalogue.info

        def one(dept: Department) -> Resource:
            return render.healthcare_service(info, dept)

        return bundle_response(request, query, code, found, one)

    async def read_service(self, request: Request) -> Response:
        """One department."""
        hospital = hospital_of(self.sim, request)
        dept = hospital.catalogue.by_department.get(request.path_params["id"])
        if dept is None:
            raise not_found("HealthcareService", request.path_params["id"])
        return FhirResponse(render.healthcare_service(hospital.catalogue.info, dept))

    async def search_practitioners(self, request: Request) -> Response:
        """Doctors as persons, by `_id`."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id",))
        found = [
            doctor
            for doctor in hospital.catalogue.doctors
            if query.accepts("_id", doctor.practitioner_id.__eq__)
        ]
        return bundle_response(request, query, hospital.code, found, render.practitioner)

    async def read_practitioner(self, request: Request) -> Response:
        """One doctor as a person."""
        hospital = hospital_of(self.sim, request)
        doctor = hospital.catalogue.by_practitioner.get(request.path_params["id"])
        if doctor is None:
            raise not_found("Practitioner", request.path_params["id"])
        return FhirResponse(render.practitioner(doctor))

    async def search_roles(self, request: Request) -> Response:
        """Doctors in departments, by `service`, `practitioner`, `organization`, `_id`;
        `_include=PractitionerRole:practitioner|PractitionerRole:service` adds those."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(
            request,
            ("_id", "service", "practitioner", "organization"),
            includes=("PractitionerRole:practitioner", "PractitionerRole:service"),
        )
        org_ok = _refers(query, "organization", "Organization", [hospital.code])
        found = [
            doctor
            for doctor in hospital.catalogue.doctors
            if org_ok
            and query.accepts("_id", doctor.role_id.__eq__)
            and _refers(query, "service", "HealthcareService", [doctor.department.id])
            and _refers(query, "practitioner", "Practitioner", [doctor.practitioner_id])
        ]
        info = hospital.catalogue.info

        def one(doctor: Doctor) -> Resource:
            return render.practitioner_role(info, doctor)

        def included(page: Sequence[Doctor]) -> list[Resource]:
            extra: list[Resource] = []
            if "PractitionerRole:practitioner" in query.includes:
                extra += [render.practitioner(doctor) for doctor in page]
            if "PractitionerRole:service" in query.includes:
                departments = {doctor.department.id: doctor.department for doctor in page}
                extra += [render.healthcare_service(info, d) for d in departments.values()]
            return extra

        return bundle_response(request, query, hospital.code, found, one, included)

    async def read_role(self, request: Request) -> Response:
        """One doctor in a department, with title and fee."""
        hospital = hospital_of(self.sim, request)
        doctor = hospital.catalogue.by_role.get(request.path_params["id"])
        if doctor is None:
            raise not_found("PractitionerRole", request.path_params["id"])
        return FhirResponse(render.practitioner_role(hospital.catalogue.info, doctor))

    # --- schedules and slots --------------------------------------------------------------

    async def search_schedules(self, request: Request) -> Response:
        """Schedules by `actor` (PractitionerRole or HealthcareService) or `_id`."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id", "actor"))
        found = [
            doctor
            for doctor in hospital.catalogue.doctors
            if query.accepts("_id", doctor.schedule_id.__eq__)
            and query.accepts("actor", functools.partial(_is_actor, doctor))
        ]
        now = self.sim.now()

        def one(doctor: Doctor) -> Resource:
            return render.schedule(hospital.catalogue, doctor, now)

        return bundle_response(request, query, hospital.code, found, one)

    async def read_schedule(self, request: Request) -> Response:
        """One doctor's schedule."""
        hospital = hospital_of(self.sim, request)
        doctor = hospital.catalogue.by_schedule.get(request.path_params["id"])
        if doctor is None:
            raise not_found("Schedule", request.path_params["id"])
        return FhirResponse(render.schedule(hospital.catalogue, doctor, self.sim.now()))

    async def search_slots(self, request: Request) -> Response:
        """Published slots by `schedule` (comma = OR), `start` (prefixed, ANDed), `status`;
        the chain `schedule.actor` (PractitionerRole or HealthcareService) finds a whole
        department's slots in one request."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id", "schedule", "schedule.actor", "start", "status"))
        starts = date_filters(query, "start")
        doctors = [
            doctor
            for doctor in hospital.catalogue.doctors
            if _refers(query, "schedule", "Schedule", [doctor.schedule_id])
            and query.accepts("schedule.actor", functools.partial(_is_actor, doctor))
        ]
        found = [
            view
            for view in hospital.published_slots(self.sim.now(), doctors)
            if all(flt.matches(view.key.start) for flt in starts)
            and query.accepts("status", view.status.__eq__)
            and query.accepts("_id", view.key.id.__eq__)
        ]
        return bundle_response(request, query, hospital.code, found, render.slot)

    async def read_slot(self, request: Request) -> Response:
        """One slot by id (published, or recent history)."""
        hospital = hospital_of(self.sim, request)
        view = hospital.slot(request.path_params["id"], self.sim.now())
        if view is None:
            raise not_found("Slot", request.path_params["id"])
        return FhirResponse(render.slot(view))

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _expect_code(hospital: Hospital, resource_type: str, resource_id: str) -> None:
        if resource_id != hospital.code:
            raise not_found(resource_type, resource_id)


def _is_actor(doctor: Doctor, value: str) -> bool:
    return (
        reference_id(value, "PractitionerRole") == doctor.role_id
        or reference_id(value, "HealthcareService") == doctor.department.id
    )
