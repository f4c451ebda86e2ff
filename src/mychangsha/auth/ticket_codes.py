"""Ticket QR codes: a compact JWS a gate verifies offline with our published keys.

A code names one visitor's ticket for one slot and is valid from shortly before the slot
opens until it closes, so a screenshot is useless on another day. It carries the visitor's
masked name and ID number, enough for a gate to match the ID card it reads, never the
whole number. The `typ` keeps certificates and access tokens from passing as tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from mychangsha.auth.jws import (
    InvalidSignedPayload,
    OutsideValidity,
    check_window,
    sign,
    verify_signature,
)
from mychangsha.auth.keys import KeyRing
from mychangsha.platform.clock import CHANGSHA

TICKET_TYPE: Final = "ticket+jws"
# Gates open to a timed slot's visitors a little before the slot begins.
EARLY_ENTRY: Final = timedelta(minutes=30)


@dataclass(frozen=True)
class TicketCode:
    """What a ticket's code says."""

    ticket_id: str
    reservation_id: str
    attraction_id: str
    attraction_name: str
    slot_id: str
    ticket_name: str
    valid_from: datetime
    valid_until: datetime
    visitor_name_masked: str
    id_number_masked: str

    def claims(self) -> dict[str, Any]:
        """The payload: short names, since every byte makes the QR code denser."""
        return {
            "tid": self.ticket_id,
            "rid": self.reservation_id,
            "att": self.attraction_id,
            "atn": self.attraction_name,
            "slot": self.slot_id,
            "tkn": self.ticket_name,
            "vis": self.visitor_name_masked,
            "idm": self.id_number_masked,
            "nbf": int(self.valid_from.timestamp()),
            "exp": int(self.valid_until.timestamp()),
        }


async def sign_ticket(keys: KeyRing, code: TicketCode) -> str:
    """The code's compact JWS, signed with the current key."""
    return await sign(keys, code.claims(), typ=TICKET_TYPE)


def mask_name(name: str) -> str:
    """The first character (the surname) and a star for each other one: 张三丰 → 张**."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def describe(claims: Mapping[str, Any]) -> dict[str, Any]:
    """A verified payload in words a gate operator reads."""
    return {
        "ticketId": claims.get("tid"),
        "reservationId": claims.get("rid"),
        "attractionId": claims.get("att"),
        "attraction": claims.get("atn"),
        "slotId": claims.get("slot"),
        "ticket": claims.get("tkn"),
        "visitor": claims.get("vis"),
        "idNumber": claims.get("idm"),
        "validFrom": _local(claims.get("nbf")),
        "validUntil": _local(claims.get("exp")),
    }


def _local(seconds: Any) -> str | None:
    """Epoch seconds as the local time a gate operator reads (Asia/Shanghai)."""
    if not isinstance(seconds, int | float):
        return None
    return datetime.fromtimestamp(seconds, CHANGSHA).isoformat()


@dataclass(frozen=True)
class TicketCheck:
    """A gate's verdict on a scanned code: genuine or not, and valid at the moment or not."""

    genuine: bool
    valid_now: bool
    reason: str | None  # why not, in words; None when admitted
    ticket: dict[str, Any] | None  # the described payload, when genuine


def check_ticket(token: str, jwks: Mapping[str, Any], *, now: float) -> TicketCheck:
    """Verify a scanned code with the published keys alone: what a gate does offline."""
    try:
        claims = verify_signature(token.strip(), jwks, typ=TICKET_TYPE)
    except InvalidSignedPayload as exc:
        return TicketCheck(genuine=False, valid_now=False, reason=str(exc), ticket=None)
    ticket = describe(claims)
    try:
        check_window(claims, now)
    except OutsideValidity as exc:
        reason = "not valid yet" if exc.too_early else "expired"
        return TicketCheck(genuine=True, valid_now=False, reason=reason, ticket=ticket)
    except InvalidSignedPayload as exc:
        return TicketCheck(genuine=False, valid_now=False, reason=str(exc), ticket=None)
    return TicketCheck(genuine=True, valid_now=True, reason=None, ticket=ticket)
