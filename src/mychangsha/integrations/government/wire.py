"""The government platform's JSON, validated with pydantic and mapped to domain objects.

Unknown keys are ignored (the platform may add fields without breaking us); a missing or
mistyped key we rely on fails validation, which the client reports as the upstream's fault.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import MappingProxyType

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mychangsha.integrations.government.models import (
    Applicant,
    Application,
    ApplicationStatus,
    Certificate,
    FieldValue,
    FormField,
    GovBundle,
    GovDepartment,
    GovService,
    LifeEvent,
    Material,
    Notice,
    ServiceRef,
    StatusChange,
    SupplementRequest,
    TimelineEntry,
    UploadedMaterial,
)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


# --- catalogue ------------------------------------------------------------------------------


class MaterialJson(_Wire):
    name: str
    required: bool
    accepted_types: list[str] = Field(alias="acceptedTypes")
    description: str = ""

    def to_domain(self) -> Material:
        """The material as a domain object."""
        return Material(self.name, self.required, tuple(self.accepted_types), self.description)


class FormFieldJson(_Wire):
    name: str
    label: str
    type: str
    required: bool
    options: list[str] | None = None

    def to_domain(self) -> FormField:
        """The form field as a domain object."""
        options = None if self.options is None else tuple(self.options)
        return FormField(self.name, self.label, self.type, self.required, options)


class ServiceJson(_Wire):
    code: str
    name: str
    kind: str
    kind_code: str = Field(alias="kindCode")
    department: str
    department_code: str = Field(alias="departmentCode")
    life_events: list[str] = Field(alias="lifeEvents")
    materials: list[MaterialJson]
    form_fields: list[FormFieldJson] = Field(alias="formFields")
    time_limit_days: int = Field(alias="timeLimitDays", ge=0)
    legal_time_limit_days: int = Field(alias="legalTimeLimitDays", ge=0)
    fee_fen: int = Field(alias="feeFen", ge=0)
    fully_online: bool = Field(alias="fullyOnline")
    issues_certificate: str | None = Field(default=None, alias="issuesCertificate")
    updated_at: AwareDatetime = Field(alias="updatedAt")

    def to_domain(self) -> GovService:
        """The catalogue entry as a domain object."""
        return GovService(
            code=self.code,
            name=self.name,
            kind=self.kind,
            kind_code=self.kind_code,
            department=self.department,
            department_code=self.department_code,
            life_events=tuple(self.life_events),
            materials=tuple(m.to_domain() for m in self.materials),
            form_fields=tuple(f.to_domain() for f in self.form_fields),
            time_limit_days=self.time_limit_days,
            legal_time_limit_days=self.legal_time_limit_days,
            fee_fen=self.fee_fen,
            fully_online=self.fully_online,
            issues_certificate=self.issues_certificate,
            updated_at=_utc(self.updated_at),
        )


class ServicePageJson(_Wire):
    items: list[ServiceJson]
    next: str | None = None


class ServiceRefJson(_Wire):
    code: str
    name: str
    department: str


class BundleJson(_Wire):
    code: str
    name: str
    description: str = ""
    life_event: str = Field(alias="lifeEvent")
    service_codes: list[str] = Field(alias="serviceCodes")
    services: list[ServiceRefJson] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    materials: list[MaterialJson]
    form_fields: list[FormFieldJson] = Field(alias="formFields")
    time_limit_days: int = Field(alias="timeLimitDays", ge=0)
    fee_fen: int = Field(alias="feeFen", ge=0)
    fully_online: bool = Field(alias="fullyOnline")
    issues_certificates: list[str] = Field(default_factory=list, alias="issuesCertificates")
    updated_at: AwareDatetime = Field(alias="updatedAt")

    def to_domain(self) -> GovBundle:
        """The bundle as a domain object."""
        return GovBundle(
            code=self.code,
            name=self.name,
            description=self.description,
            life_event=self.life_event,
            service_codes=tuple(self.service_codes),
            services=tuple(ServiceRef(s.code, s.name, s.department) for s in self.services),
            departments=tuple(self.departments),
            materials=tuple(m.to_domain() for m in self.materials),
            form_fields=tuple(f.to_domain() for f in self.form_fields),
            time_limit_days=self.time_limit_days,
            fee_fen=self.fee_fen,
            fully_online=self.fully_online,
            issues_certificates=tuple(self.issues_certificates),
            updated_at=_utc(self.updated_at),
        )


class BundleListJson(_Wire):
    items: list[BundleJson]


class LifeEventJson(_Wire):
    id: str
    name: str
    service_count: int = Field(default=0, alias="serviceCount")
    bundle_count: int = Field(default=0, alias="bundleCount")

    def to_domain(self) -> LifeEvent:
        """The life event as a domain object."""
        return LifeEvent(self.id, self.name, self.service_count, self.bundle_count)


class LifeEventListJson(_Wire):
    items: list[LifeEventJson]


class NoticeJson(_Wire):
    id: str
    category: str
    department: str
    title: str
    summary: str
    published_at: datetime = Field(alias="publishedAt")

    def to_domain(self) -> Notice:
        """The notice as a domain object."""
        return Notice(
            self.id, self.category, self.department, self.title, self.summary, self.published_at
        )


class NoticeListJson(_Wire):
    items: list[NoticeJson]


class DepartmentJson(_Wire):
    code: str
    name: str
    short_name: str = Field(alias="shortName")
    service_count: int = Field(default=0, alias="serviceCount")

    def to_domain(self) -> GovDepartment:
        """The department as a domain object."""
        return GovDepartment(self.code, self.name, self.short_name, self.service_count)


class DepartmentListJson(_Wire):
    items: list[DepartmentJson]


# --- applications ---------------------------------------------------------------------------


class ApplicantJson(_Wire):
    name: str
    id_number: str = Field(alias="idNumber")
    phone: str


class UploadedMaterialJson(_Wire):
    material: str
    file_name: str = Field(alias="fileName")
    content_type: str = Field(alias="contentType")
    size: int = Field(ge=0)
    sha256: str
    uploaded_at: AwareDatetime = Field(alias="uploadedAt")
    round: int = Field(ge=0)


class TimelineEntryJson(_Wire):
    status: ApplicationStatus
    at: AwareDatetime
    note: str = ""


class SupplementRequestJson(_Wire):
    names: list[str]
    reason: str = ""
    requested_at: AwareDatetime = Field(alias="requestedAt")
    fulfilled_at: AwareDatetime | None = Field(default=None, alias="fulfilledAt")


class ApplicationJson(_Wire):
    application_number: str = Field(alias="applicationNumber")
    external_id: str = Field(alias="externalId")
    service_code: str | None = Field(default=None, alias="serviceCode")
    bundle_code: str | None = Field(default=None, alias="bundleCode")
    title: str = ""
    service_codes: list[str] = Field(default_factory=list, alias="serviceCodes")
    departments: list[str] = Field(default_factory=list)
    applicant: ApplicantJson
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    materials: list[UploadedMaterialJson] = Field(default_factory=list)
    status: ApplicationStatus
    status_text: str = Field(default="", alias="statusText")
    submitted_at: AwareDatetime = Field(alias="submittedAt")
    updated_at: AwareDatetime = Field(alias="updatedAt")
    due_date: date = Field(alias="dueDate")
    supplement_request: SupplementRequestJson | None = Field(
        default=None, alias="supplementRequest"
    )
    certificate_ids: list[str] = Field(default_factory=list, alias="certificateIds")
    timeline: list[TimelineEntryJson] = Field(default_factory=list)

    def to_domain(self) -> Application:
        """The application as a domain object."""
        request = self.supplement_request
        return Application(
            number=self.application_number,
            external_id=self.external_id,
            service_code=self.service_code,
            bundle_code=self.bundle_code,
            title=self.title,
            service_codes=tuple(self.service_codes),
            departments=tuple(self.departments),
            applicant=Applicant(
                self.applicant.name, self.applicant.id_number, self.applicant.phone
            ),
            fields=MappingProxyType(dict(self.fields)),
            materials=tuple(
                UploadedMaterial(
                    material=m.material,
                    file_name=m.file_name,
                    content_type=m.content_type,
                    size=m.size,
                    sha256=m.sha256,
                    uploaded_at=_utc(m.uploaded_at),
                    round=m.round,
                )
                for m in self.materials
            ),
            status=self.status,
            status_text=self.status_text,
            submitted_at=_utc(self.submitted_at),
            updated_at=_utc(self.updated_at),
            due_date=self.due_date,
            supplement_request=None
            if request is None
            else SupplementRequest(
                names=tuple(request.names),
                reason=request.reason,
                requested_at=_utc(request.requested_at),
                fulfilled_at=None if request.fulfilled_at is None else _utc(request.fulfilled_at),
            ),
            certificate_ids=tuple(self.certificate_ids),
            timeline=tuple(
                TimelineEntry(entry.status, _utc(entry.at), entry.note) for entry in self.timeline
            ),
        )


class ApplicationPageJson(_Wire):
    items: list[ApplicationJson]
    next: str | None = None


class ErrorDetailJson(_Wire):
    code: str = "ERROR"
    message: str = ""
    names: list[str] = Field(default_factory=list)
    field: str | None = None


class ErrorJson(_Wire):
    """`{"error": {"code", "message", "names"?, "field"?}}`: the platform's refusals."""

    error: ErrorDetailJson


