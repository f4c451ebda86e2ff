"""What crowdLevelChanged means: which attractions a socket follows and the events it gets.

The events are published by the crowd watcher (sync/crowd_watch.py) on one channel per
attraction, so a socket subscribes to exactly its attractions and never filters others'.
The event's shape is defined here, next to its only reader, and the watcher builds it with
`CrowdLevelChange.to_event`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from strawberry import relay

from mychangsha.context import Context
from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg
from mychangsha.integrations.tourism.models import CrowdLevel, CrowdReading
from mychangsha.resolvers.tourism import AttractionByIdLoader

log = logging.getLogger(__name__)

ATTRACTION = "Attraction"
MAX_ATTRACTIONS = 50
CHANNEL_PREFIX = "crowd:"
FIELD = "attractionIds"


def channel_of(attraction_id: str) -> str:
    """The live channel of one attraction's crowd level changes."""
    return f"{CHANNEL_PREFIX}{attraction_id}"


@dataclass(frozen=True, slots=True)
class CrowdLevelChange:
    """An attraction's crowd level moved from one level to another."""

    attraction_id: str
    level: CrowdLevel
    previous_level: CrowdLevel
    visitors: int
    capacity: int
    updated_at: datetime

    @classmethod
    def of(cls, reading: CrowdReading, previous_level: CrowdLevel) -> Self:
        """The change a new reading makes to the level seen before it."""
        return cls(
            attraction_id=reading.attraction_id,
            level=reading.level,
            previous_level=previous_level,
            visitors=reading.visitors,
            capacity=reading.capacity,
            updated_at=reading.updated_at,
        )

    def to_event(self) -> dict[str, object]:
        """The JSON event published to the attraction's channel."""
        return {
            "attractionId": self.attraction_id,
            "level": self.level.value,
            "previousLevel": self.previous_level.value,
            "visitors": self.visitors,
            "capacity": self.capacity,
            "updatedAt": self.updated_at.isoformat(),
        }

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Self:
        """An event read back; KeyError or ValueError when it is not one."""
        return cls(
            attraction_id=str(event["attractionId"]),
            level=CrowdLevel(event["level"]),
            previous_level=CrowdLevel(event["previousLevel"]),
            visitors=int(event["visitors"]),
            capacity=int(event["capacity"]),
            updated_at=datetime.fromisoformat(str(event["updatedAt"])),
        )


async def attraction_ids(context: Context, global_ids: Sequence[relay.GlobalID]) -> list[str]:
    """The attractions a subscription names, each once; BAD_USER_INPUT unless all exist.

    An unknown id fails the subscription at once rather than waiting silently forever for
    events that will never come.
    """
    if not 1 <= len(global_ids) <= MAX_ATTRACTIONS:
        raise BadUserInput(msg("Give 1 to {n} attraction ids.", n=MAX_ATTRACTIONS), field=FIELD)
    if any(global_id.type_name != ATTRACTION for global_id in global_ids):
        raise BadUserInput("Not an Attraction id.", field=FIELD)
    ids = list(dict.fromkeys(global_id.node_id for global_id in global_ids))
    found = await context.loader(AttractionByIdLoader).load_many(ids)
    if any(attraction is None for attraction in found):
        raise BadUserInput("No attraction with this id.", field=FIELD)
    return ids


async def crowd_level_changes(
    context: Context, global_ids: Sequence[relay.GlobalID]
) -> AsyncIterator[CrowdLevelChange]:
    """Each change of the named attractions' crowd levels, from whichever replica saw it."""
    ids = await attraction_ids(context, global_ids)
    wanted = set(ids)
    channels = [channel_of(attraction_id) for attraction_id in ids]
    async for event in context.services.broadcaster.listen_many(channels):
        try:
            change = CrowdLevelChange.from_event(event)
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring a malformed crowd event: %r", event)
            continue
        if change.attraction_id in wanted:
            yield change
