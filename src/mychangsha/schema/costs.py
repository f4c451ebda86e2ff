"""What a field costs, declared in one table keyed by "Type.field".

Every field returning an object costs 1 unless listed here; a scalar field is free unless
listed (it is read off the object its parent resolved). A field listed with a higher `cost`
calls an upstream (or does a query of its own) each time it is resolved; `items` is how many
elements a list field without a `first` argument is expected to return, and multiplies the
cost of what is selected inside it. Paginated fields need no entry for their size: their
`first` argument (or its default) multiplies their subtree. A test checks that every key
names a real field and that every list of objects without `first` is listed, so a new list
cannot slip in at the default size of one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldCost:
    """The cost of resolving a field once, and the expected size of an unpaginated list."""

    cost: int = 1
    items: int = 1


DEFAULT = FieldCost()

FIELD_COSTS: dict[str, FieldCost] = {
    # Live upstream reads (through DataLoaders and short Redis caches).
    "Attraction.crowd": FieldCost(cost=3),
    "Attraction.crowdLevel": FieldCost(cost=3),
    "Attraction.ticketSlots": FieldCost(cost=40, items=12),  # its own request per attraction
    "Doctor.slots": FieldCost(cost=3, items=12),  # one batched request per hospital and day
    "Query.myAppointments": FieldCost(cost=10),
    "Query.myReports": FieldCost(cost=10),
    "Query.report": FieldCost(cost=10),
    "Query.myBills": FieldCost(cost=10, items=10),
    "Query.myApplications": FieldCost(cost=5),
    "Query.application": FieldCost(cost=5),
    "Query.myCertificates": FieldCost(cost=5, items=10),
    "Query.myTickets": FieldCost(cost=5),
    "Query.home": FieldCost(cost=10),
    "Home.billsToPay": FieldCost(cost=10, items=5),
    "Home.appointmentsToday": FieldCost(cost=10, items=5),
    "Home.applicationsNeedingSupplement": FieldCost(cost=5, items=5),
    "Home.ticketsToday": FieldCost(cost=5, items=5),
    "Home.notices": FieldCost(cost=5, items=10),
    "Home.recommendedAttractions": FieldCost(cost=5),
    "Home.unreadNotifications": FieldCost(cost=2),
    # Catalogue searches in our own storage.
    "Query.hospitals": FieldCost(cost=3),
    "Query.attractions": FieldCost(cost=3),
    "Query.events": FieldCost(cost=3),
    "Query.govServices": FieldCost(cost=3),
    "Query.search": FieldCost(cost=8),  # one search in each of four catalogues
    "Query.govBundles": FieldCost(cost=3, items=20),
    "Query.lifeEvents": FieldCost(cost=2, items=20),
    "Citizen.dataAccessLog": FieldCost(cost=3),
    # Unpaginated lists of objects: their expected size.
    "Application.timeline": FieldCost(items=10),
    "Attraction.openingHours": FieldCost(items=3),
    "Attraction.tickets": FieldCost(items=5),
    "Bill.lines": FieldCost(items=10),
    "Citizen.family": FieldCost(cost=2, items=5),
    "Citizen.consentRequests": FieldCost(cost=2, items=5),
    "Department.doctors": FieldCost(cost=2, items=6),
    "GovBundle.materials": FieldCost(items=10),
    "GovBundle.formFields": FieldCost(items=10),
    "GovBundle.services": FieldCost(cost=2, items=5),
    "GovService.materials": FieldCost(items=10),
    "GovService.formFields": FieldCost(items=10),
    "Hospital.departments": FieldCost(cost=2, items=12),
    "NotificationMarkReadPayload.notifications": FieldCost(items=20),
    "Report.observations": FieldCost(items=20),
    "TicketOrder.tickets": FieldCost(items=3),
}


def field_cost(type_name: str, field_name: str) -> FieldCost:
    """The declared cost of `Type.field`, or the default of 1."""
    return FIELD_COSTS.get(f"{type_name}.{field_name}", DEFAULT)
