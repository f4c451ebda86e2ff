"""What a hospital remembers between requests: appointments, bills, reports, test overrides.

One `HospitalBook` per hospital, in memory; `reset()` empties them all. Ids of records are
random (not counters) so that a graph whose database outlives a simulator reset never sees an
old id reused for a different booking.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from mychangsha.simulators.hospital.sessions import SlotKey


def new_id() -> str:
    """A fresh logical id (FHIR ids allow up to 64 of `[A-Za-z0-9-.]`)."""
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Patient:
    """Who a record is for: the graph's person id and, when given, a display name."""

    id: str
    name: str | None


@dataclass
class AppointmentRecord:
    """A booking: one numbered place of one slot."""

    id: str
    key: SlotKey
    booking_key: str | None
    patient: Patient
    number: int
    created: datetime
    updated: datetime
    invoice_id: str
    status: str = "booked"
    version: int = 1
    cancellation_reason: str | None = None


@dataclass
class InvoiceRecord:
    """A bill of the hospital: one line, an amount in fen."""

    id: str
    bill_number: str
    patient: Patient
    description: str
    amount_fen: int
    created: datetime
    updated: datetime
    appointment_id: str | None = None
    status: str = "issued"
    version: int = 1
    payment_terms: str | None = None


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    """One measured value with its reference range and flag (H, L or N)."""

    id: str
    patient: Patient
    loinc: str
    name: str
    value: float
    unit: str
    ucum: str
    low: float
    high: float
    effective: datetime

    @property
    def flag(self) -> str:
        """The v3 ObservationInterpretation code."""
        if self.value > self.high:
            return "H"
        if self.value < self.low:
            return "L"
        return "N"


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A diagnostic report: lab (with observations) or imaging (with a conclusion)."""

    id: str
    patient: Patient
    category: str  # LAB | RAD
    loinc: str
    name: str
    effective: datetime
    issued: datetime
    observation_ids: tuple[str, ...]
    conclusion: str | None = None


@dataclass
class HospitalBook:
    """One hospital's mutable state."""

    appointments: dict[str, AppointmentRecord] = field(default_factory=dict)
    by_booking_key: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, set[int]] = field(default_factory=dict)  # slot id -> taken numbers
    invoices: dict[str, InvoiceRecord] = field(default_factory=dict)
    reports: dict[str, ReportRecord] = field(default_factory=dict)
    observations: dict[str, ObservationRecord] = field(default_factory=dict)
    capacities: dict[str, int] = field(default_factory=dict)  # admin overrides
    queue_advances: dict[str, int] = field(default_factory=dict)
    bill_sequence: int = 0

    def taken(self, slot_id: str) -> set[int]:
        """The numbers of a slot held by active appointments (a live set)."""
        return self.numbers.setdefault(slot_id, set())
