"""What a request learns about itself on its way through the graph, for its access log line.

The access middleware opens a record per HTTP request; the layers that know a fact write it
in (the engine: operation and error codes; the context: the citizen; the response cache: a
hit). A context variable carries the record, so no layer has to pass it along, and layers
running outside any request (background jobs, websocket operations) write into nothing.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from graphql import GraphQLError


@dataclass
class RequestRecord:
    """One request's facts; `codes` keeps the order errors were seen in, without repeats."""

    request_id: str | None
    started: float = field(default_factory=time.perf_counter)
    operation: str | None = None
    operation_type: str | None = None
    citizen: str | None = None
    cache: str | None = None
    codes: list[str] = field(default_factory=list)

    def add_codes(self, codes: Iterable[str]) -> None:
        """Remember error codes (a code seen twice is listed once)."""
        for code in codes:
            if code not in self.codes:
                self.codes.append(code)


RecordToken = contextvars.Token[RequestRecord | None]

_current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "request_record", default=None
)


def open_record(request_id: str | None) -> tuple[RequestRecord, RecordToken]:
    """Start the record of the request running in this context."""
    record = RequestRecord(request_id=request_id)
    return record, _current.set(record)


def close_record(token: RecordToken) -> None:
    """Forget the record once the request is logged."""
    _current.reset(token)


def current_record() -> RequestRecord | None:
    """The record of the request this code runs for, if it runs for one."""
    return _current.get()


def note_operation(name: str | None, operation_type: str | None) -> None:
    """The operation the request ran (as the client named it) and its type."""
    record = _current.get()
    if record is not None:
        record.operation = name
        record.operation_type = operation_type


def note_codes(codes: Iterable[str]) -> None:
    """Error codes the answer carries."""
    record = _current.get()
    if record is not None:
        record.add_codes(codes)


def note_error_codes(errors: Iterable[GraphQLError]) -> None:
    """The codes of an answer's (already coded) errors."""
    note_codes(
        code for error in errors if isinstance(code := (error.extensions or {}).get("code"), str)
    )


def note_citizen(citizen_hash: str) -> None:
    """Who asked, as a keyed hash: logs can be joined per citizen but never name one."""
    record = _current.get()
    if record is not None:
        record.citizen = citizen_hash


def note_cache(outcome: str) -> None:
    """How the answer was made: `hit` (response cache), `hot` (process memory) or `miss`."""
    record = _current.get()
    if record is not None:
        record.cache = outcome
