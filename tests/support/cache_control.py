"""What Cache-Control must say: the operation's hint, but never past Changsha's midnight."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

_CHANGSHA = timezone(timedelta(hours=8))


def assert_cache_control(header: str, scope: str, hint_seconds: int) -> None:
    """`{scope}, max-age=N` with N the hint, or the seconds left of the day if fewer.

    The graph answers a moment before this check runs, so N may be one second more than the
    seconds left now.
    """
    kind, _, age = header.partition(", max-age=")
    assert kind == scope, header
    now = datetime.now(_CHANGSHA)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), _CHANGSHA)
    left = math.ceil((midnight - now).total_seconds())
    if left >= hint_seconds + 2:
        assert int(age) == hint_seconds, header
    else:
        assert 1 <= int(age) <= min(hint_seconds, left + 2), (header, left)
