"""Mirror the government platform's catalogue: services, 一件事 bundles, life events, departments.

Everything is read before anything is written, so a platform failing halfway through (a page
of services, the bundle list) leaves the mirror exactly as it was; the scheduler logs the
failure and search keeps answering from the last good copy.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from mychangsha.integrations.government.client import GovernmentClient
from mychangsha.storage.gov_services import GovCatalogueSync, GovServiceRepository

__all__ = ["GovernmentServices", "sync_catalogue", "sync_government"]


class GovernmentServices(Protocol):
    """What the job needs of `Services` (so it stays testable without the whole process)."""

    @property
    def government(self) -> GovernmentClient:
        """The platform's client."""
        ...

    @property
    def gov_services(self) -> GovServiceRepository:
        """The mirror."""
        ...


async def sync_catalogue(
    client: GovernmentClient, repository: GovServiceRepository
) -> GovCatalogueSync:
    """Copy the whole catalogue into the mirror; safe to repeat (it replaces, never duplicates)."""
    services = [service async for service in client.iter_services()]
    bundles, life_events, departments = await asyncio.gather(
        client.bundles(), client.life_events(), client.departments()
    )
    return await repository.replace_catalogue(services, bundles, life_events, departments)


async def sync_government(services: GovernmentServices) -> GovCatalogueSync:
    """The scheduler's job: `JOBS["government"]`."""
    return await sync_catalogue(services.government, services.gov_services)
