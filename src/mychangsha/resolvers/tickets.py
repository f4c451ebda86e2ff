"""What the ticket fields mean: entry slots, real-name reservations, payment, cancellation.

The tourism platform owns the places: it takes them for all visitors at once or refuses,
so no count here can oversell. The graph keeps which reservation is whose (keyed by the
citizen's idempotency key, so retries and racing duplicates end in one order), charges paid
tickets through the shared payment flow, and signs each confirmed ticket's QR code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from strawberry import relay

from mychangsha.auth.ticket_codes import EARLY_ENTRY, TicketCode, mask_name, sign_ticket
from mychangsha.context import Context
from mychangsha.errors import BadUserInput, NotFound
from mychangsha.i18n import msg
from mychangsha.integrations.errors import UpstreamNotFound
from mychangsha.integrations.payment import PayChannel
from mychangsha.integrations.tourism.reservation_models import (
    IdempotencyKeyReused,
    InvalidVisitors,
    NotCancellable,
    NotPayable,
    QuotaExhausted,
    Reservation,
    ReservationStatus,
    SlotNotBookable,
    TicketSlot,
    VisitorAlreadyBooked,
    VisitorIdentity,
)
from mychangsha.platform.clock import CHANGSHA, today_in_changsha, utc_now
from mychangsha.resolvers.idempotency import KEY_RULE, is_valid_key, upstream_key
from mychangsha.resolvers.identity import (
    FamilyMemberByIdLoader,
    current_citizen,
)
from mychangsha.resolvers.patients import NeedsVerification
from mychangsha.resolvers.payment_orders import Charge, PaymentsOff, close_payment, start_payment
from mychangsha.services import Services
from mychangsha.storage.citizens import CitizenRecord
from mychangsha.storage.payments import PaymentKind, PaymentOrder, PaymentSubject
from mychangsha.storage.tickets import (
    TicketHolder,
    TicketOrder,
    TicketOrderStatus,
    new_order_id,
)

BOOKING_DAYS_AHEAD: Final = 6  # today and the six days after it, as the platform publishes
MAX_VISITORS: Final = 5  # per reservation, the platform's rule
TOURISM: Final = "tourism"


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoPlaces:
    """Not enough places left in the slot (or the day) for every visitor."""

    remaining: int


@dataclass(frozen=True)
class TooManyVisitors:
    """More visitors than one reservation may hold."""

    maximum: int


@dataclass(frozen=True)
class AlreadyHoldsTicket:
    """Visitors who already hold a ticket of this attraction that day."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class SlotGone:
    """The slot is over, closed, or outside the booking window."""


@dataclass(frozen=True)
class Invalid:
    """An argument is malformed."""

    field: str
    message: str


@dataclass(frozen=True)
class NotCancellableNow:
    """The slot has begun, or the order expired."""


@dataclass(frozen=True)
class NothingToPay:
    """The order is free, paid, cancelled or expired."""


ReserveOutcome = TicketOrder | NoPlaces | TooManyVisitors | AlreadyHoldsTicket | SlotGone | Invalid


# --- slots ------------------------------------------------------------------------------------


def slot_node_id(slot: TicketSlot) -> str:
    """A slot's node id: the attraction, then the platform's slot id."""
    return f"{slot.attraction_id}/{slot.id}"


def _slot_ref(slot_id: relay.GlobalID) -> tuple[str, str]:
    attraction_id, _, platform_id = slot_id.node_id.partition("/")
    if slot_id.type_name != "TicketSlot" or not attraction_id or not platform_id:
        raise BadUserInput("slotId must be a TicketSlot id.", field="input.slotId")
    return attraction_id, platform_id


