"""Run catalogue jobs periodically, once per period across all replicas, and at start only
for mirrors nobody filled within the period (a new database, a long outage)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from mychangsha.background import running
from mychangsha.platform.clock import utc_now
from mychangsha.schema import cache_hints
from mychangsha.services import Services
from mychangsha.storage.sync_state import SyncState
from mychangsha.sync.events import sync_events
from mychangsha.sync.government import sync_government
from mychangsha.sync.hospitals import sync_hospitals
from mychangsha.sync.tourism import sync_attractions

log = logging.getLogger(__name__)

SyncJob = Callable[[Services], Awaitable[object]]

JOBS: Mapping[str, SyncJob] = {
    "attractions": sync_attractions,
    "hospitals": sync_hospitals,
    "government": sync_government,
    "events": sync_events,
}


# The cached answers each mirror feeds: a sync ends them (it may have changed anything).
CATALOGUE_TAGS: Mapping[str, tuple[str, ...]] = {
    "attractions": (cache_hints.ATTRACTIONS,),
    "hospitals": (cache_hints.HOSPITALS,),
    "government": (cache_hints.GOV_CATALOGUE,),
    "events": (cache_hints.EVENTS,),
}


async def run_job(services: Services, name: str, job: SyncJob) -> bool:
    """Run one job; a failing upstream is logged, never fatal: the mirror stays as it was."""
    try:
        outcome = await job(services)
    except Exception:
        log.exception("catalogue sync %s failed; serving the existing mirror", name)
        return False
    log.info("catalogue sync %s: %s", name, outcome)
    await SyncState(services.db).mark_synced(name, utc_now())
    await services.response_cache.invalidate(CATALOGUE_TAGS.get(name, ()))
    return True


async def run_all(services: Services, jobs: Mapping[str, SyncJob] = JOBS) -> dict[str, bool]:
    """Every job once, concurrently; the answer says which succeeded."""
    names = list(jobs)
    results = await asyncio.gather(*(run_job(services, n, jobs[n]) for n in names))
    return dict(zip(names, results, strict=True))


async def run_stale(
    services: Services, max_age: float, jobs: Mapping[str, SyncJob] = JOBS
) -> dict[str, bool]:
    """At start: the jobs whose mirror was not filled within `max_age` seconds, concurrently.

    Replicas and subgraphs that start beside a running graph find the mirrors fresh and
    listen at once; only a new or long-neglected database is filled before serving.
    """
    state = SyncState(services.db)
    stale = {}
    for name, job in jobs.items():
        last = await state.last_synced(name)
        if last is None or (utc_now() - _aware(last)).total_seconds() >= max_age:
            stale[name] = job
    if len(stale) < len(jobs):
        log.info("catalogue mirrors fresh, not synced at start: %s", sorted(set(jobs) - set(stale)))
    return await run_all(services, stale)


def _aware(moment: datetime) -> datetime:
    """MongoDB hands datetimes back naive (in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _claim_period(services: Services, name: str, seconds: float) -> bool:
    """Only one replica runs a job per period: the first to set the Redis key wins."""
    try:
        key = f"mychangsha:sync:{name}"
        return bool(await services.redis.set(key, b"1", nx=True, ex=max(int(seconds), 1)))
    except Exception:  # without Redis every replica syncs: redundant but harmless
        return True


async def run_periodically(
    services: Services, interval: float, jobs: Mapping[str, SyncJob] = JOBS
) -> None:
    """Loop forever (until cancelled), running each job whose period this replica claimed."""
    while True:
        await asyncio.sleep(interval)
        for name, job in jobs.items():
            if await _claim_period(services, name, interval * 0.9):
                await run_job(services, name, job)


def background_sync(
    services: Services, interval: float
) -> contextlib.AbstractAsyncContextManager[None]:
    """Keep the mirrors fresh while the block runs."""
    return running(run_periodically(services, interval), name="catalogue-sync")


async def poll_applications_forever(services: Services, interval: float) -> None:
    """The application poller: catches status changes a webhook missed, once per period."""
    from mychangsha.resolvers.government import poll_open_applications

    while True:
        await asyncio.sleep(interval)
        if await _claim_period(services, "applications-poll", interval * 0.9):
            try:
                applied = await poll_open_applications(services)
            except Exception:
                log.exception("application poll failed; the next period tries again")
            else:
                if applied:
                    log.info("application poll applied %d missed change(s)", applied)


async def remind_forever(services: Services, interval: float) -> None:
    """The reminder jobs (sync/reminders.py), each once per period across replicas."""
    from mychangsha.sync.reminders import REMINDER_JOBS

    while True:
        await asyncio.sleep(interval)
        for name, job in REMINDER_JOBS.items():
            if not await _claim_period(services, f"reminders:{name}", interval * 0.9):
                continue
            try:
                created = await job(services)
            except Exception:
                log.exception("reminder job %s failed; the next period tries again", name)
            else:
                if created:
                    log.info("reminder job %s created %d notification(s)", name, created)


def background_reminders(
    services: Services, interval: float
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run the reminder jobs while the block runs."""
    return running(remind_forever(services, interval), name="reminders")


def background_poll(
    services: Services, interval: float
) -> contextlib.AbstractAsyncContextManager[None]:
    """Poll unfinished applications while the block runs."""
    return running(poll_applications_forever(services, interval), name="applications-poll")
