"""FHIR R4 JSON → hospital domain, and the requests we build, on fixtures that follow the profile.

The fixtures are written from docs/fhir-profile.md (not from the simulator), so these tests pin
the contract itself: a hospital server that follows the profile maps exactly like this.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
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
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from mychangsha.geo import GeoPoint
from mychangsha.integrations.hospital import fhir
from mychangsha.integrations.hospital.fhir import FhirMappingError
from mychangsha.integrations.hospital.models import (
    AppointmentStatus,
    BillLine,
    BillStatus,
    ReportCategory,
    SlotStatus,
)

CST = timezone(timedelta(hours=8))
EXT = "http://mychangsha.cn/fhir/StructureDefinition/"
PATIENT = "urn:mychangsha:patient"

# --- fixtures: JSON exactly as a profile-following hospital sends it ----------------------------

ORGANIZATION = json.loads("""{
  "resourceType": "Organization", "id": "xiangya",
  "meta": {"versionId": "1", "lastUpdated": "2025-03-01T09:00:00+08:00"},
  "identifier": [{"system": "urn:mychangsha:hospital", "value": "xiangya"}],
  "active": true,
  "type": [{"text": "三级甲等"}],
  "name": "中南大学湘雅医院",
  "alias": ["湘雅", "湘雅医院"],
  "telecom": [{"system": "url", "value": "https://www.xiangya.com.cn"},
              {"system": "phone", "value": "0731-84328888", "use": "work"}],
  "address": [{"text": "湖南省长沙市开福区湘雅路87号", "city": "长沙市"}]
}""")

LOCATION = json.loads("""{
  "resourceType": "Location", "id": "xiangya-main", "status": "active",
  "name": "中南大学湘雅医院",
  "address": {"line": ["湘雅路87号"], "district": "开福区", "city": "长沙市", "state": "湖南省"},
  "position": {"latitude": 28.2162, "longitude": 112.9826},
  "managingOrganization": {"reference": "Organization/xiangya"}
}""")

SERVICE = json.loads("""{
  "resourceType": "HealthcareService", "id": "cardio",
  "active": true,
  "providedBy": {"reference": "Organization/xiangya", "display": "中南大学湘雅医院"},
  "category": [{"text": "内科"}],
  "specialty": [{"text": "冠心病"}, {"text": "心律失常"}],
  "name": "心血管内科"
}""")

PRACTITIONER = json.loads("""{
  "resourceType": "Practitioner", "id": "p-zhang",
  "name": [{"text": "张建国", "family": "张", "given": ["建国"]}],
  "gender": "male"
}""")

ROLE = json.loads("""{
  "resourceType": "PractitionerRole", "id": "r-zhang",
  "extension": [{"url": "http://mychangsha.cn/fhir/StructureDefinition/registration-fee",
                 "valueMoney": {"value": 12.5, "currency": "CNY"}}],
  "active": true,
  "practitioner": {"reference": "Practitioner/p-zhang", "display": "张建国"},
  "organization": {"reference": "Organization/xiangya"},
  "healthcareService": [{"reference": "HealthcareService/cardio", "display": "心血管内科"}],
  "code": [{"text": "主任医师"}],
  "specialty": [{"text": "冠心病介入治疗"}]
}""")

SCHEDULE = json.loads("""{
  "resourceType": "Schedule", "id": "s-zhang", "active": true,
  "actor": [{"reference": "PractitionerRole/r-zhang"},
            {"reference": "HealthcareService/cardio"}],
  "planningHorizon": {"start": "2025-05-14T00:00:00+08:00", "end": "2025-05-21T00:00:00+08:00"}
}""")

SLOT = json.loads("""{
  "resourceType": "Slot", "id": "s-zhang-20250514-am",
  "extension": [
    {"url": "http://mychangsha.cn/fhir/StructureDefinition/slot-capacity", "valueUnsignedInt": 30},
    {"url": "http://mychangsha.cn/fhir/StructureDefinition/slot-booked", "valueUnsignedInt": 30}
  ],
  "schedule": {"reference": "Schedule/s-zhang"},
  "status": "busy",
  "start": "2025-05-14T08:00:00+08:00",
  "end": "2025-05-14T12:00:00+08:00"
}""")

APPOINTMENT = json.loads("""{
  "resourceType": "Appointment", "id": "a-1",
  "meta": {"versionId": "1", "lastUpdated": "2025-05-07T07:00:01+08:00"},
  "extension": [{"url": "http://mychangsha.cn/fhir/StructureDefinition/queue-number",
                 "valueUnsignedInt": 7}],
  "identifier": [{"system": "urn:mychangsha:booking", "value": "bk-42"}],
  "status": "booked",
  "slot": [{"reference": "Slot/s-zhang-20250514-am"}],
  "start": "2025-05-14T08:00:00+08:00",
  "end": "2025-05-14T12:00:00+08:00",
  "participant": [
    {"actor": {"identifier": {"system": "urn:mychangsha:patient", "value": "person-1"},
               "display": "李小明"}, "status": "accepted"},
    {"actor": {"reference": "PractitionerRole/r-zhang", "display": "张建国"},
     "status": "accepted"}
  ]
}""")

QUEUE = json.loads("""{
  "resourceType": "Parameters",
  "parameter": [
    {"name": "peopleAhead", "valueUnsignedInt": 3},
    {"name": "calledNumber", "valueUnsignedInt": 4},
    {"name": "status", "valueCode": "waiting"}
  ]
}""")

LAB_REPORT = json.loads("""{
  "resourceType": "DiagnosticReport", "id": "rep-1", "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                            "code": "LAB"}]}],
  "code": {"text": "血常规"},
  "subject": {"identifier": {"system": "urn:mychangsha:patient", "value": "person-1"}},
  "effectiveDateTime": "2025-05-10T09:12:00+08:00",
  "issued": "2025-05-10T11:40:00+08:00",
  "result": [{"reference": "Observation/o-wbc"}, {"reference": "Observation/o-hgb"},
             {"reference": "Observation/o-gone"}, {"reference": "Observation/o-plt"}]
}""")


def _observation(
    id_: str, name: str, value: float, unit: str, low: float, high: float, flag: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "code": {"text": name},
        "valueQuantity": {"value": value, "unit": unit},
        "referenceRange": [{"low": {"value": low, "unit": unit}, "high": {"value": high}}],
        "interpretation": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": flag,
                    }
                ]
            }
        ],
    }


OBSERVATIONS = [
    _observation("o-wbc", "白细胞计数", 11.2, "10^9/L", 3.5, 9.5, "H"),
    _observation("o-hgb", "血红蛋白", 101, "g/L", 115, 150, "L"),
    _observation("o-plt", "血小板计数", 210, "10^9/L", 125, 350, "N"),
]

IMAGING_REPORT = json.loads("""{
  "resourceType": "DiagnosticReport", "id": "rep-2", "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                            "code": "RAD"}]}],
  "code": {"text": "胸部CT平扫"},
  "subject": {"identifier": {"system": "urn:mychangsha:patient", "value": "person-1"}},
  "effectiveDateTime": "2025-05-11",
  "conclusion": "双肺未见明显异常。"
}""")

INVOICE = json.loads("""{
  "resourceType": "Invoice", "id": "inv-1",
  "meta": {"versionId": "3"},
  "identifier": [{"system": "urn:mychangsha:bill", "value": "XY20250514-0001"}],
  "status": "issued",
  "subject": {"identifier": {"system": "urn:mychangsha:patient", "value": "person-1"}},
  "date": "2025-05-14T08:05:00+08:00",
  "lineItem": [
    {"sequence": 1, "chargeItemReference": {"reference": "ChargeItem/c-reg"}},
    {"sequence": 2,
     "chargeItemCodeableConcept": {"text": "血常规检查"},
     "priceComponent": [{"type": "base", "amount": {"value": 25, "currency": "CNY"}},
                        {"type": "discount", "amount": {"value": 0.3, "currency": "CNY"}},
                        {"type": "informational", "amount": {"value": 99, "currency": "CNY"}}]}
  ],
  "totalGross": {"value": 37.2, "currency": "CNY"}
}""")

CHARGE = json.loads("""{
  "resourceType": "ChargeItem", "id": "c-reg", "status": "billable",
  "code": {"text": "挂号费（主任医师）"},
  "subject": {"reference": "Patient/hosp-9"},
  "priceOverride": {"value": 12.5, "currency": "CNY"}
}""")


def _role(fee: Any) -> PractitionerRole:
    role = copy.deepcopy(ROLE)
    role["extension"][0]["valueMoney"] = fee
    return PractitionerRole.model_validate(role)


# --- catalogue ----------------------------------------------------------------------------------


def test_hospital_from_organization_and_location() -> None:
    hospital = fhir.hospital_from(
        Organization.model_validate(ORGANIZATION), Location.model_validate(LOCATION)
    )
    assert hospital.code == "xiangya"
    assert hospital.name == "中南大学湘雅医院"
    assert hospital.aliases == ("湘雅", "湘雅医院")
    assert hospital.grade == "三级甲等"
    assert hospital.phone == "0731-84328888"
    assert hospital.location == GeoPoint(lat=28.2162, lng=112.9826)
    # The Location's address (here without `text`) reads big to small, as Chinese addresses do.
    assert hospital.address == "湖南省长沙市开福区湘雅路87号"


def test_hospital_without_location_uses_the_organization_address() -> None:
    hospital = fhir.hospital_from(Organization.model_validate(ORGANIZATION), None)
    assert hospital.location is None
    assert hospital.address == "湖南省长沙市开福区湘雅路87号"


def test_department_from_healthcare_service() -> None:
    department = fhir.department_from(
        HealthcareService.model_validate(SERVICE), hospital_code="xiangya"
    )
    assert department.id == "cardio"
    assert department.hospital_code == "xiangya"
    assert department.name == "心血管内科"
    assert department.specialty == "冠心病、心律失常"


def test_doctor_from_role_and_practitioner() -> None:
    doctor = fhir.doctor_from(
        PractitionerRole.model_validate(ROLE),
        Practitioner.model_validate(PRACTITIONER),
        "s-zhang",
        hospital_code="xiangya",
    )
    assert doctor.id == "r-zhang"
    assert doctor.department_id == "cardio"
    assert doctor.practitioner_id == "p-zhang"
    assert doctor.name == "张建国"
    assert doctor.title == "主任医师"
    assert doctor.specialty == "冠心病介入治疗"
    assert doctor.fee_fen == 1250
    assert doctor.schedule_id == "s-zhang"


def test_doctor_name_falls_back_to_the_role_display() -> None:
    doctor = fhir.doctor_from(PractitionerRole.model_validate(ROLE), None, None, hospital_code="x")
    assert doctor.name == "张建国" and doctor.schedule_id is None


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        (12.5, 1250),
        (0.07, 7),  # 0.07 * 100 is 7.000000000000001 in floats
        (33.33, 3333),
        (0.29, 29),  # 0.29 * 100 is 28.999999999999996 in floats
        (100, 10000),
        (1.005, 101),  # half a fen rounds up, as a cashier would
        (0, 0),
    ],
)
def test_fee_yuan_becomes_exact_fen(yuan: float, fen: int) -> None:
    body = json.loads(json.dumps({"value": yuan, "currency": "CNY"}))
    doctor = fhir.doctor_from(_role(body), None, None, hospital_code="xiangya")
    assert doctor.fee_fen == fen
    assert type(doctor.fee_fen) is int


def test_fee_in_another_currency_or_missing_is_refused() -> None:
    with pytest.raises(FhirMappingError, match="USD"):
        fhir.doctor_from(_role({"value": 2, "currency": "USD"}), None, None, hospital_code="x")
    role = copy.deepcopy(ROLE)
    del role["extension"]
    with pytest.raises(FhirMappingError, match="fee"):
        fhir.doctor_from(PractitionerRole.model_validate(role), None, None, hospital_code="x")


def test_yuan_to_fen_is_decimal_arithmetic() -> None:
    assert fhir.yuan_to_fen(Decimal("19.99")) == 1999
    assert fhir.yuan_to_fen(Decimal("0.015")) == 2


def test_schedule_ids_by_role() -> None:
    other = {**SCHEDULE, "id": "s-other", "actor": [{"reference": "PractitionerRole/r-li"}]}
    schedules = [Schedule.model_validate(SCHEDULE), Schedule.model_validate(other)]
    assert fhir.schedule_ids_by_role(schedules) == {"r-zhang": "s-zhang", "r-li": "s-other"}


# --- slots, appointments, queue -----------------------------------------------------------------


def test_slot_capacity_and_booked() -> None:
    slot = fhir.slot_from(FhirSlot.model_validate(SLOT), "xiangya")
    assert slot.id == "s-zhang-20250514-am"
    assert slot.hospital_code == "xiangya"
    assert slot.schedule_id == "s-zhang"
    assert slot.start == datetime(2025, 5, 14, 0, 0, tzinfo=UTC)
    assert slot.start.utcoffset() == timedelta(hours=8)
    assert slot.end - slot.start == timedelta(hours=4)
    assert slot.status is SlotStatus.BUSY
    assert (slot.capacity, slot.booked, slot.remaining) == (30, 30, 0)


def test_free_slot_and_a_slot_without_capacity() -> None:
    free = {**SLOT, "status": "free"}
    free["extension"] = [
        {"url": EXT + "slot-capacity", "valueUnsignedInt": 30},
        {"url": EXT + "slot-booked", "valueUnsignedInt": 12},
    ]
    slot = fhir.slot_from(FhirSlot.model_validate(free), "xiangya")
    assert slot.status is SlotStatus.FREE and slot.remaining == 18
    with pytest.raises(FhirMappingError, match="slot-capacity"):
        fhir.slot_from(FhirSlot.model_validate({**SLOT, "extension": []}), "xiangya")


def test_appointment_from() -> None:
    appointment = fhir.appointment_from(
        FhirAppointment.model_validate(APPOINTMENT), hospital_code="xiangya"
    )
    assert appointment.id == "a-1"
    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.slot_id == "s-zhang-20250514-am"
    assert appointment.doctor_id == "r-zhang"
    assert appointment.patient_id == "person-1"
    assert appointment.patient_name == "李小明"
    assert appointment.booking_key == "bk-42"
    assert appointment.queue_number == 7
    assert appointment.start == datetime(2025, 5, 14, 8, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("cancelled", AppointmentStatus.CANCELLED),
        ("fulfilled", AppointmentStatus.FULFILLED),
        ("noshow", AppointmentStatus.NOSHOW),
        ("arrived", AppointmentStatus.ARRIVED),
        ("checked-in", AppointmentStatus.ARRIVED),
    ],
)
def test_appointment_statuses(status: str, expected: AppointmentStatus) -> None:
    resource = FhirAppointment.model_validate({**APPOINTMENT, "status": status})
    assert fhir.appointment_from(resource, hospital_code="x").status is expected


def test_an_unconfirmed_appointment_is_not_mapped() -> None:
    resource = FhirAppointment.model_validate({**APPOINTMENT, "status": "pending"})
    with pytest.raises(FhirMappingError, match="pending"):
        fhir.appointment_from(resource, hospital_code="x")


def test_queue_from_parameters() -> None:
    queue = fhir.queue_from(Parameters.model_validate(QUEUE))
    assert (queue.people_ahead, queue.called_number, queue.status) == (3, 4, "waiting")
    with pytest.raises(FhirMappingError):
        fhir.queue_from(Parameters.model_validate({**QUEUE, "parameter": QUEUE["parameter"][:1]}))


# --- reports and bills --------------------------------------------------------------------------


def test_lab_report_with_observations_in_report_order() -> None:
    observations = {o["id"]: FhirObservation.model_validate(o) for o in reversed(OBSERVATIONS)}
    report = fhir.report_from(
        DiagnosticReport.model_validate(LAB_REPORT), observations, hospital_code="xiangya"
    )
    assert report.category is ReportCategory.LAB
    assert report.name == "血常规"
    assert report.patient_id == "person-1"
    assert report.status == "final"
    assert report.issued == datetime(2025, 5, 10, 11, 40, tzinfo=CST)
    assert [o.id for o in report.observations] == ["o-wbc", "o-hgb", "o-plt"]  # o-gone skipped
    assert [o.flag for o in report.observations] == ["H", "L", "N"]
    wbc = report.observations[0]
    assert (wbc.name, wbc.value, wbc.unit) == ("白细胞计数", 11.2, "10^9/L")
    assert (wbc.reference_low, wbc.reference_high) == (3.5, 9.5)


def test_imaging_report_with_conclusion_and_a_date_only_effective() -> None:
    report = fhir.report_from(
        DiagnosticReport.model_validate(IMAGING_REPORT), {}, hospital_code="xiangya"
    )
    assert report.category is ReportCategory.IMAGING
    assert report.conclusion == "双肺未见明显异常。"
    assert report.observations == ()
    assert report.effective == datetime(2025, 5, 11, tzinfo=CST)
    assert report.issued is None


def test_bill_from_invoice_and_charge_items() -> None:
    invoice = Invoice.model_validate(INVOICE)
    assert fhir.charge_items_needed([invoice]) == ["c-reg"]
    bill = fhir.bill_from(
        invoice, {"c-reg": ChargeItem.model_validate(CHARGE)}, hospital_code="xiangya"
    )
    assert bill.id == "inv-1"
    assert bill.number == "XY20250514-0001"
    assert bill.status is BillStatus.ISSUED
    assert bill.patient_id == "person-1"
    assert bill.total_fen == 3720
    assert bill.issued == datetime(2025, 5, 14, 8, 5, tzinfo=CST)
    assert bill.lines == (
        BillLine(description="挂号费（主任医师）", amount_fen=1250),
        BillLine(description="血常规检查", amount_fen=2470),
    )
    assert sum(line.amount_fen for line in bill.lines) == bill.total_fen
    assert bill.transaction_id is None


def test_a_line_without_amount_is_a_profile_violation() -> None:
    with pytest.raises(FhirMappingError, match="no amount"):
        fhir.bill_from(Invoice.model_validate(INVOICE), {}, hospital_code="xiangya")


def test_bill_statuses() -> None:
    paid = Invoice.model_validate(
        {**INVOICE, "status": "balanced", "lineItem": [], "paymentTerms": "wx-1"}
    )
    bill = fhir.bill_from(paid, {}, hospital_code="x")
    assert (bill.status, bill.transaction_id) == (BillStatus.BALANCED, "wx-1")
    draft = Invoice.model_validate({**INVOICE, "status": "draft", "lineItem": []})
    with pytest.raises(FhirMappingError, match="draft"):
        fhir.bill_from(draft, {}, hospital_code="x")


# --- bundles, links, search values --------------------------------------------------------------


def _bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url:
        body["link"] = [
            {"relation": "self", "url": "http://h/fhir/xiangya/Slot"},
            {"relation": "next", "url": next_url},
        ]
    return body


def test_bundle_resources_by_type() -> None:
    bundle = fhir.parse(Bundle, _bundle(ROLE, PRACTITIONER, {**ROLE, "id": "r-2"}))
    assert [r.id for r in fhir.resources_of(bundle, PractitionerRole)] == ["r-zhang", "r-2"]
    assert [p.id for p in fhir.resources_of(bundle, Practitioner)] == ["p-zhang"]
    assert fhir.next_link(bundle) is None


async def test_pages_follow_next_links_and_stop_on_a_loop() -> None:
    links = ["http://h/fhir/xiangya/Slot?_page=2", "http://h/fhir/xiangya/Slot?_page=3"]
    bodies = {
        links[0]: _bundle({**SLOT, "id": "b"}, next_url=links[1]),
        links[1]: _bundle({**SLOT, "id": "c"}, next_url=links[1]),  # links to itself
    }
    followed: list[str] = []

    async def first() -> Any:
        return _bundle({**SLOT, "id": "a"}, next_url=links[0])

    async def following(link: str) -> Any:
        followed.append(link)
        return bodies[link]

    ids = [
        s.id async for page in fhir.pages(first, following) for s in page.entry or () if s.resource
    ]
    assert len(ids) == 3
    assert followed == links


def test_relative_link_keeps_the_query_verbatim() -> None:
    base = "http://127.0.0.1:8105/fhir/xiangya"
    link = "http://10.0.0.7:8080/fhir/xiangya/Slot?start=ge2025-05-14T00:00:00%2B08:00&_page=2"
    assert fhir.relative_link(link, base) == "Slot?start=ge2025-05-14T00:00:00%2B08:00&_page=2"
    assert fhir.relative_link("Slot?_page=2", base) == "Slot?_page=2"
    with pytest.raises(FhirMappingError):
        fhir.relative_link("http://evil/other/Slot?_page=2", base)
    with pytest.raises(FhirMappingError):  # a prefix of the base is not under it
        fhir.relative_link("http://h/fhir/xiangya2/Slot", base)


@pytest.mark.parametrize(
    ("reference", "kind", "expected"),
    [
        ("Slot/abc", "Slot", "abc"),
        ("http://h/fhir/xiangya/Slot/abc", "Slot", "abc"),
        ("Slot/abc/_history/3", "Slot", "abc"),
        ("Schedule/abc", "Slot", None),
        ("#contained", "Slot", None),
    ],
)
def test_reference_id(reference: str, kind: str, expected: str | None) -> None:
    assert fhir.reference_id(Reference(reference=reference), kind) == expected


def test_search_values() -> None:
    assert fhir.identifier_token(PATIENT, ["a", "b,c|d"]) == (
        "urn:mychangsha:patient|a,urn:mychangsha:patient|b\\,c\\|d"
    )
    assert fhir.booking_condition("key 1&x=湘") == (
        "identifier=urn:mychangsha:booking|key%201%26x%3D%E6%B9%98"
    )
    assert fhir.day_bounds(date(2025, 5, 14)) == (
        "2025-05-14T00:00:00+08:00",
        "2025-05-15T00:00:00+08:00",
    )


def test_outcome_message() -> None:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "conflict", "diagnostics": "号源已满"}],
    }
    assert fhir.outcome_message(body) == "号源已满"
    assert fhir.outcome_message({"error": "x"}) is None
    assert fhir.outcome_message("text") is None


def test_a_body_that_is_not_the_resource_fails_as_a_mapping_error() -> None:
    with pytest.raises(FhirMappingError, match="Slot"):
        fhir.parse(FhirSlot, {"resourceType": "Slot", "status": 5, "unknown": True})
    with pytest.raises(FhirMappingError):
        fhir.parse(FhirSlot, ["not", "an", "object"])


# --- what we send -------------------------------------------------------------------------------


def test_appointment_request_is_a_valid_booked_appointment() -> None:
    body = fhir.appointment_request("slot-1", "r-zhang", "person-1", "李小明", "bk-42")
    assert body["resourceType"] == "Appointment"
    assert body["status"] == "booked"
    assert body["slot"] == [{"reference": "Slot/slot-1"}]
    assert body["identifier"] == [{"system": "urn:mychangsha:booking", "value": "bk-42"}]
    patient, doctor = body["participant"]
    assert patient["actor"] == {
        "identifier": {"system": PATIENT, "value": "person-1"},
        "display": "李小明",
    }
    assert doctor["actor"] == {"reference": "PractitionerRole/r-zhang"}
    assert "null" not in json.dumps(body)
    FhirAppointment.model_validate(body)


def test_cancelled_changes_only_the_status() -> None:
    body = fhir.cancelled(APPOINTMENT)
    assert body["status"] == "cancelled"
    assert {k: v for k, v in body.items() if k != "status"} == {
        k: v for k, v in APPOINTMENT.items() if k != "status"
    }
    assert APPOINTMENT["status"] == "booked", "the input is not modified"


def test_balanced_invoice_names_the_transaction_and_keeps_money_as_numbers() -> None:
    body = fhir.balanced_invoice(INVOICE, "wx-4200001")
    assert body["status"] == "balanced"
    assert body["paymentTerms"] == "wx-4200001"
    assert body["totalGross"] == {"value": 37.2, "currency": "CNY"}
    assert body["lineItem"] == INVOICE["lineItem"]
    assert body["meta"] == INVOICE["meta"]
