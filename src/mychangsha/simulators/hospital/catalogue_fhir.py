"""The catalogue as FHIR R4 JSON: Organization, Location, HealthcareService, Practitioner,
PractitionerRole, Schedule and Slot, shaped as `docs/fhir-profile.md` promises.

Plain dicts, built once per request: cheaper than model instances, and the tests parse every
shape with the `fhir.resources` R4B models so the graph's client can rely on it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from mychangsha.simulators.hospital.data import Department, Doctor, HospitalCatalogue
from mychangsha.simulators.hospital.fhir import (
    BOOKED_EXTENSION,
    CAPACITY_EXTENSION,
    CATALOGUE_UPDATED,
    FEE_EXTENSION,
    HOSPITAL_SYSTEM,
    Resource,
    money,
    reference,
    text,
    unsigned_extension,
)
from mychangsha.simulators.hospital.hospitals import HospitalInfo
from mychangsha.simulators.hospital.sessions import SHANGHAI, instant, published_days
from mychangsha.simulators.hospital.state import SlotView

_CATALOGUE_META: Resource = {"versionId": "1", "lastUpdated": CATALOGUE_UPDATED}


def _address(info: HospitalInfo) -> Resource:
    return {
        "use": "work",
        "type": "physical",
        "text": info.address_text,
        "line": [info.street],
        "district": info.district,
        "city": "长沙市",
        "state": "湖南省",
        "country": "CN",
    }


def _organization_ref(info: HospitalInfo) -> Resource:
    return reference("Organization", info.code, info.name)


def organization(info: HospitalInfo) -> Resource:
    """The hospital; its id is the hospital code."""
    return {
        "resourceType": "Organization",
        "id": info.code,
        "meta": _CATALOGUE_META,
        "identifier": [{"system": HOSPITAL_SYSTEM, "value": info.code}],
        "active": True,
        "type": [text(info.grade)],
        "name": info.name,
        "alias": list(info.aliases),
        "telecom": [{"system": "phone", "value": info.phone, "use": "work"}],
        "address": [_address(info)],
    }


def location(info: HospitalInfo) -> Resource:
    """The hospital's main site (one per hospital, id = hospital code), with WGS-84 position."""
    return {
        "resourceType": "Location",
        "id": info.code,
        "meta": _CATALOGUE_META,
        "status": "active",
        "name": info.name,
        "alias": list(info.aliases),
        "mode": "instance",
        "telecom": [{"system": "phone", "value": info.phone, "use": "work"}],
        "address": _address(info),
        "position": {"latitude": info.lat, "longitude": info.lng},
        "managingOrganization": _organization_ref(info),
    }


def healthcare_service(info: HospitalInfo, department: Department) -> Resource:
    """A department."""
    dept = department.info
    return {
        "resourceType": "HealthcareService",
        "id": department.id,
        "meta": _CATALOGUE_META,
        "active": True,
        "providedBy": _organization_ref(info),
        "category": [text(dept.category)],
        "type": [text(dept.name)],
        "specialty": [text(item) for item in dept.expertise],
        "location": [reference("Location", info.code, info.name)],
        "name": dept.name,
        "comment": f"{info.name}{dept.name}：{'、'.join(dept.expertise)}",
        "telecom": [{"system": "phone", "value": info.phone, "use": "work"}],
    }


def practitioner(doctor: Doctor) -> Resource:
    """The person (who may hold roles elsewhere; here one role each)."""
    return {
        "resourceType": "Practitioner",
        "id": doctor.practitioner_id,
        "meta": _CATALOGUE_META,
        "active": True,
        "name": [{"text": doctor.name, "family": doctor.family, "given": [doctor.given]}],
        "gender": doctor.gender,
        "qualification": [{"code": text(doctor.title)}],
    }


def practitioner_role(info: HospitalInfo, doctor: Doctor) -> Resource:
    """The doctor in a department, with title and registration fee (yuan, CNY)."""
    department = doctor.department
    return {
        "resourceType": "PractitionerRole",
        "id": doctor.role_id,
        "meta": _CATALOGUE_META,
        "extension": [{"url": FEE_EXTENSION, "valueMoney": money(doctor.fee_fen)}],
        "active": True,
        "practitioner": reference("Practitioner", doctor.practitioner_id, doctor.name),
        "organization": _organization_ref(info),
        "code": [text(doctor.title)],
        "specialty": [text("、".join(doctor.expertise))],
        "location": [reference("Location", info.code, info.name)],
        "healthcareService": [reference("HealthcareService", department.id, department.info.name)],
    }


def schedule(catalogue: HospitalCatalogue, doctor: Doctor, now: datetime) -> Resource:
    """The doctor's clinic calendar; the planning horizon is the published window."""
    days = published_days(now)
    start = datetime.combine(days[0], time(0), SHANGHAI)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), SHANGHAI)
    department = doctor.department
    return {
        "resourceType": "Schedule",
        "id": doctor.schedule_id,
        "meta": _CATALOGUE_META,
        "active": True,
        "serviceType": [text(department.info.name)],
        "specialty": [text("、".join(doctor.expertise))],
        "actor": [
            reference("PractitionerRole", doctor.role_id, doctor.name),
            reference("HealthcareService", department.id, department.info.name),
        ],
        "planningHorizon": {"start": instant(start), "end": instant(end)},
        "comment": f"{catalogue.info.name} {department.info.name} {doctor.name} {doctor.title}",
    }


def slot(view: SlotView) -> Resource:
    """A clinic session with its capacity and places taken; busy when full or over."""
    doctor = view.doctor
    return {
        "resourceType": "Slot",
        "id": view.key.id,
        "extension": [
            unsigned_extension(CAPACITY_EXTENSION, view.capacity),
            unsigned_extension(BOOKED_EXTENSION, view.booked),
        ],
        "serviceType": [text(doctor.department.info.name)],
        "specialty": [text("、".join(doctor.expertise))],
        "schedule": reference("Schedule", doctor.schedule_id),
        "status": view.status,
        "start": instant(view.key.start),
        "end": instant(view.key.end),
        "comment": f"{view.key.session.label} · {doctor.name} {doctor.title}",
    }
