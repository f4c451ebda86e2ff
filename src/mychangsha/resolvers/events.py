"""What the events calendar means: a window of local days over the mirror, paged, and lookups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from strawberry.dataloader import DataLoader

from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg
from mychangsha.integrations.tourism.models import Event, EventCategory
from mychangsha.platform.clock import today_in_changsha
from mychangsha.resolvers.pagination import PageWindow, window
from mychangsha.services import Services

DEFAULT_SPAN_DAYS = 30
MAX_SPAN_DAYS = 366


class EventByIdLoader(DataLoader[str, Event | None]):
    """Events from the mirror, batched per request."""

    def __init__(self, services: Services) -> None:
        async def load(ids: Sequence[str]) -> list[Event | None]:
            found = await services.events.by_ids(ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of the calendar, ready to become a Relay connection."""

    events: list[Event]
    window: PageWindow
    has_next_page: bool


def date_range(from_date: date | None, to_date: date | None, today: date) -> tuple[date, date]:
    """The asked days with their defaults (today, then 30 days on), or BAD_USER_INPUT.

    The span is bounded so one query cannot ask for the whole history of the calendar.
    """
    start = today if from_date is None else from_date
    end = start + timedelta(days=DEFAULT_SPAN_DAYS) if to_date is None else to_date
    if end < start:
        raise BadUserInput("to is before from", field="to")
    if (end - start).days > MAX_SPAN_DAYS:
        raise BadUserInput(msg("from…to spans more than {n} days", n=MAX_SPAN_DAYS), field="to")
    return start, end


async def list_events(
    services: Services,
    *,
    from_date: date | None,
    to_date: date | None,
    category: EventCategory | None,
    first: int,
    after: str | None,
    today: date | None = None,
) -> EventPage:
    """Events on at least one day of the range, by start date then id, paged."""
    page = window(first, after)
    start, end = date_range(from_date, to_date, today or today_in_changsha())
    events = await services.events.between(start, end, category, page.offset, page.fetch)
    return EventPage(
        events=events[: page.first], window=page, has_next_page=len(events) > page.first
    )
