"""Mirror every hospital's FHIR catalogue (hospital, departments, doctors) into MongoDB.

Hospitals are separate servers that fail separately: one down, slow or malformed hospital
is logged and skipped, its mirror left as it was, and the others sync regardless. The job
fails as a whole only when nothing could be synced (directory unreachable, or every
hospital failed), so the scheduler's log says which it was.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from mychangsha.integrations.hospital.client import HospitalClients
from mychangsha.integrations.hospital.models import HospitalEndpoint
from mychangsha.storage.hospitals import CatalogueSync, HospitalRepository

__all__ = ["HospitalServices", "HospitalSync", "HospitalSyncFailed", "sync_catalogues"]

log = logging.getLogger(__name__)

# Enough to sync 251 hospitals in a few round trips, few enough not to look like an attack.
CONCURRENCY = 8


class HospitalServices(Protocol):
    """What the job needs of `Services` (so it stays testable without the whole process)."""

    @property
    def hospital_clients(self) -> HospitalClients:
        """The per-hospital FHIR clients."""
        ...

    @property
    def hospitals(self) -> HospitalRepository:
        """The mirror."""
        ...


@dataclass(frozen=True, slots=True)
class HospitalSync:
    """One run: what each hospital's sync changed, which hospitals failed, what was dropped."""

    synced: tuple[CatalogueSync, ...]
    failed: tuple[str, ...]
    removed_hospitals: int

    @property
    def complete(self) -> bool:
        """Every hospital of the directory was synced."""
        return not self.failed

    def __str__(self) -> str:
        """One log line: counts, and the failed hospitals by code."""
        doctors = sum(s.doctors for s in self.synced)
        text = (
            f"{len(self.synced)} hospitals synced ({doctors} doctors), "
            f"{self.removed_hospitals} removed"
        )
        return text + (f"; FAILED: {', '.join(self.failed)}" if self.failed else "")


class HospitalSyncFailed(RuntimeError):
    """No hospital could be synced: the mirror is unchanged."""


async def sync_hospitals(services: HospitalServices) -> HospitalSync:
    """The scheduler's job: every hospital of the directory into the mirror."""
    return await sync_catalogues(services.hospital_clients, services.hospitals)


async def sync_catalogues(
    clients: HospitalClients, repository: HospitalRepository, *, concurrency: int = CONCURRENCY
) -> HospitalSync:
    """Sync each hospital independently; hospitals gone from the directory leave the mirror."""
    endpoints = await clients.endpoints()
    if not endpoints:
        raise HospitalSyncFailed("the hospital directory is empty")
    gate = asyncio.Semaphore(concurrency)
    outcomes = await asyncio.gather(*(_sync_one(clients, repository, e, gate) for e in endpoints))
    synced = tuple(o for o in outcomes if o is not None)
    failed = tuple(e.code for e, o in zip(endpoints, outcomes, strict=True) if o is None)
    if not synced:
        raise HospitalSyncFailed(f"no hospital could be synced ({len(failed)} failed)")
    removed = await repository.retain_hospitals([e.code for e in endpoints])
    return HospitalSync(synced=synced, failed=failed, removed_hospitals=removed)


async def _sync_one(
    clients: HospitalClients,
    repository: HospitalRepository,
    endpoint: HospitalEndpoint,
    gate: asyncio.Semaphore,
) -> CatalogueSync | None:
    """One hospital; any failure is logged and reported as None, never raised."""
    async with gate:
        try:
            catalogue = await clients.register(endpoint).catalogue()
            return await repository.replace_catalogue(endpoint.code, catalogue)
        except Exception:
            log.exception(
                "hospital catalogue sync failed for %s; keeping its mirror", endpoint.code
            )
            return None
