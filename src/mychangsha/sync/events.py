"""Mirror the tourism platform's events calendar."""

from __future__ import annotations

from mychangsha.services import Services
from mychangsha.storage.attractions import MirrorSync


async def sync_events(services: Services) -> MirrorSync:
    """Copy every event into the mirror; safe to repeat (it replaces, never duplicates)."""
    events = [e async for e in services.tourism.iter_events()]
    return await services.events.replace_all(events)