# --- certificates and webhooks --------------------------------------------------------------


class CertificateJson(_Wire):
    id: str
    type: str
    number: str
    holder_name: str = Field(alias="holderName")
    holder_id_number: str = Field(alias="holderIdNumber")
    issuer: str
    issued_on: date = Field(alias="issuedOn")
    valid_until: date | None = Field(default=None, alias="validUntil")
    status: str = "valid"
    data: dict[str, str] = Field(default_factory=dict)

    def to_domain(self) -> Certificate:
        """The certificate as a domain object."""
        return Certificate(
            id=self.id,
            type=self.type,
            number=self.number,
            holder_name=self.holder_name,
            holder_id_number=self.holder_id_number,
            issuer=self.issuer,
            issued_on=self.issued_on,
            valid_until=self.valid_until,
            status=self.status,
            data=MappingProxyType(dict(self.data)),
        )


class CertificateListJson(_Wire):
    items: list[CertificateJson]


class StatusEventJson(_Wire):
    """A webhook body; parsed only after its signature verified."""

    event_id: str = Field(alias="eventId", min_length=1)
    application_number: str = Field(alias="applicationNumber", min_length=1)
    status: ApplicationStatus
    previous_status: ApplicationStatus | None = Field(alias="previousStatus")
    at: AwareDatetime
    external_id: str = Field(alias="externalId")

    def to_domain(self) -> StatusChange:
        """The event as a domain object."""
        return StatusChange(
            event_id=self.event_id,
            application_number=self.application_number,
            status=self.status,
            previous=self.previous_status,
            at=_utc(self.at),
            external_id=self.external_id,
        )
