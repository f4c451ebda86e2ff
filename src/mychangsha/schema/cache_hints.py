"""How long each part of the graph may be served from the response cache, and to whom.

Keys are "Type.field" (a field) or "Type" (every field returning that type). Root fields
absent here are never cached; nested fields absent here inherit from their parent. Tags
name what ends an entry early: a mutation or job that changes that data invalidates its tags
(`MUTATION_TAGS`, `cache.responses.ResponseCache.invalidate`). Private entries are keyed and
tagged per citizen, so one citizen's answer is never served to another.
"""

from __future__ import annotations

from typing import Final

from mychangsha.cache.policy import CacheHint, Scope
from mychangsha.cache.responses import CITIZEN  # made "citizen:<id>" per asking citizen

# Tags.
ATTRACTIONS: Final = "attractions"
CROWD: Final = "crowd"
TICKET_SLOTS: Final = "ticket-slots"
EVENTS: Final = "events"
HOSPITALS: Final = "hospitals"
DOCTOR_SLOTS: Final = "doctor-slots"
GOV_CATALOGUE: Final = "gov-catalogue"


def _public(seconds: int, *tags: str) -> CacheHint:
    return CacheHint(seconds, Scope.PUBLIC, frozenset(tags))


def _private(seconds: int) -> CacheHint:
    return CacheHint(seconds, Scope.PRIVATE, frozenset({CITIZEN}))


HINTS: Final[dict[str, CacheHint]] = {
    # tourism: the catalogue changes daily, crowds by the minute, places by the booking
    "Query.attractions": _public(300, ATTRACTIONS),
    "Query.attraction": _public(300, ATTRACTIONS),
    "Attraction.crowd": _public(30, CROWD),
    "Attraction.crowdLevel": _public(30, CROWD),
    "Attraction.ticketSlots": _public(5, TICKET_SLOTS),
    "Query.events": _public(300, EVENTS),
    # hospitals: the directory is stable, places move with every booking
    "Query.hospitals": _public(300, HOSPITALS),
    "Query.hospital": _public(300, HOSPITALS),
    "Query.doctor": _public(300, HOSPITALS),
    "Doctor.slots": _public(5, DOCTOR_SLOTS),
    # government services: the catalogue changes a few times a day at most
    "Query.lifeEvents": _public(3600, GOV_CATALOGUE),
    "Query.govServices": _public(3600, GOV_CATALOGUE),
    "Query.govBundles": _public(3600, GOV_CATALOGUE),
    "Query.govBundle": _public(3600, GOV_CATALOGUE),
    "Query.govService": _public(3600, GOV_CATALOGUE),
    # across the graph
    "Query.search": _public(60, ATTRACTIONS, HOSPITALS, GOV_CATALOGUE),
    # the citizen's own; their mutations invalidate it, another's consent shows within 10 s
    "Query.me": _private(10),
    # The home screen, the app's most loaded answer: the citizen's mutations end it, and so do
    # a confirmed payment, a moved application and a new notification
    # (response_caching.forget_private_answers); what only a hospital changes (a bill issued
    # at its desk) shows within 10 s.
    "Query.home": _private(10),
    # ... but not what others change: who read their data, who asks for their consent
    "Citizen.dataAccessLog": CacheHint(0),
    "Citizen.consentRequests": CacheHint(0),
}

# What each mutation changes besides the asking citizen's private entries.
MUTATION_TAGS: Final[dict[str, frozenset[str]]] = {
    "ticketReserve": frozenset({TICKET_SLOTS}),
    "ticketCancel": frozenset({TICKET_SLOTS}),
    "appointmentBook": frozenset({DOCTOR_SLOTS}),
    "appointmentCancel": frozenset({DOCTOR_SLOTS}),
}
