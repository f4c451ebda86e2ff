"""The ticket part of the graph: reserving timed entry, paying, cancelling, and QR codes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from mychangsha.auth.ticket_codes import EARLY_ENTRY
from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg
from mychangsha.integrations.payment import PayChannel as DomainPayChannel
from mychangsha.resolvers import tickets as resolvers
from mychangsha.resolvers.pagination import window
from mychangsha.resolvers.patients import NeedsVerification
from mychangsha.resolvers.tourism import AttractionByIdLoader
from mychangsha.schema.common import Info, page_info
from mychangsha.schema.identity import InvalidInput, UserError, VerificationRequired
from mychangsha.schema.localized import label_of
from mychangsha.schema.medical import PayChannel, PaymentOrder, PaymentUnavailable
from mychangsha.schema.mutation_limits import mutation
from mychangsha.schema.tourism import AttractionNode
from mychangsha.storage import tickets as storage
from mychangsha.storage.payments import PaymentOrder as DomainPaymentOrder


@strawberry.enum(description="Where a ticket order stands.")
class TicketStatus(enum.Enum):
    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@strawberry.type(description="One visitor's ticket: show its QR code at the gate.")
class Ticket:
    id: strawberry.ID
    visitor_id: relay.GlobalID = strawberry.field(description="The Citizen or FamilyMember.")
    visitor_name: str
    id_number_masked: str
    valid_from: datetime = strawberry.field(description="The gate opens 30 minutes early.")
    valid_until: datetime
    qr_payload: str | None = strawberry.field(
        description="Compact JWS for the QR code, verifiable offline with /.well-known/jwks.json "
        "(typ ticket+jws); null until the order is confirmed and after it is cancelled."
    )


@strawberry.type(name="TicketOrder", description="A reservation of one slot for your visitors.")
class TicketOrder(relay.Node):
    id: relay.NodeID[str]
    status: TicketStatus
    status_label: str = label_of("status", description="The status, in words.")
    ticket_name: str
    date: date
    start: str = strawberry.field(description="Local time HH:MM (Asia/Shanghai).")
    end: str
    unit_price_fen: int
    amount_fen: int
    pay_by: datetime | None = strawberry.field(
        description="Unpaid orders expire then and give their places back."
    )
    paid_at: datetime | None
    created_at: datetime
    _record: strawberry.Private[storage.TicketOrder]

    @classmethod
    def from_domain(cls, order: storage.TicketOrder) -> Self:
        """The graph's view of a stored order."""
        return cls(
            id=order.id,
            status=TicketStatus(order.status.value),
            ticket_name=order.ticket_name,
            date=date.fromisoformat(order.day),
            start=order.start,
            end=order.end,
            unit_price_fen=order.unit_price_fen,
            amount_fen=order.amount_fen,
            pay_by=order.pay_by,
            paid_at=order.paid_at,
            created_at=order.created_at,
            _record=order,
        )

    @strawberry.field
    async def attraction(self, info: Info) -> AttractionNode | None:
        found = await info.context.loader(AttractionByIdLoader).load(self._record.attraction_id)
        return None if found is None else AttractionNode.from_domain(found)

    @strawberry.field(description="One ticket per visitor.")
    async def tickets(self, info: Info) -> list[Ticket]:
        order = self._record
        attraction = await info.context.loader(AttractionByIdLoader).load(order.attraction_id)
        name = attraction.name if attraction is not None else order.attraction_id
        return [
            Ticket(
                id=strawberry.ID(holder.ticket_id),
                visitor_id=relay.GlobalID(
                    "Citizen" if holder.is_citizen else "FamilyMember", holder.person_id
                ),
                visitor_name=holder.name,
                id_number_masked=holder.id_number_masked,
                valid_from=order.starts_at - EARLY_ENTRY,
                valid_until=order.ends_at,
                qr_payload=await resolvers.qr_payload(info.context.services, order, holder, name),
            )
            for holder in order.holders
        ]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Your own orders only (NOT_FOUND otherwise)."""
        return [
            cls.from_domain(await resolvers.owned_order(info.context, node_id))
            for node_id in node_ids
        ]


@strawberry.type
class TicketOrderEdge:
    cursor: str
    node: TicketOrder


@strawberry.type(description="Your ticket orders, the latest slot first.")
class TicketOrderConnection:
    edges: list[TicketOrderEdge]
    page_info: relay.PageInfo


@strawberry.type(description="Not enough places left for every visitor.")
class QuotaExhausted(UserError):
    remaining: int = strawberry.field(description="Places still left in this slot.")


@strawberry.type(description="More visitors than one reservation may hold.")
class VisitorLimitExceeded(UserError):
    max_visitors: int


@strawberry.type(description="A visitor already holds a ticket for this attraction that day.")
class VisitorAlreadyBooked(UserError):
    visitor_names: list[str]


@strawberry.type(description="The slot is over, closed, or no longer offered.")
class TicketSlotUnavailable(UserError):
    pass


@strawberry.type(description="The slot has begun or the order expired.")
class TicketNotCancellable(UserError):
    pass


@strawberry.type(description="Nothing to pay: the order is free, paid, cancelled or expired.")
class TicketNothingToPay(UserError):
    pass


@strawberry.input(description="What to reserve, for whom; the key makes retries safe.")
class TicketReserveInput:
    attraction_id: relay.GlobalID
    slot_id: relay.GlobalID = strawberry.field(description="A TicketSlot id from ticketSlots.")
    visitor_ids: list[relay.GlobalID] = strawberry.field(
        description="Your Citizen id and/or your FamilyMember ids (real-name tickets), 1 to 5."
    )
    idempotency_key: str = strawberry.field(
        description="Generate once per reservation intent and resend it on every retry."
    )


TicketReserveResult = Annotated[
    TicketOrder
    | QuotaExhausted
    | VisitorLimitExceeded
    | VisitorAlreadyBooked
    | TicketSlotUnavailable
    | VerificationRequired
    | InvalidInput,
    strawberry.union("TicketReserveResult"),
]
TicketCancelResult = Annotated[
    TicketOrder | TicketNotCancellable, strawberry.union("TicketCancelResult")
]
TicketPayResult = Annotated[
    PaymentOrder | TicketNothingToPay | PaymentUnavailable, strawberry.union("TicketPayResult")
]


def _order_id(id: relay.GlobalID, field: str) -> str:
    if id.type_name != "TicketOrder":
        raise BadUserInput(msg("{field} must be a TicketOrder id.", field=field), field=field)
    return id.node_id


def _reserve_result(outcome: resolvers.ReserveOutcome) -> TicketReserveResult:
    if isinstance(outcome, storage.TicketOrder):
        return TicketOrder.from_domain(outcome)
    if isinstance(outcome, resolvers.NoPlaces):
        return QuotaExhausted(message="Not enough places left.", remaining=outcome.remaining)
    if isinstance(outcome, resolvers.TooManyVisitors):
        return VisitorLimitExceeded(
            message=msg("At most {n} visitors per reservation.", n=outcome.maximum),
            max_visitors=outcome.maximum,
        )
    if isinstance(outcome, resolvers.AlreadyHoldsTicket):
        return VisitorAlreadyBooked(
            message="A visitor already holds a ticket for this attraction that day.",
            visitor_names=list(outcome.names),
        )
    if isinstance(outcome, resolvers.SlotGone):
        return TicketSlotUnavailable(message="This slot is no longer offered.")
    return InvalidInput(message=outcome.message, field=outcome.field)


@strawberry.type
class TicketQuery:
    @strawberry.field(description="Your ticket orders, the latest slot first (signed in).")
    async def my_tickets(
        self,
        info: Info,
        status: TicketStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> TicketOrderConnection:
        page = window(first, after)
        statuses = None if status is None else [storage.TicketOrderStatus(status.value)]
        orders = await resolvers.my_ticket_orders(
            info.context, statuses=statuses, offset=page.offset, limit=page.fetch
        )
        edges = [
            TicketOrderEdge(cursor=page.cursor(i), node=TicketOrder.from_domain(order))
            for i, order in enumerate(orders[: page.first])
        ]
        return TicketOrderConnection(
            edges=edges,
            page_info=page_info(page, [e.cursor for e in edges], has_next=len(orders) > page.first),
        )


@strawberry.type
class TicketMutation:
    @mutation(description="Reserve timed entry for yourself and family (real-name, level 2).")
    async def ticket_reserve(
        self,
        info: Info,
        request: Annotated[TicketReserveInput, strawberry.argument(name="input")],
    ) -> TicketReserveResult:
        if (
            request.attraction_id.type_name != "Attraction"
            or not request.slot_id.node_id.startswith(request.attraction_id.node_id + "/")
        ):
            return InvalidInput(
                message="slotId is not a slot of this attraction.", field="input.slotId"
            )
        try:
            outcome = await resolvers.reserve(
                info.context,
                slot_id=request.slot_id,
                visitor_ids=request.visitor_ids,
                idempotency_key=request.idempotency_key,
            )
        except NeedsVerification:
            return VerificationRequired(message="Verify your real name first.", required_level=2)
        return _reserve_result(outcome)

    @mutation(description="Pay an order awaiting payment: returns what the payment SDK needs.")
    async def ticket_pay(
        self, info: Info, order_id: relay.GlobalID, channel: PayChannel
    ) -> TicketPayResult:
        outcome = await resolvers.pay(
            info.context, _order_id(order_id, "orderId"), DomainPayChannel(channel.value)
        )
        if isinstance(outcome, DomainPaymentOrder):
            return PaymentOrder.from_domain(outcome)
        if isinstance(outcome, resolvers.NothingToPay):
            return TicketNothingToPay(message="Nothing to pay for this order.")
        return PaymentUnavailable(message="Payments are not available right now.")

    @mutation(
        description="Cancel an order before its slot begins; a paid order is flagged for refund."
    )
    async def ticket_cancel(self, info: Info, id: relay.GlobalID) -> TicketCancelResult:
        outcome = await resolvers.cancel(info.context, _order_id(id, "id"))
        if isinstance(outcome, resolvers.NotCancellableNow):
            return TicketNotCancellable(message="This order can no longer be cancelled.")
        return TicketOrder.from_domain(outcome)