def local_moment(day: date | str, at: time | str) -> datetime:
    """A local day and time of day as an aware datetime."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    at = time.fromisoformat(at) if isinstance(at, str) else at
    return datetime.combine(day, at, tzinfo=CHANGSHA)


async def ticket_slots(services: Services, attraction_id: str, day: date) -> list[TicketSlot]:
    """The entry slots of an attraction on a day of the booking window."""
    today = today_in_changsha()
    if not today <= day <= today + timedelta(days=BOOKING_DAYS_AHEAD):
        raise BadUserInput(
            msg("date must be from today to {n} days ahead.", n=BOOKING_DAYS_AHEAD), field="date"
        )
    try:
        return await services.reservations.slots(attraction_id, day)
    except SlotNotBookable as exc:
        raise BadUserInput(exc.message, field="date") from exc
    except UpstreamNotFound:
        return []  # the platform no longer has this attraction: nothing to book


# --- reserving --------------------------------------------------------------------------------


async def _visitors(
    context: Context, citizen: CitizenRecord, visitor_ids: Sequence[relay.GlobalID]
) -> list[tuple[VisitorIdentity, bool]] | Invalid:
    """Each visitor's real name and ID number: the caller, or members of the caller's family."""
    found: list[tuple[VisitorIdentity, bool]] = []
    for visitor_id in visitor_ids:
        if visitor_id.type_name == "Citizen" and visitor_id.node_id == citizen.id:
            found.append(
                (VisitorIdentity(citizen.id, citizen.name or "", citizen.id_number or ""), True)
            )
            continue
        member = None
        if visitor_id.type_name == "FamilyMember":
            member = await context.loader(FamilyMemberByIdLoader).load(visitor_id.node_id)
        if member is None or member.owner_id != citizen.id:
            return Invalid("input.visitorIds", "Visitors must be you or your family members.")
        found.append((VisitorIdentity(member.id, member.name, member.id_number), False))
    return found


def _request_hash(slot_id: str, visitor_ids: Sequence[str]) -> str:
    """What a reservation asked for, to tell a retry from a different request with one key."""
    text = slot_id + "|" + ",".join(sorted(visitor_ids))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_reserve_input(
    visitor_ids: Sequence[relay.GlobalID], idempotency_key: str
) -> ReserveOutcome | None:
    if not is_valid_key(idempotency_key):
        return Invalid("input.idempotencyKey", KEY_RULE)
    if not visitor_ids:
        return Invalid("input.visitorIds", "Name at least one visitor.")
    if len(visitor_ids) > MAX_VISITORS:
        return TooManyVisitors(MAX_VISITORS)
    if len({str(v) for v in visitor_ids}) != len(visitor_ids):
        return Invalid("input.visitorIds", "Each visitor may be named once.")
    return None


async def reserve(
    context: Context,
    *,
    slot_id: relay.GlobalID,
    visitor_ids: Sequence[relay.GlobalID],
    idempotency_key: str,
) -> ReserveOutcome:
    """Reserve a slot for the caller and/or family (level 2: tickets are real-name)."""
    attraction_id, platform_slot = _slot_ref(slot_id)
    if (invalid := _check_reserve_input(visitor_ids, idempotency_key)) is not None:
        return invalid
    citizen = await current_citizen(context)
    if citizen.verification_level < 2:
        raise NeedsVerification
    services = context.services
    request_hash = _request_hash(str(slot_id), [str(v) for v in visitor_ids])
    existing = await services.tickets.by_key(citizen.id, idempotency_key)
    if existing is not None:
        if existing.request_hash != request_hash:
            return Invalid("input.idempotencyKey", "This key was used for another reservation.")
        return existing
    visitors = await _visitors(context, citizen, visitor_ids)
    if isinstance(visitors, Invalid):
        return visitors
    try:
        reservation = await services.reservations.reserve(
            platform_slot,
            [identity for identity, _ in visitors],
            idempotency_key=upstream_key(citizen.id, idempotency_key),
        )
    except QuotaExhausted as exc:
        return NoPlaces(exc.remaining)
    except VisitorAlreadyBooked as exc:
        names = {identity.ref: identity.name for identity, _ in visitors}
        return AlreadyHoldsTicket(tuple(names.get(ref, ref) for ref in exc.refs))
    except SlotNotBookable:
        return SlotGone()
    except InvalidVisitors as exc:
        return Invalid("input.visitorIds", exc.message)
    except IdempotencyKeyReused:
        return Invalid("input.idempotencyKey", "This key was used for another reservation.")
    if reservation.attraction_id != attraction_id:
        raise BadUserInput("slotId must be a TicketSlot id.", field="input.slotId")
    is_citizen = {identity.ref: mine for identity, mine in visitors}
    order = _order_of(reservation, citizen.id, idempotency_key, request_hash, is_citizen)
    stored = await services.tickets.record(order)
    await services.reservations.forget_slots(reservation.attraction_id, reservation.day)
    return stored


def _order_of(
    reservation: Reservation,
    citizen_id: str,
    idempotency_key: str,
    request_hash: str,
    is_citizen: dict[str, bool],
) -> TicketOrder:
    return TicketOrder(
        id=new_order_id(),
        citizen_id=citizen_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        reservation_id=reservation.id,
        attraction_id=reservation.attraction_id,
        slot_id=reservation.slot_id,
        ticket_type_id=reservation.ticket_type_id,
        ticket_name=reservation.ticket_name,
        day=reservation.day.isoformat(),
        start=reservation.start.strftime("%H:%M"),
        end=reservation.end.strftime("%H:%M"),
        starts_at=local_moment(reservation.day, reservation.start),
        ends_at=local_moment(reservation.day, reservation.end),
        holders=tuple(
            TicketHolder(
                ticket_id=v.ticket_id,
                person_id=v.ref,
                is_citizen=is_citizen.get(v.ref, False),
                name=v.name,
                id_number_masked=v.id_number_masked,
            )
            for v in reservation.visitors
        ),
        unit_price_fen=reservation.unit_price_fen,
        amount_fen=reservation.amount_fen,
        status=TicketOrderStatus(reservation.status.value),
        pay_by=reservation.pay_by,
        paid_at=reservation.paid_at,
        created_at=utc_now(),
    )


# --- reading ----------------------------------------------------------------------------------


async def owned_order(context: Context, order_id: str) -> TicketOrder:
    """One of the caller's orders (overdue payment applied); NOT_FOUND for anyone else's."""
    citizen = await current_citizen(context)
    order = await context.services.tickets.get(order_id)
    if order is None or order.citizen_id != citizen.id:
        raise NotFound("No such ticket order.")
    await expire_overdue(context.services, citizen.id)
    return await context.services.tickets.get(order_id) or order


async def my_ticket_orders(
    context: Context,
    *,
    statuses: Sequence[TicketOrderStatus] | None,
    offset: int,
    limit: int,
) -> list[TicketOrder]:
    """The caller's orders, the latest slot first."""
    citizen = await current_citizen(context)
    await expire_overdue(context.services, citizen.id)
    return await context.services.tickets.page_of(
        citizen.id, statuses=statuses, offset=offset, limit=limit
    )


