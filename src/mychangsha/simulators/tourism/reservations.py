"""Timed entry slots, quotas and real-name reservations of the tourism platform (分时预约, 实名制).

The platform is the source of truth for every quota, so this module is the only place a place
is taken or given back. Slots are not stored: they are derived from the live catalogue
(opening hours, ticket types, capacity) whenever asked, so an admin change to an attraction
shows in its slots at once. Only what the platform must remember is stored: reservations,
places taken per slot and per day, quota overrides and the idempotency keys.

Every check-and-take runs in one synchronous call after the request body has been read: the
event loop cannot interleave another request in between, so 300 racers on 30 places get
exactly 30 reservations, and racers with one idempotency key get one reservation.

Unpaid holds expire lazily: every endpoint first expires the holds whose `payBy` has passed,
so a test that moves the clock sees the places come back on its next request, with no
background task to wait for.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    describe_validation_error,
    read_json_object,
)
from mychangsha.simulators.realname.data import check_character
from mychangsha.simulators.tourism.crowd import SHANGHAI, day_range, minutes_of
from mychangsha.simulators.tourism.data import (
    AttractionRecord,
    OpeningHoursRecord,
    TicketRecord,
)

__all__ = [
    "BOOKABLE_DAYS",
    "DEFAULT_HOLD_SECONDS",
    "MAX_VISITORS_PER_RESERVATION",
    "ReservationApi",
    "ReservationBook",
    "mask_id_number",
    "valid_id_number",
]

MAX_VISITORS_PER_RESERVATION: Final = 5
DEFAULT_HOLD_SECONDS: Final = 900
BOOKABLE_DAYS: Final = 7
MAX_IDEMPOTENCY_KEY: Final = 128

_SLOT_MINUTES: Final = 60
_DAY_MINUTES: Final = 24 * 60
# Round-the-clock attractions (and those open past midnight) offer daytime starts only.
_FIRST_CAPPED_START: Final = 8 * 60
_LAST_CAPPED_START: Final = 22 * 60
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLOT_ID: Final = re.compile(r"(?P<ticket>.+)@(?P<date>\d{4}-\d{2}-\d{2})T(?P<start>\d{2}:\d{2})")
_ID_NUMBER: Final = re.compile(r"\d{17}[\dX]")
_MAX_NAME: Final = 30

Status = Literal["awaiting_payment", "confirmed", "cancelled", "expired"]
M = TypeVar("M", bound=BaseModel)


class Catalogue(Protocol):
    """What reservations need of the simulator's state: the live catalogue and the clock."""

    catalogue: dict[str, AttractionRecord]

    def now(self) -> datetime:
        """The injected clock's time."""
        ...

    def attraction(self, attraction_id: str) -> AttractionRecord:
        """One attraction, or a 404 in the error shape."""
        ...


class Refusal(ApiError):
    """An ApiError whose body carries extra keys (`remaining`, `visitorRefs`) for the caller."""

    def __init__(
        self, status_code: int, message: str, *, code: str, extra: Mapping[str, Any]
    ) -> None:
        super().__init__(status_code, message, code=code)
        self.extra = dict(extra)

    def response(self) -> Response:
        """The shared error shape plus the extra keys."""
        body = {"error": {"code": self.code, "message": self.message, **self.extra}}
        return OrjsonResponse(body, status_code=self.status_code)


# --- ID numbers -------------------------------------------------------------------------------


def normalise_id_number(raw: str) -> str:
    """Trimmed and upper-case, so `x` and `X` check characters name the same person."""
    return raw.strip().upper()


def valid_id_number(value: str) -> bool:
    """GB 11643: 17 digits and the check character the real-name service's data also uses."""
    return bool(_ID_NUMBER.fullmatch(value)) and check_character(value[:17]) == value[17]


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters (region and check): enough to recognise, not to reuse."""
    return value[:6] + "*" * 8 + value[-4:]


# --- the schedule -----------------------------------------------------------------------------


def has_slots(ticket: TicketRecord) -> bool:
    """Only reserved or paid tickets are sold by slot; free walk-in tickets need no booking."""
    return ticket["reservationRequired"] or ticket["priceFen"] > 0


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _rules_on(hours: Sequence[OpeningHoursRecord], day: date) -> list[OpeningHoursRecord]:
    """Rules in force on the day's weekday; unparseable day specs apply, as in `is_open`."""
    weekday = day.weekday()
    rules = []
    for rule in hours:
        days = day_range(rule["days"])
        if days is None or weekday in days:
            rules.append(rule)
    return rules


