"""Process-wide handles opened once in the lifespan: storage, cache and upstream clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from mychangsha.auth.crypto import FieldCipher, InvalidMasterKey
from mychangsha.auth.identity import Identity, build_identity
from mychangsha.cache import redis as redis_cache
from mychangsha.cache.apq import APQStore
from mychangsha.cache.pubsub import Broadcaster
from mychangsha.cache.responses import ResponseCache
from mychangsha.integrations.government import GovernmentClient
from mychangsha.integrations.hospital.client import HospitalClients
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.payment import PaymentClient
from mychangsha.integrations.realname.client import RealNameClient
from mychangsha.integrations.sms.client import SmsClient
from mychangsha.integrations.tourism.client import TourismClient
from mychangsha.integrations.tourism.reservations import ReservationClient
from mychangsha.integrations.wechat.client import WechatClient
from mychangsha.settings import Settings
from mychangsha.storage import mongo
from mychangsha.storage.applications import ApplicationRepository
from mychangsha.storage.attractions import AttractionRepository
from mychangsha.storage.audit import AuditLog
from mychangsha.storage.bookings import BookingRepository
from mychangsha.storage.events import EventRepository
from mychangsha.storage.gov_services import GovServiceRepository
from mychangsha.storage.hospitals import HospitalRepository
from mychangsha.storage.materials import MaterialStore
from mychangsha.storage.mongo import Document
from mychangsha.storage.notifications import NotificationRepository
from mychangsha.storage.payments import PaymentRepository
from mychangsha.storage.tickets import TicketOrderRepository


class MissingConfiguration(RuntimeError):
    """A setting the process cannot run without is absent."""


@dataclass(frozen=True)
class Services:
    """Everything a request may use, shared by all requests of a process."""

    settings: Settings
    mongo: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    redis: Redis
    upstreams: tuple[UpstreamClient, ...]
    tourism: TourismClient
    attractions: AttractionRepository
    reservations: ReservationClient
    tickets: TicketOrderRepository
    identity: Identity
    hospitals: HospitalRepository
    hospital_clients: HospitalClients
    bookings: BookingRepository
    audit: AuditLog
    payments: PaymentRepository
    payment: PaymentClient | None  # None when no merchant key is configured
    government: GovernmentClient
    gov_services: GovServiceRepository
    applications: ApplicationRepository
    events: EventRepository
    materials: MaterialStore
    broadcaster: Broadcaster
    response_cache: ResponseCache
    apq: APQStore
    notifications: NotificationRepository

    async def ensure_indexes(self) -> None:
        """Create every collection's indexes (and the first signing key); idempotent."""
        await self.attractions.ensure_indexes()
        await self.identity.ensure_ready()
        await self.hospitals.ensure_indexes()
        await self.bookings.ensure_indexes()
        await self.audit.ensure_indexes()
        await self.payments.ensure_indexes()
        await self.tickets.ensure_indexes()
        await self.gov_services.ensure_indexes()
        await self.applications.ensure_indexes()
        await self.events.ensure_indexes()
        await self.notifications.ensure_indexes()


REQUIRED_SETTINGS = ("MONGODB_URI", "REDIS_URL", "MASTER_KEY")


def missing_settings(settings: Settings) -> list[str]:
    """The required settings that are absent, by their environment names."""
    present = {
        "MONGODB_URI": settings.mongodb_uri,
        "REDIS_URL": settings.redis_url,
        "MASTER_KEY": settings.master_key,
    }
    return [name for name in REQUIRED_SETTINGS if not present[name]]


def _payment_client(settings: Settings, upstream: UpstreamClient) -> PaymentClient | None:
    if settings.payment_merchant_private_key is None:
        return None
    return PaymentClient(
        upstream,
        app_id=settings.payment_app_id,
        mch_id=settings.payment_mch_id,
        api_v3_key=settings.payment_api_v3_key.get_secret_value(),
        merchant_private_key_pem=settings.payment_merchant_private_key.get_secret_value().encode(),
    )


def _cipher(settings: Settings) -> FieldCipher:
    if settings.master_key is None:
        raise MissingConfiguration("missing setting(s): MASTER_KEY")
    try:
        return FieldCipher.from_setting(settings.master_key.get_secret_value())
    except InvalidMasterKey as exc:
        raise MissingConfiguration(f"MASTER_KEY is not usable: {exc}") from exc


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open every client once and close them all however the process ends."""
    missing = missing_settings(settings)
    if missing or not settings.mongodb_uri or not settings.redis_url:
        raise MissingConfiguration(f"missing setting(s): {', '.join(missing)}")
    cipher = _cipher(settings)
    mongo_client = mongo.connect(settings.mongodb_uri)
    redis_client = redis_cache.connect(settings.redis_url)
    tourism_upstream = UpstreamClient(settings.tourism_upstream(), redis_client)
    sms_upstream = UpstreamClient(settings.upstream("sms", settings.sms_base_url), redis_client)
    wechat_upstream = UpstreamClient(
        settings.upstream("wechat", settings.wechat_base_url), redis_client
    )
    realname_upstream = UpstreamClient(
        settings.upstream("realname", settings.realname_base_url), redis_client
    )
    payment_upstream = UpstreamClient(
        settings.upstream("payment", settings.payment_base_url), redis_client
    )
    government_upstream = UpstreamClient(
        settings.upstream("government", settings.government_base_url), redis_client
    )
    upstreams = (
        government_upstream,
        tourism_upstream,
        sms_upstream,
        wechat_upstream,
        realname_upstream,
        payment_upstream,
    )
    hospital_clients = HospitalClients(settings, redis_client)
    db = mongo.database(mongo_client, settings.mongodb_database)
    try:
        yield Services(
            settings=settings,
            mongo=mongo_client,
            db=db,
            redis=redis_client,
            upstreams=upstreams,
            tourism=TourismClient(
                tourism_upstream, crowd_cache_seconds=settings.crowd_cache_seconds
            ),
            attractions=AttractionRepository(db),
            reservations=ReservationClient(
                tourism_upstream, slot_cache_seconds=settings.slot_cache_seconds
            ),
            tickets=TicketOrderRepository(db),
            identity=build_identity(
                settings,
                cipher=cipher,
                db=db,
                redis=redis_client,
                sms=SmsClient(sms_upstream),
                wechat=WechatClient(
                    wechat_upstream,
                    app_id=settings.wechat_app_id,
                    app_secret=settings.wechat_app_secret.get_secret_value(),
                ),
                realname=RealNameClient(realname_upstream),
            ),
            hospitals=HospitalRepository(db),
            hospital_clients=hospital_clients,
            bookings=BookingRepository(db),
            audit=AuditLog(db),
            payments=PaymentRepository(db),
            payment=_payment_client(settings, payment_upstream),
            government=GovernmentClient(government_upstream),
            gov_services=GovServiceRepository(db),
            applications=ApplicationRepository(db),
            events=EventRepository(db),
            materials=MaterialStore(db),
            broadcaster=Broadcaster(redis_client),
            response_cache=ResponseCache(redis_client),
            apq=APQStore(redis_client),
            notifications=NotificationRepository(db),
        )
    finally:
        await hospital_clients.aclose()
        for upstream in upstreams:
            await upstream.aclose()
        await redis_client.aclose()
        await mongo_client.close()
