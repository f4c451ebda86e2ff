"""Attractions near a hospital: the one field that crosses the hospital and tourism domains.

The monolith shows it as `Hospital.nearbyAttractions`. Served as subgraphs, the tourism
subgraph contributes the same field to the hospital subgraph's `Hospital` entity by key: the
gateway hands it `{__typename: "Hospital", id}` and the tourism subgraph reads the hospital's
location from the hospitals mirror, which every process shares. The contract between the two
subgraphs is the key alone; `@requires(fields: "location { lat lng }")` would instead make
the tourism subgraph re-declare `location` as `@external` and keep it in step.
"""

from __future__ import annotations

from typing import Annotated, Self

import strawberry
from strawberry import relay

from mychangsha.geo import GeoPoint as DomainGeoPoint
from mychangsha.resolvers.hospitals import HospitalByCodeLoader
from mychangsha.resolvers.tourism import search_attractions
from mychangsha.schema.common import GeoPoint, Info
from mychangsha.schema.tourism import AttractionNode

DEFAULT_NEARBY = 5
NEARBY_DESCRIPTION = (
    "Attractions nearest this hospital, nearest first; null with an error if they cannot be read."
)
FirstNearby = Annotated[int, strawberry.argument(description="How many, like `first` of a page.")]


async def attractions_near(
    info: Info, location: GeoPoint | DomainGeoPoint | None, first: int
) -> list[AttractionNode]:
    """The attractions nearest a point, or none when the point is unknown."""
    if location is None:
        return []
    page = await search_attractions(
        info.context.services,
        near=DomainGeoPoint(lat=location.lat, lng=location.lng),
        radius_km=None,
        keyword=None,
        first=first,
        after=None,
    )
    return [AttractionNode.from_domain(hit.attraction) for hit in page.hits]


@strawberry.federation.type(
    name="Hospital",
    keys=["id"],
    description="A hospital, as the tourism subgraph extends it (the hospital subgraph owns it).",
)
class HospitalNearby:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        """The gateway's reference, kept as is: the field below reads what it needs."""
        return cls(id=id)

    @strawberry.field(description=NEARBY_DESCRIPTION)
    async def nearby_attractions(
        self, info: Info, first: FirstNearby = DEFAULT_NEARBY
    ) -> list[AttractionNode] | None:
        global_id = relay.GlobalID.from_id(self.id)
        if global_id.type_name != "Hospital":
            return None
        hospital = await info.context.loader(HospitalByCodeLoader).load(global_id.node_id)
        if hospital is None:
            return None
        return await attractions_near(info, hospital.location, first)
