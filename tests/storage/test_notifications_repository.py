"""The inbox keeps one notification per event, lists newest first and marks only its owner's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.storage import mongo
from mychangsha.storage.mongo import Document
from mychangsha.storage.notifications import (
    NewNotification,
    NotificationKind,
    NotificationRepository,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(mongo_url: str) -> AsyncIterator[NotificationRepository]:
    client = mongo.connect(mongo_url)
    db: AsyncDatabase[Document] = client.get_database(f"test_inbox_{uuid.uuid4().hex[:8]}")
    repository = NotificationRepository(db)
    await repository.ensure_indexes()
    yield repository
    await client.drop_database(db.name)
    await client.close()


def _new(citizen_id: str, key: str) -> NewNotification:
    return NewNotification(
        citizen_id=citizen_id,
        kind=NotificationKind.BILL_UNPAID,
        title="待缴费用",
        body=key,
        subject_type="Bill",
        subject_id=f"xiangya/{key}",
        dedup_key=f"bill-unpaid:{key}",
    )


async def test_racing_producers_create_one(repo: NotificationRepository) -> None:
    outcomes = await asyncio.gather(*(repo.create(_new("c1", "b1")) for _ in range(10)))
    assert sum(o is not None for o in outcomes) == 1
    assert await repo.unread_count("c1") == 1


async def test_newest_first_with_unread_filter(repo: NotificationRepository) -> None:
    for n in range(5):
        await repo.create(_new("c1", f"b{n}"), now=T0 + timedelta(minutes=n))
    page = await repo.page_of("c1", unread_only=False, offset=1, limit=2)
    assert [n.body for n in page] == ["b3", "b2"]
    await repo.mark_read("c1", [page[0].id])
    unread = await repo.page_of("c1", unread_only=True, offset=0, limit=10)
    assert [n.body for n in unread] == ["b4", "b2", "b1", "b0"]
    assert await repo.unread_count("c1") == 4


async def test_marking_touches_only_the_owners(repo: NotificationRepository) -> None:
    mine = await repo.create(_new("c1", "mine"))
    theirs = await repo.create(_new("c2", "theirs"))
    assert mine is not None and theirs is not None
    marked = await repo.mark_read("c1", [theirs.id, mine.id, "unknown"], now=T0)
    assert [(n.id, n.read_at) for n in marked] == [(mine.id, T0)]
    again = await repo.mark_read("c1", [mine.id], now=T0 + timedelta(hours=1))
    assert again[0].read_at == T0, "the first reading stands"
    assert await repo.unread_count("c2") == 1
    assert await repo.owned("c1", [theirs.id]) == {}