def _capped(opens: int, closes_after: int) -> list[int]:
    """Hourly starts from opening, kept within 08:00–22:00, each ending before closing."""
    starts = range(opens, closes_after - _SLOT_MINUTES + 1, _SLOT_MINUTES)
    return [s for s in starts if _FIRST_CAPPED_START <= s <= _LAST_CAPPED_START]


def _starts_of(rule: OpeningHoursRecord) -> list[int]:
    """Hourly starts of one rule; the last starts an hour before closing.

    A rule that closes at or after midnight (or never closes) would give night slots nobody
    books, so its starts are capped to the daytime.
    """
    opens, closes = minutes_of(rule["open"]), minutes_of(rule["close"])
    if closes <= opens:
        return _capped(opens, closes + _DAY_MINUTES)
    if closes >= _DAY_MINUTES:
        return _capped(opens, closes)
    return list(range(opens, closes - _SLOT_MINUTES + 1, _SLOT_MINUTES))


def day_starts(record: AttractionRecord, day: date) -> list[int]:
    """Slot starts (minutes after midnight) of an attraction's day; empty when it is closed."""
    hours = record["openingHours"]
    if not hours:
        return _capped(0, _DAY_MINUTES)
    starts: set[int] = set()
    for rule in _rules_on(hours, day):
        starts.update(_starts_of(rule))
    return sorted(starts)


