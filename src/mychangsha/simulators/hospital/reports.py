"""Diagnostic reports the simulator issues: a complete blood count (血常规) and a chest CT.

Lab values are drawn around the adult reference ranges, a little wider than them so some
fall out of range (every panel has at least one, so the H/L flags are always exercised).
The draw is seeded by hospital, patient and the report's position, so a fresh run issues the
same values in the same order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from mychangsha.simulators.hospital.records import (
    ObservationRecord,
    Patient,
    ReportRecord,
    new_id,
)
from mychangsha.simulators.hospital.state import Hospital


@dataclass(frozen=True, slots=True)
class Analyte:
    """A measured quantity with its reference range and the precision it is reported in."""

    loinc: str
    name: str
    unit: str
    ucum: str
    low: float
    high: float
    decimals: int


CBC_LOINC: Final = "58410-2"
CBC_NAME: Final = "血常规"
CBC: Final = (
    Analyte("6690-2", "白细胞计数(WBC)", "10^9/L", "10*9/L", 3.5, 9.5, 2),
    Analyte("789-8", "红细胞计数(RBC)", "10^12/L", "10*12/L", 4.3, 5.8, 2),
    Analyte("718-7", "血红蛋白(HGB)", "g/L", "g/L", 130.0, 175.0, 0),
    Analyte("777-3", "血小板计数(PLT)", "10^9/L", "10*9/L", 125.0, 350.0, 0),
    Analyte("770-8", "中性粒细胞百分比(NEUT%)", "%", "%", 40.0, 75.0, 1),
)
CHEST_CT_LOINC: Final = "24627-2"
CHEST_CT_NAME: Final = "胸部CT平扫"
_CT_CONCLUSIONS: Final = (
    "双肺纹理清晰，未见明确实质性病变；心影大小正常，纵隔未见肿大淋巴结。",
    "右肺上叶见一枚约4mm磨玻璃结节，考虑良性可能大，建议12个月后复查胸部CT。",
    "双肺下叶少许慢性炎症，建议结合临床随访。",
)


def _value(rng: random.Random, analyte: Analyte, *, abnormal: bool) -> float:
    span = analyte.high - analyte.low
    if abnormal:
        value = rng.choice((analyte.low - 0.15 * span, analyte.high + 0.15 * span))
    else:
        value = rng.uniform(analyte.low - 0.2 * span, analyte.high + 0.2 * span)
    return round(max(value, 0.0), analyte.decimals)


def _observations(rng: random.Random, patient: Patient, now: datetime) -> list[ObservationRecord]:
    forced = rng.randrange(len(CBC))
    records = []
    for index, analyte in enumerate(CBC):
        value = _value(rng, analyte, abnormal=index == forced)
        records.append(
            ObservationRecord(
                id=new_id(),
                patient=patient,
                loinc=analyte.loinc,
                name=analyte.name,
                value=value,
                unit=analyte.unit,
                ucum=analyte.ucum,
                low=analyte.low,
                high=analyte.high,
                effective=now,
            )
        )
    return records


def add_report(hospital: Hospital, patient: Patient, kind: str, now: datetime) -> ReportRecord:
    """Issue a lab (CBC) or imaging (chest CT) report for a patient, stored in the book."""
    book = hospital.book
    rng = random.Random(f"{hospital.seed}:{hospital.code}:{patient.id}:{len(book.reports)}")
    if kind == "lab":
        observations = _observations(rng, patient, now)
        for item in observations:
            book.observations[item.id] = item
        record = ReportRecord(
            new_id(), patient, "LAB", CBC_LOINC, CBC_NAME, now, now,
            tuple(item.id for item in observations),
        )  # fmt: skip
    else:
        conclusion = rng.choice(_CT_CONCLUSIONS)
        record = ReportRecord(
            new_id(), patient, "RAD", CHEST_CT_LOINC, CHEST_CT_NAME, now, now, (), conclusion
        )
    book.reports[record.id] = record
    return record
