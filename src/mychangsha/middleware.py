"""Request ids: the caller's when well-formed, else made here; carried in a context variable
so every log line of a request names it (observability/access.py assigns and echoes them)."""

from __future__ import annotations

import contextvars
import itertools
import os
import re
import secrets

from starlette.types import Scope

REQUEST_ID_HEADER = "x-request-id"
ARRIVED = "arrived"  # scope state: time.monotonic() when the request reached the graph
HEADER_NAME = REQUEST_ID_HEADER.encode()
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


class RequestIds:
    """New request ids: 64 random bits per process, then a counter (32 hex digits in all).

    Unique across processes and replicas like a random UUID, without asking the OS for
    randomness on every request; a forked child notices its new pid and draws its own bits.
    """

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._counter = itertools.count()

    def new(self) -> str:
        """The next id of this process."""
        if self._pid != os.getpid():
            self._pid, self._prefix = os.getpid(), secrets.token_hex(8)
            self._counter = itertools.count()
        return f"{self._prefix}{next(self._counter):016x}"


_ids = RequestIds()


def assign_request_id(scope: Scope) -> str:
    """The request's id: the caller's `X-Request-Id` when well-formed, else a new one."""
    incoming = next(
        (value for name, value in scope.get("headers") or () if name == HEADER_NAME), b""
    ).decode("latin-1")
    return incoming if incoming and _SAFE_ID.match(incoming) else _ids.new()
