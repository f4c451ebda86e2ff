"""Live crowd levels of attractions: a push when a level changes, nothing when it does not."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from mychangsha.resolvers import crowd as resolvers
from mychangsha.resolvers.tourism import AttractionByIdLoader
from mychangsha.schema.common import Info
from mychangsha.schema.localized import label_of
from mychangsha.schema.tourism import AttractionNode, CrowdLevel


@strawberry.type(description="An attraction's crowd level moved to another level.")
class CrowdLevelChange:
    level: CrowdLevel  # type: ignore[valid-type]
    level_label: str = label_of("level", description="How full now, in words.")
    previous_level: CrowdLevel  # type: ignore[valid-type]
    visitors: int
    capacity: int
    updated_at: datetime
    _attraction_id: strawberry.Private[str]

    @classmethod
    def from_domain(cls, change: resolvers.CrowdLevelChange) -> Self:
        """The graph's view of a published change."""
        return cls(
            level=change.level,
            previous_level=change.previous_level,
            visitors=change.visitors,
            capacity=change.capacity,
            updated_at=change.updated_at,
            _attraction_id=change.attraction_id,
        )

    @strawberry.field(description="The attraction; null if it has left the catalogue since.")
    async def attraction(self, info: Info) -> AttractionNode | None:
        found = await info.context.loader(AttractionByIdLoader).load(self._attraction_id)
        return None if found is None else AttractionNode.from_domain(found)


@strawberry.type
class CrowdSubscription:
    @strawberry.subscription(
        description="Crowd level changes of up to 50 attractions, pushed only when a level "
        "changes; public, no sign-in needed."
    )
    async def crowd_level_changed(
        self,
        info: Info,
        attraction_ids: Annotated[
            list[relay.GlobalID], strawberry.argument(description="1 to 50 Attraction ids.")
        ],
    ) -> AsyncGenerator[CrowdLevelChange, None]:
        async for change in resolvers.crowd_level_changes(info.context, attraction_ids):
            yield CrowdLevelChange.from_domain(change)
