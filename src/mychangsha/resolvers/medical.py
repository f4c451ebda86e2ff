"""What the medical-record fields mean: reports, and the audit of every read.

Reports need level 2 and a patient the caller may act for. The access is written to the
audit log before the data leaves, so a read that returns anything has left its trace; a read
that fails upstream logs nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from strawberry import relay

from mychangsha.context import Context
from mychangsha.errors import Forbidden, NotFound
from mychangsha.integrations.errors import UpstreamNotFound
from mychangsha.integrations.hospital.models import Report
from mychangsha.middleware import request_id_var
from mychangsha.resolvers.hospital_ids import HospitalRef
from mychangsha.resolvers.hospitals import hospital_client
from mychangsha.resolvers.identity import current_citizen
from mychangsha.resolvers.patients import Patient, patient_for, patients_of
from mychangsha.storage.audit import DataAccess

REPORT = "DiagnosticReport"
_LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)


async def _audit(context: Context, patients: list[Patient], resource_id: str, action: str) -> None:
    citizen = await current_citizen(context)
    subjects = [
        ("Citizen" if p.is_citizen else "FamilyMember", p.id, owner)
        for p in patients
        for owner in p.audit_owners
    ]
    await context.services.audit.append(
        actor_citizen_id=citizen.id,
        subjects=subjects,
        resource=REPORT,
        resource_id=resource_id,
        action=action,
        request_id=request_id_var.get(),
    )


async def reports_of(context: Context, patient_id: relay.GlobalID) -> list[Report]:
    """A patient's reports from every hospital they visited through the graph, newest first.

    Hospitals are asked concurrently; one that fails raises for the whole field, because a
    medical history with silent gaps would mislead.
    """
    patient = await patient_for(context, patient_id)
    services = context.services
    hospitals = await services.bookings.hospitals_for([patient.id])

    async def fetch(code: str) -> list[Report]:
        client = await hospital_client(services, code)
        return await client.reports([patient.id])

    found = await asyncio.gather(*(fetch(code) for code in sorted(hospitals)))
    reports = [r for per_hospital in found for r in per_hospital if r.patient_id == patient.id]
    await _audit(context, [patient], "*", "list")
    reports.sort(key=_newest_first, reverse=True)
    return reports


def _newest_first(report: Report) -> tuple[datetime, str]:
    return (report.issued or report.effective or _LONG_AGO, report.id)


async def report(context: Context, target: HospitalRef) -> Report:
    """One report, if it is about someone the caller may act for; FORBIDDEN otherwise."""
    services = context.services
    patients = {p.id: p for p in await patients_of(context)}
    client = await hospital_client(services, target.hospital_code)
    try:
        found = await client.report(target.fhir_id)
    except UpstreamNotFound:
        raise NotFound("No such report.") from None
    patient = patients.get(found.patient_id)
    if patient is None:
        raise Forbidden("This report is not about you or a family member you may act for.")
    await _audit(context, [patient], target.node_id, "read")
    return found


async def access_log(context: Context, *, offset: int, limit: int) -> list[DataAccess]:
    """Who read the caller's (and their family's) medical data, newest first."""
    citizen = await current_citizen(context)
    return await context.services.audit.for_owner(citizen.id, offset=offset, limit=limit)
