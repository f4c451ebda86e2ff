"""Medical records and bills: reports with observations, the access log, bills and paying them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Self, cast

import strawberry
from strawberry import relay

from mychangsha.integrations.hospital import models
from mychangsha.integrations.payment import PayChannel as DomainPayChannel
from mychangsha.resolvers import billing, medical
from mychangsha.resolvers.hospital_ids import HospitalRef, ref, ref_of
from mychangsha.resolvers.pagination import window
from mychangsha.schema.common import Info, page_info
from mychangsha.schema.identity import UserError
from mychangsha.schema.localized import label_of
from mychangsha.schema.mutation_limits import mutation
from mychangsha.storage.audit import DataAccess
from mychangsha.storage.payments import PaymentOrder as DomainPaymentOrder


@strawberry.type(description="One measured value of a lab panel.")
class Observation:
    name: str
    value: float | None
    value_text: str | None
    unit: str | None
    reference_low: float | None
    reference_high: float | None
    flag: str | None = strawberry.field(description="H above, L below, N within the range.")


@strawberry.enum(description="Lab results or imaging.")
class ReportCategory(enum.Enum):
    LAB = "LAB"
    IMAGING = "RAD"


@strawberry.type(description="A lab or imaging report. Every read is written to the access log.")
class Report(relay.Node):
    id: relay.NodeID[str]
    category: ReportCategory
    category_label: str = label_of("category", description="Lab or imaging, in words.")
    name: str
    status: str
    effective: datetime | None
    issued: datetime | None
    conclusion: str | None
    observations: list[Observation]
    hospital_code: str

    @classmethod
    def from_domain(cls, report: models.Report) -> Self:
        """The graph's view of a DiagnosticReport with its Observations."""
        return cls(
            id=HospitalRef(report.hospital_code, report.id).node_id,
            category=ReportCategory(report.category.value),
            name=report.name,
            status=report.status,
            effective=report.effective,
            issued=report.issued,
            conclusion=report.conclusion,
            observations=[
                Observation(
                    name=o.name,
                    value=o.value,
                    value_text=o.value_text,
                    unit=o.unit,
                    reference_low=o.reference_low,
                    reference_high=o.reference_high,
                    flag=o.flag,
                )
                for o in report.observations
            ],
            hospital_code=report.hospital_code,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Level 2, the caller's or a family member's they may act for; audited."""
        return [
            cls.from_domain(await medical.report(info.context, ref(node_id)))
            for node_id in node_ids
        ]


@strawberry.type(description="A page of reports, newest first.")
class ReportEdge:
    cursor: str
    node: Report


@strawberry.type(description="A patient's reports across hospitals, newest first.")
class ReportConnection:
    edges: list[ReportEdge]
    page_info: relay.PageInfo
    total_count: int


@strawberry.type(description="Someone read medical data of you or your family.")
class DataAccessEntry:
    actor_is_you: bool
    subject_id: relay.GlobalID = strawberry.field(
        description="Whose data: your Citizen id or a FamilyMember id."
    )
    resource: str
    resource_id: relay.GlobalID | None = strawberry.field(
        description="The record read; null when a whole list was read."
    )
    action: str = strawberry.field(description="read (one record) or list.")
    at: datetime
    request_id: str | None


@strawberry.type
class DataAccessEdge:
    cursor: str
    node: DataAccessEntry


@strawberry.type(description="Reads of your and your family's medical data, newest first.")
class DataAccessConnection:
    edges: list[DataAccessEdge]
    page_info: relay.PageInfo


@strawberry.type(description="One charge on a bill.")
class BillLine:
    description: str
    amount_fen: int


@strawberry.enum(description="Whether a bill is still to pay.")
class BillStatus(enum.Enum):
    UNPAID = "issued"
    PAID = "balanced"
    CANCELLED = "cancelled"


@strawberry.type(description="A hospital bill.")
class Bill(relay.Node):
    id: relay.NodeID[str]
    hospital_code: str
    number: str | None
    status: BillStatus
    status_label: str = label_of("status", description="The status, in words.")
    total_fen: int
    issued: datetime | None
    lines: list[BillLine]

    @classmethod
    def from_domain(cls, bill: models.Bill) -> Self:
        """The graph's view of an Invoice."""
        return cls(
            id=HospitalRef(bill.hospital_code, bill.id).node_id,
            hospital_code=bill.hospital_code,
            number=bill.number,
            status=BillStatus(bill.status.value),
            total_fen=bill.total_fen,
            issued=bill.issued,
            lines=[
                BillLine(description=x.description, amount_fen=x.amount_fen) for x in bill.lines
            ],
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """The caller's or their family's bills only (NOT_FOUND otherwise), live."""
        return [
            cls.from_domain(await billing.owned_bill(info.context, ref(node_id)))
            for node_id in node_ids
        ]


@strawberry.enum(description="How the citizen pays.")
class PayChannel(enum.Enum):
    WECHAT = "WECHAT"
    ALIPAY = "ALIPAY"


@strawberry.type(description="Hand payParams to the payment SDK; the bill turns paid on its own.")
class PaymentOrder:
    id: str
    amount_fen: int
    pay_params: strawberry.scalars.JSON

    @classmethod
    def from_domain(cls, order: DomainPaymentOrder) -> Self:
        """The order with its SDK parameters."""
        params = cast(strawberry.scalars.JSON, dict(order.pay_params or {}))
        return cls(id=order.id, amount_fen=order.amount_fen, pay_params=params)


@strawberry.type(description="The bill is already paid.")
class BillAlreadyPaid(UserError):
    pass


@strawberry.type(description="The hospital cancelled this bill.")
class BillNotPayable(UserError):
    pass


@strawberry.type(description="Payments are not available right now.")
class PaymentUnavailable(UserError):
    pass


BillPayResult = Annotated[
    PaymentOrder | BillAlreadyPaid | BillNotPayable | PaymentUnavailable,
    strawberry.union("BillPayResult"),
]


@strawberry.type
class MedicalQuery:
    @strawberry.field(description="A patient's reports, newest first (level 2; audited).")
    async def my_reports(
        self, info: Info, patient_id: relay.GlobalID, first: int = 20, after: str | None = None
    ) -> ReportConnection:
        page = window(first, after)
        reports = await medical.reports_of(info.context, patient_id)
        rows = reports[page.offset : page.offset + page.fetch]
        edges = [
            ReportEdge(cursor=page.cursor(i), node=Report.from_domain(r))
            for i, r in enumerate(rows[: page.first])
        ]
        return ReportConnection(
            edges=edges,
            page_info=page_info(page, [e.cursor for e in edges], has_next=len(rows) > page.first),
            total_count=len(reports),
        )

    @strawberry.field(description="One report (level 2; audited).")
    async def report(self, info: Info, id: relay.GlobalID) -> Report:
        target = ref_of(id, "Report", field="id")
        return Report.from_domain(await medical.report(info.context, target))

    @strawberry.field(description="Your and your family's bills at every hospital (level 2).")
    async def my_bills(self, info: Info, status: BillStatus | None = None) -> list[Bill]:
        bills = await billing.my_bills(
            info.context, status=None if status is None else models.BillStatus(status.value)
        )
        return [Bill.from_domain(b) for b in bills]


@strawberry.type
class MedicalMutation:
    @mutation(description="Pay a bill: returns what the app's payment SDK needs.")
    async def bill_pay(
        self, info: Info, bill_id: relay.GlobalID, channel: PayChannel
    ) -> BillPayResult:
        target = ref_of(bill_id, "Bill", field="billId")
        outcome = await billing.pay(info.context, target, DomainPayChannel(channel.value))
        if isinstance(outcome, DomainPaymentOrder):
            return PaymentOrder.from_domain(outcome)
        if isinstance(outcome, billing.AlreadyPaid):
            return BillAlreadyPaid(message="This bill is already paid.")
        if isinstance(outcome, billing.NotPayable):
            return BillNotPayable(message="The hospital cancelled this bill.")
        return PaymentUnavailable(message="Payments are not available right now.")


def _access_entry(entry: DataAccess, citizen_id: str) -> DataAccessEntry:
    resource_type = "Report" if entry.resource == medical.REPORT else entry.resource
    return DataAccessEntry(
        actor_is_you=entry.actor_citizen_id == citizen_id,
        subject_id=relay.GlobalID(entry.subject_type, entry.subject_id),
        resource=resource_type,
        resource_id=None
        if entry.resource_id == "*"
        else relay.GlobalID(resource_type, entry.resource_id),
        action=entry.action,
        at=entry.at,
        request_id=entry.request_id,
    )


async def data_access_log(
    info: Info, citizen_id: str, first: int, after: str | None
) -> DataAccessConnection:
    """`me.dataAccessLog`: who read the citizen's (and family's) medical data."""
    page = window(first, after)
    entries = await medical.access_log(info.context, offset=page.offset, limit=page.fetch)
    edges = [
        DataAccessEdge(cursor=page.cursor(i), node=_access_entry(e, citizen_id))
        for i, e in enumerate(entries[: page.first])
    ]
    return DataAccessConnection(
        edges=edges,
        page_info=page_info(page, [e.cursor for e in edges], has_next=len(entries) > page.first),
    )