async def expire_overdue(services: Services, citizen_id: str) -> None:
    """Unpaid orders past their deadline: expired here, their payment closed, places freed."""
    for order in await services.tickets.overdue(citizen_id, utc_now()):
        payment = await services.payments.open_order_for(ticket_subject(order.id))
        if payment is not None:
            await close_payment(services, payment)
        if await services.tickets.move(order.id, TicketOrderStatus.EXPIRED) is not None:
            await services.reservations.forget_slots(
                order.attraction_id, date.fromisoformat(order.day)
            )


async def qr_payload(
    services: Services, order: TicketOrder, holder: TicketHolder, attraction_name: str
) -> str | None:
    """A confirmed ticket's signed code; None until paid, and once cancelled or expired."""
    if order.status is not TicketOrderStatus.CONFIRMED:
        return None
    code = TicketCode(
        ticket_id=holder.ticket_id,
        reservation_id=order.reservation_id,
        attraction_id=order.attraction_id,
        attraction_name=attraction_name,
        slot_id=order.slot_id,
        ticket_name=order.ticket_name,
        valid_from=order.starts_at - EARLY_ENTRY,
        valid_until=order.ends_at,
        visitor_name_masked=mask_name(holder.name),
        id_number_masked=holder.id_number_masked,
    )
    return await sign_ticket(services.identity.keys, code)


# --- paying and cancelling --------------------------------------------------------------------


def ticket_subject(order_id: str) -> PaymentSubject:
    """A ticket order as a payable item."""
    return PaymentSubject(PaymentKind.TICKET_ORDER, TOURISM, order_id)


async def pay(
    context: Context, order_id: str, channel: PayChannel
) -> PaymentOrder | NothingToPay | PaymentsOff:
    """Open (or reuse) the order's payment and return what the app's SDK needs."""
    order = await owned_order(context, order_id)
    if order.status is not TicketOrderStatus.AWAITING_PAYMENT or order.amount_fen == 0:
        return NothingToPay()
    charge = Charge(
        citizen_id=order.citizen_id,
        subject=ticket_subject(order.id),
        amount_fen=order.amount_fen,
        description=f"{order.ticket_name} {order.day} {order.start}",
        expires_at=order.pay_by,
    )
    return await start_payment(context.services, charge, channel)


async def fulfil_ticket_order(services: Services, payment: PaymentOrder) -> bool:
    """Tell the platform the tickets are paid; False when the reservation is gone."""
    order = await services.tickets.get(payment.subject.item_id)
    if order is None:
        return False
    try:
        reservation = await services.reservations.confirm_payment(
            order.reservation_id,
            transaction_id=payment.transaction_id or payment.id,
            amount_fen=payment.amount_fen,
        )
    except NotPayable:
        return False
    if reservation.status is not ReservationStatus.CONFIRMED:
        return False
    await services.tickets.move(order.id, TicketOrderStatus.CONFIRMED, paid_at=payment.paid_at)
    return True


async def cancel(context: Context, order_id: str) -> TicketOrder | NotCancellableNow:
    """Give the places back before the slot begins; a paid order's money is due back."""
    order = await owned_order(context, order_id)
    if order.status is TicketOrderStatus.CANCELLED:
        return order
    if order.status is TicketOrderStatus.EXPIRED:
        return NotCancellableNow()
    services = context.services
    payment = await services.payments.open_order_for(ticket_subject(order.id))
    if payment is not None:
        await close_payment(services, payment)
    try:
        await services.reservations.cancel(order.reservation_id)
    except NotCancellable:
        return NotCancellableNow()
    cancelled = await services.tickets.move(order.id, TicketOrderStatus.CANCELLED)
    paid = await services.payments.paid_for(ticket_subject(order.id))
    if paid is not None and not paid.refund_due:
        await services.payments.flag_refund(paid.id)
    await services.reservations.forget_slots(order.attraction_id, date.fromisoformat(order.day))
    return cancelled or await services.tickets.get(order.id) or order
