"""Domain objects of the government-service platform, independent of its JSON and of GraphQL.

Times are timezone-aware UTC (the platform's +08:00 is converted at the wire), dates are the
platform's calendar dates in Changsha, money is integer fen. Mappings handed out are read-only.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias

__all__ = [
    "Applicant",
    "Application",
    "ApplicationStatus",
    "Certificate",
    "FieldValue",
    "FormField",
    "GovBundle",
    "GovDepartment",
    "GovService",
    "LifeEvent",
    "Material",
    "MaterialFile",
    "MaterialStream",
    "ServiceRef",
    "StatusChange",
    "SupplementRequest",
    "TimelineEntry",
    "UploadedMaterial",
]

FieldValue: TypeAlias = str | int | float
# An upload's content: bytes, a function opening the stored file afresh (so a retried submit
# can send it again), or a one-shot stream (then the submit is a single attempt).
MaterialStream: TypeAlias = bytes | Callable[[], AsyncIterator[bytes]] | AsyncIterator[bytes]


class ApplicationStatus(enum.Enum):
    """Where an application stands (办件状态); REJECTED and COMPLETED are final."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    NEEDS_SUPPLEMENT = "needs_supplement"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"

    @property
    def is_final(self) -> bool:
        """No further change will come: pollers and subscriptions may stop watching it."""
        return self in (ApplicationStatus.REJECTED, ApplicationStatus.COMPLETED)


# --- catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Material:
    """A document an applicant uploads (申请材料); the same name means the same document."""

    name: str
    required: bool
    accepted_types: tuple[str, ...]  # "pdf", "jpg", "png": decided by content, not by name
    description: str


@dataclass(frozen=True, slots=True)
class FormField:
    """One entry of the application form; `name` is its key in an application's fields."""

    name: str
    label: str
    type: str  # text | date | number | select
    required: bool
    options: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class GovService:
    """A government service (政务服务事项) as the catalogue lists it."""

    code: str
    name: str
    kind: str
    kind_code: str
    department: str
    department_code: str
    life_events: tuple[str, ...]
    materials: tuple[Material, ...]
    form_fields: tuple[FormField, ...]
    time_limit_days: int  # 承诺时限; 0 = 即办
    legal_time_limit_days: int
    fee_fen: int
    fully_online: bool
    issues_certificate: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """A service as a bundle names it."""

    code: str
    name: str
    department: str


@dataclass(frozen=True, slots=True)
class GovBundle:
    """A 一件事 bundle: one application handled jointly by several departments' services."""

    code: str
    name: str
    description: str
    life_event: str
    service_codes: tuple[str, ...]
    services: tuple[ServiceRef, ...]
    departments: tuple[str, ...]
    materials: tuple[Material, ...]
    form_fields: tuple[FormField, ...]
    time_limit_days: int
    fee_fen: int
    fully_online: bool
    issues_certificates: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LifeEvent:
    """A life event the catalogue is browsed by (出生, 退休, 开办企业 …)."""

    id: str
    name: str
    service_count: int
    bundle_count: int


@dataclass(frozen=True, slots=True)
class Notice:
    """A public notice of the platform (通知公告), shown to everyone on the home screen."""

    id: str
    category: str
    department: str
    title: str
    summary: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class GovDepartment:
    """A department offering services, with the short name citizens use (人社局)."""

    code: str
    name: str
    short_name: str
    service_count: int


# --- applications ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applicant:
    """Who applies: the platform identifies citizens by name and ID number."""

    name: str
    id_number: str
    phone: str


@dataclass(frozen=True, slots=True)
class MaterialFile:
    """One file to upload for a material; `stream` as `MaterialStream` describes."""

    material_name: str
    filename: str
    media_type: str
    stream: MaterialStream


@dataclass(frozen=True, slots=True)
class UploadedMaterial:
    """A file the platform received: it keeps a fingerprint; `round` 0 is the application."""

    material: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    round: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One status change with the official's note; `at` is when it happened."""

    status: ApplicationStatus
    at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class SupplementRequest:
    """What the reviewer asked for (补正告知); fulfilled once a supplement was accepted."""

    names: tuple[str, ...]
    reason: str
    requested_at: datetime
    fulfilled_at: datetime | None


@dataclass(frozen=True, slots=True)
class Application:
    """An application (办件) with its timeline; exactly one of service / bundle code is set."""

    number: str
    external_id: str
    service_code: str | None
    bundle_code: str | None
    title: str
    service_codes: tuple[str, ...]
    departments: tuple[str, ...]
    applicant: Applicant
    fields: Mapping[str, FieldValue] = field(hash=False)
    materials: tuple[UploadedMaterial, ...]
    status: ApplicationStatus
    status_text: str
    submitted_at: datetime
    updated_at: datetime  # when the platform recorded the latest change: pollers key on it
    due_date: date
    supplement_request: SupplementRequest | None
    certificate_ids: tuple[str, ...]
    timeline: tuple[TimelineEntry, ...]

    @property
    def requested_materials(self) -> tuple[str, ...]:
        """The materials to upload again, while the application waits for a supplement."""
        if self.status is not ApplicationStatus.NEEDS_SUPPLEMENT or not self.supplement_request:
            return ()
        return self.supplement_request.names


# --- certificates and webhooks --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certificate:
    """An e-certificate (电子证照) from the licence library; `valid_until` None is 长期."""

    id: str
    type: str
    number: str
    holder_name: str
    holder_id_number: str
    issuer: str
    issued_on: date
    valid_until: date | None
    status: str  # valid | expired, as the platform judged it today
    data: Mapping[str, str] = field(hash=False)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A verified status webhook: "something changed", to be deduplicated on `event_id`."""

    event_id: str
    application_number: str
    status: ApplicationStatus
    previous: ApplicationStatus | None
    at: datetime
    external_id: str
