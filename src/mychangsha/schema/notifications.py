"""The notifications inbox in the graph: the list with its unread count, marking, live."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg
from mychangsha.resolvers import notifications as resolvers
from mychangsha.resolvers.pagination import MAX_PAGE, window
from mychangsha.schema.common import Info, page_info
from mychangsha.schema.mutation_limits import mutation
from mychangsha.storage import notifications as storage

NOTIFICATION = "Notification"


@strawberry.enum(description="What a notification is about.")
class NotificationKind(enum.Enum):
    APPLICATION_STATUS = "application_status"
    APPOINTMENT_REMINDER = "appointment_reminder"
    BILL_UNPAID = "bill_unpaid"
    TICKET_TODAY = "ticket_today"


@strawberry.type(description="A message of your inbox.")
class Notification(relay.Node):
    id: relay.NodeID[str]
    kind: NotificationKind
    title: str
    body: str
    subject_id: relay.GlobalID = strawberry.field(
        description="What it is about: an Application, Appointment, Bill or TicketOrder."
    )
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_domain(cls, notification: storage.Notification) -> Self:
        """The graph's view of a stored notification."""
        return cls(
            id=notification.id,
            kind=NotificationKind(notification.kind.value),
            title=notification.title,
            body=notification.body,
            subject_id=relay.GlobalID(notification.subject_type, notification.subject_id),
            created_at=notification.created_at,
            read_at=notification.read_at,
        )

    @strawberry.field(description="Whether you have read it.")
    def read(self) -> bool:
        return self.read_at is not None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Your own notifications only (NOT_FOUND otherwise)."""
        return [
            cls.from_domain(await resolvers.owned_notification(info.context, node_id))
            for node_id in node_ids
        ]


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type(description="Your notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: relay.PageInfo
    unread_count: int = strawberry.field(description="All your unread notifications.")


@strawberry.type(description="The notifications marked read, and what is left unread.")
class NotificationMarkReadPayload:
    notifications: list[Notification]
    unread_count: int


def _node_ids(ids: list[relay.GlobalID]) -> list[str]:
    if len(ids) > MAX_PAGE:
        raise BadUserInput(msg("At most {n} ids at once.", n=MAX_PAGE), field="ids")
    if any(i.type_name != NOTIFICATION for i in ids):
        raise BadUserInput("Not a Notification id.", field="ids")
    return [i.node_id for i in ids]


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="Your notifications, newest first (signed in).")
    async def notifications(
        self,
        info: Info,
        unread_only: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> NotificationConnection:
        page = window(first, after)
        found, unread = await resolvers.my_notifications(
            info.context, unread_only=unread_only, offset=page.offset, limit=page.fetch
        )
        edges = [
            NotificationEdge(cursor=page.cursor(i), node=Notification.from_domain(n))
            for i, n in enumerate(found[: page.first])
        ]
        return NotificationConnection(
            edges=edges,
            page_info=page_info(page, [e.cursor for e in edges], has_next=len(found) > page.first),
            unread_count=unread,
        )


@strawberry.type
class NotificationMutation:
    @mutation(description="Mark some of your notifications read; others' ids are ignored.")
    async def notification_mark_read(
        self, info: Info, ids: list[relay.GlobalID]
    ) -> NotificationMarkReadPayload:
        marked, unread = await resolvers.mark_read(info.context, _node_ids(ids))
        return NotificationMarkReadPayload(
            notifications=[Notification.from_domain(n) for n in marked], unread_count=unread
        )


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(description="Your new notifications, live (signed in).")
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        async for notification in resolvers.received(info.context):
            yield Notification.from_domain(notification)
