"""Application status events apply once and never move an application back in time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.storage import mongo
from mychangsha.storage.applications import ApplicationRepository, TimelineEntry
from mychangsha.storage.mongo import Document

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(mongo_url: str) -> AsyncIterator[ApplicationRepository]:
    client = mongo.connect(mongo_url)
    db: AsyncDatabase[Document] = client.get_database(f"test_apps_{uuid.uuid4().hex[:8]}")
    repository = ApplicationRepository(db)
    await repository.ensure_indexes()
    yield repository
    await client.drop_database(db.name)
    await client.close()


async def _submitted(repo: ApplicationRepository, number: str) -> None:
    await repo.create(
        application_id=f"app-{number}",
        citizen_id="c1",
        service_code="430100-SJ-0001",
        bundle_code=None,
        title="企业设立登记",
        number=number,
        status="submitted",
        timeline=[TimelineEntry("submitted", T0, None)],
        material_ids=["m1"],
    )


async def test_an_event_applies_once(repo: ApplicationRepository) -> None:
    await _submitted(repo, "N1")
    changed = await repo.apply_change(
        number="N1", status="accepted", at=T0 + timedelta(minutes=1), event_id="e1"
    )
    assert changed is not None and changed.status == "accepted"
    again = await repo.apply_change(
        number="N1", status="accepted", at=T0 + timedelta(minutes=1), event_id="e1"
    )
    assert again is None
    record = await repo.by_number("N1")
    assert record is not None and [e.status for e in record.timeline] == ["submitted", "accepted"]


async def test_a_late_event_does_not_move_the_status_back(repo: ApplicationRepository) -> None:
    await _submitted(repo, "N2")
    await repo.apply_change(
        number="N2", status="in_review", at=T0 + timedelta(minutes=2), event_id="e2"
    )
    late = await repo.apply_change(
        number="N2", status="accepted", at=T0 + timedelta(minutes=1), event_id="e3"
    )
    assert late is None
    record = await repo.by_number("N2")
    assert record is not None and record.status == "in_review"
    assert [e.status for e in record.timeline] == ["submitted", "accepted", "in_review"]


async def test_unknown_numbers_change_nothing(repo: ApplicationRepository) -> None:
    assert await repo.apply_change(number="NX", status="accepted", at=T0, event_id="e4") is None
    await _submitted(repo, "N3")
    assert [r.number for r in await repo.of_citizen("c1", status=None, offset=0, limit=10)] == [
        "N3"
    ]
    assert await repo.open_numbers() == [("N3", "c1")]


async def test_steps_of_one_instant_apply_in_order_of_progress(
    repo: ApplicationRepository,
) -> None:
    await _submitted(repo, "N4")
    at = T0 + timedelta(minutes=5)
    for event, status in (("e7", "in_review"), ("e6", "accepted"), ("e8", "needs_supplement")):
        await repo.apply_change(number="N4", status=status, at=at, event_id=event)
    record = await repo.by_number("N4")
    assert record is not None and record.status == "needs_supplement"
