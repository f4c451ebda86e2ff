"""Mirror the tourism platform's attraction catalogue."""

from __future__ import annotations

from mychangsha.services import Services
from mychangsha.storage.attractions import MirrorSync


async def sync_attractions(services: Services) -> MirrorSync:
    """Copy every attraction into the mirror; safe to repeat (it replaces, never duplicates)."""
    attractions = [a async for a in services.tourism.iter_attractions()]
    return await services.attractions.replace_catalogue(attractions)
