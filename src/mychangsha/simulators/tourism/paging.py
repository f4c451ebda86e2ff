"""One paging shape for every list of the platform: `?page=&pageSize=` in, a page body out.

Every list the platform serves pages the same way, ordered by id, with a relative `next` link
that is null on the last page; keeping it in one place keeps the feeds alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from starlette.requests import Request

from mychangsha.simulators.base import ApiError

_DIGITS: Final = re.compile(r"[0-9]{1,9}")
MAX_PAGE: Final = 1_000_000


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A bounded integer query parameter, or a 400 in the error shape."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def page_body(
    request: Request, path: str, records: Sequence[Any], *, default_size: int, max_size: int
) -> dict[str, Any]:
    """The page the request asks for out of records already in their stable order."""
    page = int_param(request, "page", 1, 1, MAX_PAGE)
    size = int_param(request, "pageSize", default_size, 1, max_size)
    start = (page - 1) * size
    more = start + size < len(records)
    return {
        "items": list(records[start : start + size]),
        "page": page,
        "pageSize": size,
        "total": len(records),
        "next": f"{path}?page={page + 1}&pageSize={size}" if more else None,
    }