@dataclass(frozen=True, slots=True, eq=False)
class Slot:
    """One hour of one ticket type on one day; `count` is the day's number of slots."""

    attraction_id: str
    ticket: TicketRecord
    day: date
    start: int
    count: int

    @property
    def id(self) -> str:
        """`{ticketTypeId}@{date}T{HH:MM}`: opaque to clients, parseable here."""
        return f"{self.ticket['id']}@{self.day.isoformat()}T{_hhmm(self.start)}"

    @property
    def ticket_id(self) -> str:
        """The ticket type's id."""
        return self.ticket["id"]

    @property
    def starts_at(self) -> datetime:
        """The local start instant."""
        return datetime.combine(self.day, time(self.start // 60, self.start % 60), SHANGHAI)

    @property
    def ends_at(self) -> datetime:
        """The local end instant."""
        return self.starts_at + timedelta(minutes=_SLOT_MINUTES)

    def times_json(self) -> dict[str, Any]:
        """The keys a slot and a reservation share."""
        return {
            "ticketTypeId": self.ticket_id,
            "ticketName": self.ticket["name"],
            "date": self.day.isoformat(),
            "start": _hhmm(self.start),
            "end": _hhmm(self.start + _SLOT_MINUTES),
        }


def schedule(record: AttractionRecord, ticket: TicketRecord, day: date) -> list[Slot]:
    """Every slot of a ticket type on a day, ended or not."""
    if not has_slots(ticket):
        return []
    starts = day_starts(record, day)
    return [Slot(record["id"], ticket, day, start, len(starts)) for start in starts]


def find_ticket(
    catalogue: Mapping[str, AttractionRecord], ticket_id: str
) -> tuple[AttractionRecord, TicketRecord] | None:
    """The attraction selling a ticket type, and the type; ids are unique across attractions."""
    for record in catalogue.values():
        for ticket in record["tickets"]:
            if ticket["id"] == ticket_id:
                return record, ticket
    return None


def parse_day(raw: str | None, what: str) -> date:
    """A `YYYY-MM-DD` date, or a 400."""
    if raw is None or not _DATE.fullmatch(raw):
        raise ApiError(400, f"{what} must be a date YYYY-MM-DD, got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{what} is not a calendar date: {raw!r}") from None


def local_today(now: datetime) -> date:
    """Today in Changsha: the booking window is counted in local days."""
    return now.astimezone(SHANGHAI).date()


def check_bookable(day: date, now: datetime) -> None:
    """Today and the next six days only; 422 DATE_NOT_BOOKABLE otherwise."""
    today = local_today(now)
    last = today + timedelta(days=BOOKABLE_DAYS - 1)
    if not today <= day <= last:
        raise ApiError(
            422,
            f"{day.isoformat()} is not bookable: only {today.isoformat()} to {last.isoformat()}",
            code="DATE_NOT_BOOKABLE",
        )


# --- reservations -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Visitor:
    """One person on a reservation, with the ticket issued to them."""

    ticket_id: str
    ref: str
    name: str
    id_number: str

    def to_json(self) -> dict[str, Any]:
        """The wire shape: the ID number never leaves the platform unmasked."""
        return {
            "ticketId": self.ticket_id,
            "ref": self.ref,
            "name": self.name,
            "idNumberMasked": mask_id_number(self.id_number),
        }


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _new_id(prefix: str) -> str:
    """Random, so ids never repeat across resets and restarts (the graph mirrors them)."""
    return f"{prefix}{secrets.token_hex(8).upper()}"


@dataclass(slots=True)
class Reservation:
    """A reservation and its life: held, paid or free, then maybe cancelled or expired."""

    id: str
    status: Status
    slot: Slot
    visitors: tuple[Visitor, ...]
    fingerprint: tuple[str, tuple[str, ...]]
    created_at: datetime
    pay_by: datetime | None
    paid_at: datetime | None = None
    transaction_id: str | None = None
    cancelled_at: datetime | None = None

    @property
    def amount_fen(self) -> int:
        """The unit price for every visitor."""
        return self.slot.ticket["priceFen"] * len(self.visitors)

    @property
    def active(self) -> bool:
        """Whether it holds places."""
        return self.status in ("awaiting_payment", "confirmed")

    def to_json(self) -> dict[str, Any]:
        """The platform's Reservation JSON."""
        return {
            "id": self.id,
            "status": self.status,
            "attractionId": self.slot.attraction_id,
            "slotId": self.slot.id,
            **self.slot.times_json(),
            "visitors": [visitor.to_json() for visitor in self.visitors],
            "unitPriceFen": self.slot.ticket["priceFen"],
            "amountFen": self.amount_fen,
            "createdAt": _stamp(self.created_at),
            "payBy": _stamp(self.pay_by),
            "paidAt": _stamp(self.paid_at),
            "transactionId": self.transaction_id,
            "cancelledAt": _stamp(self.cancelled_at),
        }


@dataclass(frozen=True, slots=True)
class Places:
    """A slot's quotas and what is left of them."""

    quota: int
    remaining: int
    daily_quota: int
    daily_remaining: int

    @property
    def bookable(self) -> int:
        """How many visitors one reservation could take now."""
        return min(self.remaining, self.daily_remaining)


@dataclass
class ReservationBook:
    """Everything the platform remembers about reservations; `reset` forgets all of it."""

    hold_seconds: int = DEFAULT_HOLD_SECONDS
    reservations: dict[str, Reservation] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    awaiting: dict[str, Reservation] = field(default_factory=dict)
    holders: dict[tuple[str, date, str], str] = field(default_factory=dict)
    slot_taken: Counter[str] = field(default_factory=Counter)
    daily_taken: Counter[tuple[str, date]] = field(default_factory=Counter)
    slot_quotas: dict[str, int] = field(default_factory=dict)
    daily_quotas: dict[tuple[str, date], int] = field(default_factory=dict)

    def reset(self) -> None:
        """No reservations, no overrides, default settings."""
        self.hold_seconds = DEFAULT_HOLD_SECONDS
        for mapping in (self.reservations, self.by_key, self.awaiting, self.holders):
            mapping.clear()
        self.slot_taken.clear()
        self.daily_taken.clear()
        self.slot_quotas.clear()
        self.daily_quotas.clear()

    # quotas

    def daily_quota(self, ticket_id: str, day: date, capacity: int) -> int:
        """The override, else the attraction's capacity."""
        return self.daily_quotas.get((ticket_id, day), capacity)

    def places(self, slot: Slot, capacity: int) -> Places:
        """Quotas and remaining places; the default slot quota is 1.25 × daily / slots, rounded up.

        The headroom lets a popular hour sell more than an even share, so on a busy day the
        daily quota runs out first, as on the real platform.
        """
        daily = self.daily_quota(slot.ticket_id, slot.day, capacity)
        default = -(-5 * daily // (4 * slot.count)) if slot.count else 0
        quota = self.slot_quotas.get(slot.id, default)
        return Places(
            quota=quota,
            remaining=max(0, quota - self.slot_taken[slot.id]),
            daily_quota=daily,
            daily_remaining=max(0, daily - self.daily_taken[(slot.ticket_id, slot.day)]),
        )

    # life of a reservation

    def expire_due(self, now: datetime) -> None:
        """Unpaid holds past `payBy` become expired and give their places back."""
        due = [r for r in self.awaiting.values() if r.pay_by is not None and r.pay_by <= now]
        for reservation in due:
            self._release(reservation)
            reservation.status = "expired"

    def replay(self, key: str, fingerprint: tuple[str, tuple[str, ...]]) -> Reservation | None:
        """The reservation made earlier with this key and body; 422 for another body."""
        reservation_id = self.by_key.get(key)
        if reservation_id is None:
            return None
        reservation = self.reservations[reservation_id]
        if reservation.fingerprint != fingerprint:
            raise ApiError(
                422,
                "this Idempotency-Key was used for another slot or other visitors",
                code="IDEMPOTENCY_KEY_REUSED",
            )
        return reservation

    def check_holders(self, slot: Slot, visitors: Sequence[Visitor]) -> None:
        """同一证件同日限约一次: one active reservation per person, attraction and day."""
        refs = [
            v.ref for v in visitors if (slot.attraction_id, slot.day, v.id_number) in self.holders
        ]
        if refs:
            raise Refusal(
                409,
                "a visitor already holds a reservation of this attraction on this day",
                code="VISITOR_ALREADY_BOOKED",
                extra={"visitorRefs": refs},
            )

    def check_places(self, slot: Slot, capacity: int, wanted: int) -> None:
        """Both the slot's and the day's quota must cover every visitor (all or nothing)."""
        left = self.places(slot, capacity).bookable
        if left < wanted:
            raise Refusal(
                409,
                f"{wanted} places wanted, {left} left",
                code="QUOTA_EXHAUSTED",
                extra={"remaining": left},
            )

    def take(
        self,
        key: str,
        slot: Slot,
        visitors: tuple[Visitor, ...],
        fingerprint: tuple[str, tuple[str, ...]],
        now: datetime,
    ) -> Reservation:
        """Record a reservation and take its places; free ones are confirmed at once."""
        created = now.replace(microsecond=0)
        paid = slot.ticket["priceFen"] > 0
        reservation = Reservation(
            id=_new_id("RSV"),
            status="awaiting_payment" if paid else "confirmed",
            slot=slot,
            visitors=visitors,
            fingerprint=fingerprint,
            created_at=created,
            pay_by=created + timedelta(seconds=self.hold_seconds) if paid else None,
        )
        self.reservations[reservation.id] = reservation
        self.by_key[key] = reservation.id
        if paid:
            self.awaiting[reservation.id] = reservation
        self.slot_taken[slot.id] += len(visitors)
        self.daily_taken[(slot.ticket_id, slot.day)] += len(visitors)
        for visitor in visitors:
            self.holders[(slot.attraction_id, slot.day, visitor.id_number)] = reservation.id
        return reservation

    def cancel(self, reservation: Reservation, now: datetime) -> None:
        """Give the places back; a cancelled one stays as it is."""
        if reservation.status == "cancelled":
            return
        if reservation.status == "expired":
            raise ApiError(
                409, "an expired reservation cannot be cancelled", code="NOT_CANCELLABLE"
            )
        if now >= reservation.slot.starts_at:
            raise ApiError(409, "the slot has already started", code="TOO_LATE_TO_CANCEL")
        self._release(reservation)
        reservation.status = "cancelled"
        reservation.cancelled_at = now.replace(microsecond=0)

    def pay(
        self, reservation: Reservation, transaction_id: str, amount_fen: int, now: datetime
    ) -> None:
        """Confirm a held reservation; the same transaction again changes nothing."""
        if reservation.transaction_id == transaction_id:
            return
        if reservation.amount_fen == 0:
            raise ApiError(409, "a free reservation needs no payment", code="NOT_PAYABLE")
        if reservation.status != "awaiting_payment":
            raise ApiError(
                409,
                f"a reservation that is {reservation.status} cannot be paid",
                code="NOT_PAYABLE",
            )
        if amount_fen != reservation.amount_fen:
            raise ApiError(
                422,
                f"amountFen must be {reservation.amount_fen}, got {amount_fen}",
                code="AMOUNT_MISMATCH",
            )
        del self.awaiting[reservation.id]
        reservation.status = "confirmed"
        reservation.paid_at = now.replace(microsecond=0)
        reservation.transaction_id = transaction_id

    def _release(self, reservation: Reservation) -> None:
        slot = reservation.slot
        self.awaiting.pop(reservation.id, None)
        self.slot_taken[slot.id] -= len(reservation.visitors)
        self.daily_taken[(slot.ticket_id, slot.day)] -= len(reservation.visitors)
        for visitor in reservation.visitors:
            self.holders.pop((slot.attraction_id, slot.day, visitor.id_number), None)


# --- request bodies ---------------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class _VisitorJson(BaseModel):
    model_config = _STRICT

    ref: str = Field(min_length=1, max_length=64)
    name: str
    id_number: str = Field(alias="idNumber")


class _ReservationJson(BaseModel):
    model_config = _STRICT

    slot_id: str = Field(alias="slotId", min_length=1, max_length=200)
    visitors: list[_VisitorJson]

    def fingerprint(self) -> tuple[str, tuple[str, ...]]:
        """What makes two requests "the same body" for idempotency."""
        return self.slot_id, tuple(normalise_id_number(v.id_number) for v in self.visitors)


class _PaymentJson(BaseModel):
    model_config = _STRICT

    transaction_id: str = Field(alias="transactionId", min_length=1, max_length=128)
    amount_fen: int = Field(alias="amountFen", ge=0)


class _SlotQuotaJson(BaseModel):
    model_config = _STRICT

    quota: int = Field(ge=0, le=10_000_000)


class _DailyQuotaJson(BaseModel):
    model_config = _STRICT

    daily_quota: int = Field(alias="dailyQuota", ge=0, le=10_000_000)


class _SettingsJson(BaseModel):
    model_config = _STRICT

    hold_seconds: int = Field(alias="holdSeconds", ge=0, le=7 * 24 * 3600)


async def _parse(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(await read_json_object(request))
    except ValidationError as exc:
        raise ApiError(400, describe_validation_error(exc)) from exc


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key")
    if key is None or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        raise ApiError(
            400,
            f"an Idempotency-Key header of 1 to {MAX_IDEMPOTENCY_KEY} characters is required",
            code="IDEMPOTENCY_KEY_REQUIRED",
        )
    return key


def _visitor_problem(given: _VisitorJson, id_number: str) -> bool:
    name = given.name.strip()
    return not (1 <= len(name) <= _MAX_NAME) or not valid_id_number(id_number)


def check_visitors(given: Sequence[_VisitorJson]) -> tuple[Visitor, ...]:
    """1–5 people, each named with a valid ID number, no ID number or ref twice."""
    if not 1 <= len(given) <= MAX_VISITORS_PER_RESERVATION:
        raise ApiError(
            422,
            f"a reservation is for 1 to {MAX_VISITORS_PER_RESERVATION} visitors, got {len(given)}",
            code="VISITOR_LIMIT",
        )
    numbers = [normalise_id_number(v.id_number) for v in given]
    twice_numbers = {n for n, count in Counter(numbers).items() if count > 1}
    twice_refs = {r for r, count in Counter(v.ref for v in given).items() if count > 1}
    bad = [
        v.ref
        for v, number in zip(given, numbers, strict=True)
        if _visitor_problem(v, number) or number in twice_numbers or v.ref in twice_refs
    ]
    if bad:
        raise Refusal(
            422,
            "every visitor needs a name and a valid ID number, each person and ref once",
            code="INVALID_VISITOR",
            extra={"visitorRefs": list(dict.fromkeys(bad))},
        )
    return tuple(
        Visitor(_new_id("TKT"), v.ref, v.name.strip(), number)
        for v, number in zip(given, numbers, strict=True)
    )


# --- endpoints --------------------------------------------------------------------------------


class ReservationApi:
    """Slot, reservation and admin endpoints bound to one simulator's catalogue and book."""

    def __init__(self, state: Catalogue) -> None:
        self.state = state
        self.book = ReservationBook()

    def reset(self) -> None:
        """Forget reservations, overrides and settings (part of `POST /__admin/reset`)."""
        self.book.reset()

    def routes(self) -> list[BaseRoute]:
        """The public API: slots and reservations."""
        return [
            Route("/v1/attractions/{attraction_id}/slots", self.list_slots, methods=["GET"]),
            Route("/v1/reservations", self.create, methods=["POST"]),
            Route("/v1/reservations/{reservation_id}", self.get, methods=["GET"]),
            Route("/v1/reservations/{reservation_id}/cancel", self.cancel, methods=["POST"]),
            Route("/v1/reservations/{reservation_id}/payment", self.pay, methods=["POST"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        """Test controls: quotas, the hold time, every reservation."""
        return [
            Route("/__admin/slots/{slot_id}", self.set_slot_quota, methods=["PUT"]),
            Route("/__admin/quotas/{ticket_type_id}/{date}", self.set_daily_quota, methods=["PUT"]),
            Route("/__admin/reservation-settings", self.put_settings, methods=["PUT"]),
            Route("/__admin/reservations", self.list_reservations, methods=["GET"]),
        ]

    # helpers

    def _now(self) -> datetime:
        """The clock's time, after expiring due holds: every answer reflects expiry."""
        now = self.state.now()
        self.book.expire_due(now)
        return now

    def _slot_json(self, slot: Slot) -> dict[str, Any]:
        record = self.state.catalogue.get(slot.attraction_id)
        places = self.book.places(slot, record["capacity"] if record is not None else 0)
        return {
            "id": slot.id,
            **slot.times_json(),
            "priceFen": slot.ticket["priceFen"],
            "quota": places.quota,
            "remaining": places.remaining,
            "dailyQuota": places.daily_quota,
            "dailyRemaining": places.daily_remaining,
        }

    def _ticket(self, ticket_id: str) -> tuple[AttractionRecord, TicketRecord]:
        found = find_ticket(self.state.catalogue, ticket_id)
        if found is None or not has_slots(found[1]):
            raise ApiError(404, f"no ticket type sold by slot {ticket_id!r}", code="SLOT_NOT_FOUND")
        return found

    def _scheduled(self, slot_id: str, now: datetime | None) -> tuple[AttractionRecord, Slot]:
        """The slot an id names; with `now`, also one that is still on sale (window, not ended)."""
        match = _SLOT_ID.fullmatch(slot_id)
        if match is None:
            raise ApiError(404, f"no slot {slot_id!r}", code="SLOT_NOT_FOUND")
        record, ticket = self._ticket(match["ticket"])
        day = parse_day(match["date"], "the slot's date")
        if now is not None:
            check_bookable(day, now)
        slots = schedule(record, ticket, day)
        if not slots and now is not None:
            raise ApiError(422, f"{record['name']} is closed on {day}", code="SLOT_CLOSED")
        slot = next((s for s in slots if _hhmm(s.start) == match["start"]), None)
        if slot is None:
            raise ApiError(404, f"no slot {slot_id!r}", code="SLOT_NOT_FOUND")
        if now is not None and slot.ends_at <= now:
            raise ApiError(422, f"slot {slot_id!r} has ended", code="SLOT_CLOSED")
        return record, slot

    def _reservation(self, request: Request) -> Reservation:
        reservation_id = request.path_params["reservation_id"]
        reservation = self.book.reservations.get(reservation_id)
        if reservation is None:
            raise ApiError(404, f"no reservation {reservation_id!r}", code="RESERVATION_NOT_FOUND")
        return reservation

    def _reserve(self, key: str, wanted: _ReservationJson) -> tuple[Reservation, bool]:
        """Every check and the take in one synchronous step: no other request runs between."""
        now = self._now()
        fingerprint = wanted.fingerprint()
        earlier = self.book.replay(key, fingerprint)
        if earlier is not None:
            return earlier, False
        visitors = check_visitors(wanted.visitors)
        record, slot = self._scheduled(wanted.slot_id, now)
        self.book.check_holders(slot, visitors)
        self.book.check_places(slot, record["capacity"], len(visitors))
        return self.book.take(key, slot, visitors, fingerprint, now), True

    # public API

    async def list_slots(self, request: Request) -> Response:
        """A day's slots of every slot-sold ticket type, by ticket type then start."""
        record = self.state.attraction(request.path_params["attraction_id"])
        day = parse_day(request.query_params.get("date"), "date")
        now = self._now()
        check_bookable(day, now)
        items = [
            self._slot_json(slot)
            for ticket in record["tickets"]
            for slot in schedule(record, ticket, day)
            if slot.ends_at > now
        ]
        return OrjsonResponse(
            {"attractionId": record["id"], "date": day.isoformat(), "items": items}
        )

    async def create(self, request: Request) -> Response:
        """Reserve places for 1–5 named visitors: 201 new, 200 the same key's earlier one."""
        key = _idempotency_key(request)
        wanted = await _parse(request, _ReservationJson)
        try:
            reservation, created = self._reserve(key, wanted)
        except Refusal as exc:
            return exc.response()
        headers = {"Location": f"/v1/reservations/{reservation.id}"}
        status = 201 if created else 200
        return OrjsonResponse(reservation.to_json(), status_code=status, headers=headers)

    async def get(self, request: Request) -> Response:
        """One reservation as it is now (expiry applied)."""
        self._now()
        return OrjsonResponse(self._reservation(request).to_json())

    async def cancel(self, request: Request) -> Response:
        """Cancel and give the places back; cancelling again answers the same."""
        now = self._now()
        reservation = self._reservation(request)
        self.book.cancel(reservation, now)
        return OrjsonResponse(reservation.to_json())

    async def pay(self, request: Request) -> Response:
        """Record the payment of a held reservation, which confirms it."""
        payment = await _parse(request, _PaymentJson)
        now = self._now()
        reservation = self._reservation(request)
        self.book.pay(reservation, payment.transaction_id, payment.amount_fen, now)
        return OrjsonResponse(reservation.to_json())

    # admin

    async def set_slot_quota(self, request: Request) -> Response:
        """Fix one slot's quota (any scheduled slot, on sale or not); answers the slot."""
        body = await _parse(request, _SlotQuotaJson)
        self._now()
        _, slot = self._scheduled(request.path_params["slot_id"], None)
        self.book.slot_quotas[slot.id] = body.quota
        return OrjsonResponse(self._slot_json(slot))

    async def set_daily_quota(self, request: Request) -> Response:
        """Fix a ticket type's quota for one day; slot quotas without an override follow it."""
        body = await _parse(request, _DailyQuotaJson)
        self._now()
        record, ticket = self._ticket(request.path_params["ticket_type_id"])
        day = parse_day(request.path_params["date"], "date")
        self.book.daily_quotas[(ticket["id"], day)] = body.daily_quota
        quota = self.book.daily_quota(ticket["id"], day, record["capacity"])
        taken = self.book.daily_taken[(ticket["id"], day)]
        answer = {
            "ticketTypeId": ticket["id"],
            "date": day.isoformat(),
            "dailyQuota": quota,
            "dailyRemaining": max(0, quota - taken),
        }
        return OrjsonResponse(answer)

    async def put_settings(self, request: Request) -> Response:
        """How long unpaid places are held, for reservations made from now on."""
        body = await _parse(request, _SettingsJson)
        self.book.hold_seconds = body.hold_seconds
        return OrjsonResponse({"holdSeconds": self.book.hold_seconds})

    async def list_reservations(self, request: Request) -> Response:
        """Every reservation, oldest first, expiry applied (ID numbers masked as everywhere)."""
        self._now()
        items = [reservation.to_json() for reservation in self.book.reservations.values()]
        return OrjsonResponse({"items": items})
