"""Relay cursor pagination shared by every connection: opaque offset cursors, bounded pages."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.relay.utils import from_base64, to_base64

from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg

CURSOR_PREFIX = "arrayconnection"
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class PageWindow:
    """Which slice to read: one more than asked, to know whether a next page exists."""

    offset: int
    first: int

    @property
    def fetch(self) -> int:
        """Rows to ask storage for."""
        return self.first + 1

    def cursor(self, index_in_page: int) -> str:
        """The opaque cursor of the n-th row of this page."""
        return to_base64(CURSOR_PREFIX, self.offset + index_in_page)


def window(first: int, after: str | None) -> PageWindow:
    """Validate `first`/`after` and turn them into an offset window."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(msg("first must be between 1 and {n}", n=MAX_PAGE), field="first")
    if after is None:
        return PageWindow(offset=0, first=first)
    try:
        prefix, raw = from_base64(after)
        offset = int(raw) + 1
    except (ValueError, TypeError) as exc:
        raise BadUserInput("after is not a cursor of this connection", field="after") from exc
    if prefix != CURSOR_PREFIX or offset < 1:
        raise BadUserInput("after is not a cursor of this connection", field="after")
    return PageWindow(offset=offset, first=first)
