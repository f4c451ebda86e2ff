"""Process-wide handles opened once in the lifespan: storage, cache and upstream clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.tourism.client import TourismClient
from mychangsha.settings import Settings
from mychangsha.storage import mongo
from mychangsha.storage.attractions import AttractionRepository
from mychangsha.storage.mongo import Document


class MissingConfiguration(RuntimeError):
    """A setting the process cannot run without is absent."""


@dataclass(frozen=True)
class Services:
    """Everything a request may use, shared by all requests of a process."""

    settings: Settings
    mongo: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    redis: Redis
    tourism_upstream: UpstreamClient
    tourism: TourismClient
    attractions: AttractionRepository

    async def ensure_indexes(self) -> None:
        """Create every collection's indexes; idempotent, run at start."""
        await self.attractions.ensure_indexes()


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open every client once and close them all however the process ends."""
    if not settings.mongodb_uri or not settings.redis_url:
        missing = [
            n
            for n, v in (("MONGODB_URI", settings.mongodb_uri), ("REDIS_URL", settings.redis_url))
            if not v
        ]
        raise MissingConfiguration(f"missing setting(s): {', '.join(missing)}")
    mongo_client = mongo.connect(settings.mongodb_uri)
    redis_client = redis_cache.connect(settings.redis_url)
    tourism_upstream = UpstreamClient(settings.tourism_upstream(), redis_client)
    db = mongo.database(mongo_client, settings.mongodb_database)
    try:
        yield Services(
            settings=settings,
            mongo=mongo_client,
            db=db,
            redis=redis_client,
            tourism_upstream=tourism_upstream,
            tourism=TourismClient(
                tourism_upstream, crowd_cache_seconds=settings.crowd_cache_seconds
            ),
            attractions=AttractionRepository(db),
        )
    finally:
        await tourism_upstream.aclose()
        await redis_client.aclose()
        await mongo_client.close()
