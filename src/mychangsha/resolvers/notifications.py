"""What the notifications inbox means: creating a notification once, listing, marking, live.

Every producer (the application status path, the reminder jobs) goes through `notify`: the
repository keeps one notification per source event, and only the call that created it tells
the citizen's open subscriptions, through Redis, whichever replica holds them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from mychangsha.cache.responses import forget_private_answers
from mychangsha.context import Context
from mychangsha.errors import NotFound
from mychangsha.services import Services
from mychangsha.storage.applications import ApplicationRecord
from mychangsha.storage.notifications import NewNotification, Notification, NotificationKind

APPLICATION_STATUS_LABELS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_review": "审核中",
    "needs_supplement": "需补充材料",
    "approved": "已通过",
    "rejected": "未通过",
    "completed": "已办结",
}


def channel_of(citizen_id: str) -> str:
    """The live-update channel of one citizen's inbox."""
    return f"notifications:{citizen_id}"


async def notify(services: Services, new: NewNotification) -> Notification | None:
    """Create a notification once per event and push it live; None when it existed already."""
    created = await services.notifications.create(new)
    if created is not None:
        await forget_private_answers(services.response_cache, created.citizen_id)
        await services.broadcaster.publish(channel_of(created.citizen_id), to_event(created))
    return created


async def notify_application_status(
    services: Services, record: ApplicationRecord, *, at: datetime
) -> Notification | None:
    """Tell the applicant their application moved to its current status (once per step)."""
    label = APPLICATION_STATUS_LABELS.get(record.status, record.status)
    number = f"（{record.number}）" if record.number else ""
    return await notify(
        services,
        NewNotification(
            citizen_id=record.citizen_id,
            kind=NotificationKind.APPLICATION_STATUS,
            title=f"办件进度：{label}",
            body=f"您的「{record.title}」{number}{label}。",
            subject_type="Application",
            subject_id=record.id,
            dedup_key=f"application:{record.id}:{record.status}:{at.isoformat()}",
        ),
    )


def to_event(notification: Notification) -> dict[str, Any]:
    """A notification as the JSON event its subscribers receive."""
    return {
        "id": notification.id,
        "citizenId": notification.citizen_id,
        "kind": notification.kind.value,
        "title": notification.title,
        "body": notification.body,
        "subjectType": notification.subject_type,
        "subjectId": notification.subject_id,
        "createdAt": notification.created_at.isoformat(),
        "readAt": None if notification.read_at is None else notification.read_at.isoformat(),
    }


def from_event(event: Mapping[str, Any]) -> Notification:
    """The notification inside a subscription event."""
    read_at = event.get("readAt")
    return Notification(
        id=str(event["id"]),
        citizen_id=str(event["citizenId"]),
        kind=NotificationKind(str(event["kind"])),
        title=str(event["title"]),
        body=str(event["body"]),
        subject_type=str(event["subjectType"]),
        subject_id=str(event["subjectId"]),
        created_at=datetime.fromisoformat(str(event["createdAt"])),
        read_at=None if read_at is None else datetime.fromisoformat(str(read_at)),
    )


# --- the inbox --------------------------------------------------------------------------------


async def _citizen_id(context: Context) -> str:
    return (await context.require_claims()).citizen_id


async def unread_count(services: Services, citizen_id: str) -> int:
    """The citizen's unread notifications: the inbox badge, also shown on the home screen."""
    return await services.notifications.unread_count(citizen_id)


async def my_notifications(
    context: Context, *, unread_only: bool, offset: int, limit: int
) -> tuple[list[Notification], int]:
    """A page of the caller's inbox, newest first, and how many are unread."""
    citizen_id = await _citizen_id(context)
    repository = context.services.notifications
    page = await repository.page_of(citizen_id, unread_only=unread_only, offset=offset, limit=limit)
    return page, await repository.unread_count(citizen_id)


async def owned_notification(context: Context, notification_id: str) -> Notification:
    """One of the caller's notifications; NOT_FOUND for anyone else's, as for unknown ids."""
    citizen_id = await _citizen_id(context)
    found = await context.services.notifications.owned(citizen_id, [notification_id])
    if notification_id not in found:
        raise NotFound("No such notification.")
    return found[notification_id]


async def mark_read(context: Context, ids: Sequence[str]) -> tuple[list[Notification], int]:
    """Mark the caller's own notifications among `ids` read; them and the new unread count.

    Ids of other citizens' notifications are ignored, exactly like unknown ones.
    """
    citizen_id = await _citizen_id(context)
    repository = context.services.notifications
    marked = await repository.mark_read(citizen_id, ids)
    return marked, await repository.unread_count(citizen_id)


async def received(context: Context) -> AsyncIterator[Notification]:
    """The caller's new notifications, live, from whichever replica created them."""
    citizen_id = await _citizen_id(context)
    async for event in context.services.broadcaster.listen(channel_of(citizen_id)):
        yield from_event(event)
