"""Calls to the tourism platform's slots and reservations, with refusals as typed errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from mychangsha.integrations.errors import UpstreamRejected, UpstreamUnavailable
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.tourism.reservation_models import (
    IdempotencyKeyReused,
    InvalidVisitors,
    NotCancellable,
    NotPayable,
    QuotaExhausted,
    Reservation,
    ReservationRefused,
    SlotNotBookable,
    TicketSlot,
    VisitorAlreadyBooked,
    VisitorIdentity,
)
from mychangsha.integrations.tourism.reservation_wire import (
    ErrorJson,
    ReservationJson,
    SlotListJson,
)

_Model = TypeVar("_Model", bound=BaseModel)

_SIMPLE_REFUSALS: dict[str, type[ReservationRefused]] = {
    "SLOT_NOT_FOUND": SlotNotBookable,
    "SLOT_CLOSED": SlotNotBookable,
    "DATE_NOT_BOOKABLE": SlotNotBookable,
    "VISITOR_LIMIT": InvalidVisitors,
    "INVALID_VISITOR": InvalidVisitors,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyKeyReused,
    "NOT_CANCELLABLE": NotCancellable,
    "TOO_LATE_TO_CANCEL": NotCancellable,
    "NOT_PAYABLE": NotPayable,
    "AMOUNT_MISMATCH": NotPayable,
}


def _refusal(exc: UpstreamRejected) -> ReservationRefused | None:
    """The domain refusal a 4xx stands for, or None when it means nothing to citizens."""
    try:
        error = ErrorJson.model_validate(exc.body).error
    except ValidationError:
        return None
    if error.code == "QUOTA_EXHAUSTED":
        return QuotaExhausted(error.message, error.remaining or 0)
    if error.code == "VISITOR_ALREADY_BOOKED":
        return VisitorAlreadyBooked(error.message, tuple(error.visitor_refs))
    kind = _SIMPLE_REFUSALS.get(error.code)
    return None if kind is None else kind(error.code, error.message)


class ReservationClient:
    """Slots (cached briefly, forgotten after every change) and reservations (never cached)."""

    def __init__(self, upstream: UpstreamClient, *, slot_cache_seconds: float) -> None:
        self._upstream = upstream
        self._slot_cache_seconds = slot_cache_seconds

    @staticmethod
    def _slots_path(attraction_id: str) -> str:
        return f"/v1/attractions/{quote(attraction_id, safe='')}/slots"

    async def slots(self, attraction_id: str, day: date) -> list[TicketSlot]:
        """The day's entry slots of an attraction; SlotNotBookable outside the booking window."""
        try:
            body = await self._upstream.get_json(
                self._slots_path(attraction_id),
                {"date": day.isoformat()},
                cache_ttl=self._slot_cache_seconds,
            )
        except UpstreamRejected as exc:
            raise _refusal(exc) or exc from None
        listing = self._parse(SlotListJson, body)
        return [item.to_domain(listing.attraction_id) for item in listing.items]

    async def forget_slots(self, attraction_id: str, day: date) -> None:
        """Drop the cached slots of a day: after a reservation changes, read places anew."""
        await self._upstream.invalidate(self._slots_path(attraction_id), {"date": day.isoformat()})

    async def reserve(
        self, slot_id: str, visitors: Sequence[VisitorIdentity], *, idempotency_key: str
    ) -> Reservation:
        """Take places for every visitor at once, or raise the platform's refusal."""
        body = {
            "slotId": slot_id,
            "visitors": [{"ref": v.ref, "name": v.name, "idNumber": v.id_number} for v in visitors],
        }
        answer = await self._send(
            "POST", "/v1/reservations", body, headers={"idempotency-key": idempotency_key}
        )
        return self._parse(ReservationJson, answer).to_domain()

    async def reservation(self, reservation_id: str) -> Reservation:
        """One reservation as the platform has it now (expiry applied)."""
        answer = await self._upstream.get_json(self._path(reservation_id))
        return self._parse(ReservationJson, answer).to_domain()

    async def cancel(self, reservation_id: str) -> Reservation:
        """Give the places back; repeating it is harmless."""
        answer = await self._send("POST", self._path(reservation_id) + "/cancel", None)
        return self._parse(ReservationJson, answer).to_domain()

    async def confirm_payment(
        self, reservation_id: str, *, transaction_id: str, amount_fen: int
    ) -> Reservation:
        """Tell the platform the tickets are paid; the same transaction again is harmless."""
        body = {"transactionId": transaction_id, "amountFen": amount_fen}
        answer = await self._send("POST", self._path(reservation_id) + "/payment", body)
        return self._parse(ReservationJson, answer).to_domain()

    @staticmethod
    def _path(reservation_id: str) -> str:
        return f"/v1/reservations/{quote(reservation_id, safe='')}"

    async def _send(
        self, method: str, path: str, body: Any, *, headers: dict[str, str] | None = None
    ) -> Any:
        """Every reservation call is idempotent (by key, by id or by transaction): retry is safe."""
        try:
            _, answer = await self._upstream.send_json(
                method, path, json=body, headers=headers, idempotent=True
            )
        except UpstreamRejected as exc:
            raise _refusal(exc) or exc from None
        return answer

    def _parse(self, model: type[_Model], body: Any) -> _Model:
        try:
            return model.model_validate(body)
        except ValidationError:
            name = self._upstream.config.name
            raise UpstreamUnavailable(name, f"{name}: unexpected answer shape") from None
