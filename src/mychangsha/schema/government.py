"""The government-services part of the graph: catalogue, applications, status, certificates."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Iterable
from datetime import date, datetime
from typing import Annotated, Self, cast

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg
from mychangsha.integrations.government import models
from mychangsha.resolvers import certificates as certs
from mychangsha.resolvers import government as resolvers
from mychangsha.resolvers.pagination import window
from mychangsha.resolvers.patients import NeedsVerification
from mychangsha.schema.common import Info, page_info
from mychangsha.schema.identity import UserError, VerificationRequired
from mychangsha.schema.localized import label_of
from mychangsha.schema.mutation_limits import mutation
from mychangsha.storage.applications import ApplicationRecord
from mychangsha.storage.materials import IncomingMaterial, UploadedFile
from mychangsha.storage.search_terms import EmptyQuery


@strawberry.type(description="A document an applicant uploads.")
class Material:
    name: str
    required: bool
    accepted_types: list[str]
    description: str


@strawberry.type(description="One entry of an application form; `name` is its key in fields.")
class FormField:
    name: str
    label: str
    type: str = strawberry.field(description="text, date, number or select.")
    required: bool
    options: list[str] | None


def _materials(items: Iterable[models.Material]) -> list[Material]:
    return [
        Material(
            name=m.name,
            required=m.required,
            accepted_types=list(m.accepted_types),
            description=m.description,
        )
        for m in items
    ]


def _fields(items: Iterable[models.FormField]) -> list[FormField]:
    return [
        FormField(
            name=f.name,
            label=f.label,
            type=f.type,
            required=f.required,
            options=None if f.options is None else list(f.options),
        )
        for f in items
    ]


@strawberry.type(description="A government service (政务服务事项).")
class GovService(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    department: str
    life_events: list[str]
    materials: list[Material]
    form_fields: list[FormField]
    time_limit_days: int = strawberry.field(description="Promised days (0: on the spot).")
    fee_fen: int
    fully_online: bool

    @classmethod
    def from_domain(cls, service: models.GovService) -> Self:
        """The graph's view of a mirrored service."""
        return cls(
            id=service.code,
            code=service.code,
            name=service.name,
            department=service.department,
            life_events=list(service.life_events),
            materials=_materials(service.materials),
            form_fields=_fields(service.form_fields),
            time_limit_days=service.time_limit_days,
            fee_fen=service.fee_fen,
            fully_online=service.fully_online,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Services from the mirror."""
        ids = list(node_ids)
        found = await info.context.services.gov_services.by_codes(ids)
        return [None if found.get(i) is None else cls.from_domain(found[i]) for i in ids]


@strawberry.type(description="A 一件事 bundle: one application, several departments' services.")
class GovBundle(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    description: str
    life_event: str
    departments: list[str]
    materials: list[Material]
    form_fields: list[FormField]
    time_limit_days: int
    fee_fen: int
    _service_codes: strawberry.Private[tuple[str, ...]]

    @classmethod
    def from_domain(cls, bundle: models.GovBundle) -> Self:
        """The graph's view of a mirrored bundle."""
        return cls(
            id=bundle.code,
            code=bundle.code,
            name=bundle.name,
            description=bundle.description,
            life_event=bundle.life_event,
            departments=list(bundle.departments),
            materials=_materials(bundle.materials),
            form_fields=_fields(bundle.form_fields),
            time_limit_days=bundle.time_limit_days,
            fee_fen=bundle.fee_fen,
            _service_codes=bundle.service_codes,
        )

    @strawberry.field(description="The services the bundle combines.")
    async def services(self, info: Info) -> list[GovService]:
        found = await info.context.services.gov_services.by_codes(list(self._service_codes))
        return [GovService.from_domain(found[c]) for c in self._service_codes if c in found]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Bundles from the mirror."""
        ids = list(node_ids)
        found = await info.context.services.gov_services.bundle_by_codes(ids)
        return [None if found.get(i) is None else cls.from_domain(found[i]) for i in ids]


@strawberry.type(description="A life event the catalogue is browsed by.")
class LifeEvent:
    id: str
    name: str
    service_count: int
    bundle_count: int


GovCatalogueItem = Annotated[GovService | GovBundle, strawberry.union("GovCatalogueItem")]


@strawberry.type
class GovServiceEdge:
    cursor: str
    node: GovCatalogueItem


@strawberry.type(description="Services and 一件事 bundles, best match first with a keyword.")
class GovServiceConnection:
    edges: list[GovServiceEdge]
    page_info: relay.PageInfo


# --- applications -----------------------------------------------------------------------------


@strawberry.enum(description="Where an application stands at the platform.")
class ApplicationStatus(enum.Enum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    NEEDS_SUPPLEMENT = "needs_supplement"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"


@strawberry.type(description="One step of an application's timeline.")
class ApplicationStep:
    status: ApplicationStatus
    status_label: str = label_of("status", description="The status, in words.")
    at: datetime
    note: str | None


@strawberry.type(description="An application (办件) you made.")
class Application(relay.Node):
    id: relay.NodeID[str]
    number: str | None = strawberry.field(description="The platform's 办件编号.")
    title: str
    status: ApplicationStatus
    status_label: str = label_of("status", description="The status, in words.")
    timeline: list[ApplicationStep]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, record: ApplicationRecord) -> Self:
        """The graph's view of our record of an application."""
        return cls(
            id=record.id,
            number=record.number,
            title=record.title,
            status=ApplicationStatus(record.status),
            timeline=[
                ApplicationStep(status=ApplicationStatus(e.status), at=e.at, note=e.note)
                for e in record.timeline
            ],
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    @strawberry.field(description="What the reviewer asked for, while it needs a supplement.")
    async def requested_materials(self, info: Info) -> list[str]:
        if self.status is not ApplicationStatus.NEEDS_SUPPLEMENT or self.number is None:
            return []
        live = await info.context.services.government.application(self.number)
        return list(live.requested_materials)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Your own applications only (FORBIDDEN otherwise); audited."""
        return [
            cls.from_domain(await resolvers.owned_application(info.context, node_id))
            for node_id in node_ids
        ]


@strawberry.type
class ApplicationEdge:
    cursor: str
    node: Application


@strawberry.type(description="Your applications, most recently changed first.")
class ApplicationConnection:
    edges: list[ApplicationEdge]
    page_info: relay.PageInfo


@strawberry.input(description="One uploaded file for one named material of the service.")
class MaterialInput:
    name: str
    file: Upload


@strawberry.input(description="One form field's value.")
class FieldInput:
    name: str
    value: str


@strawberry.input(description="Apply for a service or a 一件事 bundle (exactly one).")
class ApplicationSubmitInput:
    service_id: relay.GlobalID | None = None
    bundle_id: relay.GlobalID | None = None
    patient_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Apply for a family member you may act for (e.g. a newborn)."
    )
    fields: list[FieldInput]
    materials: list[MaterialInput]


@strawberry.type(description="Required materials are missing.")
class MissingMaterials(UserError):
    names: list[str]


@strawberry.type(description="A form field is missing or malformed.")
class InvalidField(UserError):
    field: str


@strawberry.type(description="A file was refused (type judged by content, size, count).")
class MaterialRejected(UserError):
    material_name: str


@strawberry.type(description="The application is not waiting for materials.")
class SupplementNotExpected(UserError):
    pass


ApplicationSubmitResult = Annotated[
    Application | MissingMaterials | InvalidField | MaterialRejected | VerificationRequired,
    strawberry.union("ApplicationSubmitResult"),
]
ApplicationSupplementResult = Annotated[
    Application | MaterialRejected | SupplementNotExpected,
    strawberry.union("ApplicationSupplementResult"),
]


@strawberry.type(description="An application of yours changed status.")
class ApplicationStatusChange:
    application_id: relay.GlobalID
    number: str | None
    status: ApplicationStatus
    status_label: str = label_of("status", description="The new status, in words.")
    previous_status: ApplicationStatus | None
    at: datetime


@strawberry.type(description="An e-certificate (电子证照) with an offline-verifiable QR payload.")
class Certificate:
    id: str
    type: str
    number: str
    holder_name: str
    issuer: str
    issued_on: date
    valid_until: date | None
    qr_payload: str = strawberry.field(
        description="Compact JWS (typ cert+jws), verifiable with /.well-known/jwks.json."
    )
    download_url: str = strawberry.field(description="The PDF; the link works for 5 minutes.")


def _incoming(materials: list[MaterialInput]) -> list[IncomingMaterial]:
    # Over HTTP strawberry hands over starlette's UploadFile, which reads asynchronously.
    return [IncomingMaterial(m.name, cast(UploadedFile, m.file)) for m in materials]


def _code(global_id: relay.GlobalID | None, type_name: str) -> str | None:
    if global_id is None:
        return None
    if global_id.type_name != type_name:
        raise BadUserInput(msg("Not a {type} id.", type=type_name))
    return global_id.node_id


def _item(hit: models.GovService | models.GovBundle) -> GovService | GovBundle:
    if isinstance(hit, models.GovBundle):
        return GovBundle.from_domain(hit)
    return GovService.from_domain(hit)


@strawberry.type
class GovernmentQuery:
    @strawberry.field(description="Life events the catalogue is browsed by.")
    async def life_events(self, info: Info) -> list[LifeEvent]:
        found = await info.context.services.gov_services.life_events()
        return [
            LifeEvent(
                id=e.id, name=e.name, service_count=e.service_count, bundle_count=e.bundle_count
            )
            for e in found
        ]

    @strawberry.field(
        description="Services and bundles by life event, department and keyword (Chinese, "
        "pinyin or initials: 社保, shebao, sb)."
    )
    async def gov_services(
        self,
        info: Info,
        life_event: str | None = None,
        department: str | None = None,
        keyword: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> GovServiceConnection:
        page = window(first, after)
        if keyword is not None and len(keyword) > 50:
            raise BadUserInput("keyword is longer than 50", field="keyword")
        try:
            hits = await info.context.services.gov_services.search(
                life_event=life_event,
                department=department,
                keyword=keyword.strip() if keyword and keyword.strip() else None,
                offset=page.offset,
                limit=page.fetch,
            )
        except EmptyQuery as exc:
            raise BadUserInput("keyword has no searchable characters", field="keyword") from exc
        edges = [
            GovServiceEdge(cursor=page.cursor(i), node=_item(hit))
            for i, hit in enumerate(hits[: page.first])
        ]
        return GovServiceConnection(
            edges=edges,
            page_info=page_info(page, [e.cursor for e in edges], has_next=len(hits) > page.first),
        )

    @strawberry.field(description="一件事 bundles, optionally of one life event.")
    async def gov_bundles(self, info: Info, life_event: str | None = None) -> list[GovBundle]:
        found = await info.context.services.gov_services.bundles()
        return [
            GovBundle.from_domain(b)
            for b in found
            if life_event is None or b.life_event == life_event
        ]

    @strawberry.field(description="One bundle by its global ID.")
    async def gov_bundle(self, info: Info, id: relay.GlobalID) -> GovBundle | None:
        code = _code(id, "GovBundle") or ""
        found = (await info.context.services.gov_services.bundle_by_codes([code])).get(code)
        return None if found is None else GovBundle.from_domain(found)

    @strawberry.field(description="One service by its global ID.")
    async def gov_service(self, info: Info, id: relay.GlobalID) -> GovService | None:
        code = _code(id, "GovService") or ""
        found = (await info.context.services.gov_services.by_codes([code])).get(code)
        return None if found is None else GovService.from_domain(found)

    @strawberry.field(description="Your applications, most recently changed first.")
    async def my_applications(
        self,
        info: Info,
        status: ApplicationStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ApplicationConnection:
        page = window(first, after)
        records = await resolvers.my_applications(
            info.context,
            status=None if status is None else status.value,
            offset=page.offset,
            limit=page.fetch,
        )
        edges = [
            ApplicationEdge(cursor=page.cursor(i), node=Application.from_domain(r))
            for i, r in enumerate(records[: page.first])
        ]
        return ApplicationConnection(
            edges=edges,
            page_info=page_info(
                page, [e.cursor for e in edges], has_next=len(records) > page.first
            ),
        )

    @strawberry.field(description="One of your applications (audited).")
    async def application(self, info: Info, id: relay.GlobalID) -> Application:
        node_id = _code(id, "Application") or ""
        return Application.from_domain(await resolvers.owned_application(info.context, node_id))

    @strawberry.field(description="Your e-certificates (level 2).")
    async def my_certificates(self, info: Info) -> list[Certificate]:
        found = await certs.my_certificates(info.context)
        return [
            Certificate(
                id=s.certificate.id,
                type=s.certificate.type,
                number=s.certificate.number,
                holder_name=s.certificate.holder_name,
                issuer=s.certificate.issuer,
                issued_on=s.certificate.issued_on,
                valid_until=s.certificate.valid_until,
                qr_payload=s.qr_payload,
                download_url=s.download_url,
            )
            for s in found
        ]


@strawberry.type
class GovernmentMutation:
    @mutation(description="Apply, with the form fields and the materials' files (multipart).")
    async def application_submit(
        self,
        info: Info,
        request: Annotated[ApplicationSubmitInput, strawberry.argument(name="input")],
    ) -> ApplicationSubmitResult:
        try:
            outcome = await resolvers.submit(
                info.context,
                service_code=_code(request.service_id, "GovService"),
                bundle_code=_code(request.bundle_id, "GovBundle"),
                patient_id=request.patient_id,
                fields={f.name: f.value for f in request.fields},
                materials=_incoming(request.materials),
            )
        except NeedsVerification:
            return VerificationRequired(message="Verify your real name first.", required_level=2)
        if isinstance(outcome, ApplicationRecord):
            return Application.from_domain(outcome)
        if isinstance(outcome, resolvers.Missing):
            return MissingMaterials(message="Required materials are missing.", names=outcome.names)
        if isinstance(outcome, resolvers.BadField):
            return InvalidField(message=outcome.message, field=outcome.field)
        return MaterialRejected(message=outcome.reason, material_name=outcome.material_name)

    @mutation(description="Send the materials a reviewer asked for.")
    async def application_supplement(
        self, info: Info, id: relay.GlobalID, materials: list[MaterialInput]
    ) -> ApplicationSupplementResult:
        outcome = await resolvers.supplement(
            info.context, _code(id, "Application") or "", _incoming(materials)
        )
        if isinstance(outcome, ApplicationRecord):
            return Application.from_domain(outcome)
        if isinstance(outcome, resolvers.BadMaterial):
            return MaterialRejected(message=outcome.reason, material_name=outcome.material_name)
        return SupplementNotExpected(message="This application is not waiting for materials.")


@strawberry.type
class GovernmentSubscription:
    @strawberry.subscription(description="Your applications' status changes, live.")
    async def application_status_changed(
        self, info: Info
    ) -> AsyncGenerator[ApplicationStatusChange, None]:
        async for event in resolvers.status_changes(info.context):
            previous = event.get("previousStatus")
            yield ApplicationStatusChange(
                application_id=relay.GlobalID("Application", str(event["applicationId"])),
                number=None if event.get("number") is None else str(event["number"]),
                status=ApplicationStatus(str(event["status"])),
                previous_status=None if previous is None else ApplicationStatus(str(previous)),
                at=resolvers.parse_time(event["at"]),
            )
