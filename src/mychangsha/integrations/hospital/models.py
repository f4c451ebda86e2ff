"""The hospital domain as the graph uses it, independent of FHIR's shapes.

Money is integer fen. Times are timezone-aware. Ids are the hospital's FHIR logical ids;
the graph pairs them with the hospital code wherever an id must be globally unique.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from mychangsha.geo import GeoPoint

# A hospital's code names its upstream (`hospital-{code}`), prefixes every id of its resources
# in the graph (`{code}/{fhir id}`) and keys its caches: lower-case letters, digits and dashes.
HOSPITAL_CODE_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,39}$"


@dataclass(frozen=True)
class HospitalEndpoint:
    """Where a hospital's FHIR server is."""

    code: str
    name: str
    fhir_base_url: str


@dataclass(frozen=True)
class Hospital:
    """A hospital (FHIR Organization + its main Location)."""

    code: str
    name: str
    aliases: tuple[str, ...]
    grade: str | None
    address: str
    phone: str | None
    location: GeoPoint | None


@dataclass(frozen=True)
class Department:
    """A clinical department (FHIR HealthcareService)."""

    id: str
    hospital_code: str
    name: str
    specialty: str | None


@dataclass(frozen=True)
class Doctor:
    """A doctor in a department (FHIR PractitionerRole with its Practitioner)."""

    id: str  # the PractitionerRole id
    hospital_code: str
    department_id: str
    practitioner_id: str
    name: str
    title: str | None
    specialty: str | None
    fee_fen: int
    schedule_id: str | None


class SlotStatus(enum.Enum):
    """Whether a session still has places."""

    FREE = "free"
    BUSY = "busy"


@dataclass(frozen=True)
class Slot:
    """A clinic session with numbered places (FHIR Slot with capacity extensions)."""

    id: str
    hospital_code: str
    schedule_id: str
    start: datetime
    end: datetime
    status: SlotStatus
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        """Places still free."""
        return max(self.capacity - self.booked, 0)


class AppointmentStatus(enum.Enum):
    """FHIR Appointment.status values the graph distinguishes."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"
    NOSHOW = "noshow"
    ARRIVED = "arrived"


@dataclass(frozen=True)
class Appointment:
    """A booked visit, as the hospital confirmed it."""

    id: str
    hospital_code: str
    status: AppointmentStatus
    slot_id: str
    doctor_id: str | None
    patient_id: str
    patient_name: str | None
    start: datetime
    end: datetime
    booking_key: str | None
    queue_number: int | None


@dataclass(frozen=True)
class QueuePosition:
    """Where an appointment stands in today's queue."""

    people_ahead: int
    called_number: int
    status: str  # waiting | called | done | not-today


@dataclass(frozen=True)
class Observation:
    """One result of a lab panel."""

    id: str
    name: str
    value: float | None
    value_text: str | None
    unit: str | None
    reference_low: float | None
    reference_high: float | None
    flag: str | None  # H | L | N


class ReportCategory(enum.Enum):
    """Lab results or imaging."""

    LAB = "LAB"
    IMAGING = "RAD"


@dataclass(frozen=True)
class Report:
    """A diagnostic report with its observations (FHIR DiagnosticReport + Observation)."""

    id: str
    hospital_code: str
    patient_id: str
    category: ReportCategory
    name: str
    status: str
    effective: datetime | None
    issued: datetime | None
    conclusion: str | None
    observations: tuple[Observation, ...]


class BillStatus(enum.Enum):
    """FHIR Invoice.status values the graph distinguishes."""

    ISSUED = "issued"
    BALANCED = "balanced"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class BillLine:
    """One charge on a bill."""

    description: str
    amount_fen: int


@dataclass(frozen=True)
class Bill:
    """A hospital bill (FHIR Invoice with its ChargeItems)."""

    id: str
    hospital_code: str
    patient_id: str
    number: str | None
    status: BillStatus
    total_fen: int
    issued: datetime | None
    lines: tuple[BillLine, ...]
    # The payment a balanced bill names (Invoice.paymentTerms): a bill paid by another
    # transaction (say, at the hospital's window) is told apart from ours.
    transaction_id: str | None = None


@dataclass(frozen=True)
class HospitalCatalogue:
    """Everything slow-changing one hospital publishes: what the mirror sync copies."""

    endpoint: HospitalEndpoint
    hospital: Hospital
    departments: tuple[Department, ...]
    doctors: tuple[Doctor, ...]
