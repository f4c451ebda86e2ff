"""FHIR search: parameter parsing (token, reference, date prefixes) and paged searchset Bundles.

The simulator is strict where real servers are lenient: an unknown search parameter or
`_include` is a 400 naming it (a real server would silently ignore it and return too much),
so a client bug shows up in the graph's tests instead of in production. Pages are cut by
`_count` (default 20, at most 100) and linked with absolute `next`/`previous` URLs carrying
`_offset`; `total` counts every match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeVar

from starlette.datastructures import QueryParams
from starlette.requests import Request

from mychangsha.simulators.hospital.fhir import FhirError, FhirResponse, Resource
from mychangsha.simulators.hospital.records import new_id
from mychangsha.simulators.hospital.sessions import SHANGHAI

T = TypeVar("T")

DEFAULT_COUNT: Final = 20
MAX_COUNT: Final = 100
_ALWAYS: Final = frozenset({"_count", "_offset", "_format", "_pretty"})
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_PREFIXES: Final = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_DATE: Final = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def bad_request(diagnostics: str) -> FhirError:
    """A 400 for a malformed search or body."""
    return FhirError(400, "invalid", diagnostics)


def _int(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw):
        raise bad_request(f"{name} must be a non-negative integer, got {raw!r}")
    return int(raw)


class SearchQuery:
    """A request's search parameters, checked against what the endpoint supports."""

    def __init__(
        self, request: Request, allowed: Iterable[str], includes: Iterable[str] = ()
    ) -> None:
        params = request.query_params
        supported_includes = frozenset(includes)
        known = _ALWAYS | frozenset(allowed) | ({"_include"} if supported_includes else set())
        unknown = sorted(set(params.keys()) - known)
        if unknown:
            raise FhirError(
                400, "not-supported", f"unsupported search parameter(s): {', '.join(unknown)}"
            )
        self.params = params
        self.count = min(_int(params, "_count", DEFAULT_COUNT), MAX_COUNT)
        self.offset = _int(params, "_offset", 0)
        self.includes = frozenset(params.getlist("_include"))
        if wrong := sorted(self.includes - supported_includes):
            raise FhirError(400, "not-supported", f"unsupported _include: {', '.join(wrong)}")

    def occurrences(self, name: str) -> list[list[str]]:
        """Each occurrence of a parameter (ANDed), split on commas (ORed)."""
        return [
            [part.strip() for part in raw.split(",") if part.strip()]
            for raw in self.params.getlist(name)
        ]

    def accepts(self, name: str, predicate: Callable[[str], bool]) -> bool:
        """Whether a resource passes every occurrence of one parameter (true when absent)."""
        return all(any(predicate(value) for value in values) for values in self.occurrences(name))


def reference_id(value: str, resource_type: str) -> str | None:
    """The id a reference parameter names: `Type/id`, bare `id`, or an absolute URL."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return parts[0]
    return parts[-1] if parts[-2] == resource_type else None


def token_matches(value: str, system: str, code: str) -> bool:
    """FHIR token matching: `system|code`, `system|` (any code), or `code` alone."""
    if "|" not in value:
        return value == code
    wanted_system, wanted_code = value.split("|", 1)
    return wanted_system == system and wanted_code in ("", code)


@dataclass(frozen=True, slots=True)
class DateFilter:
    """A date search value: a prefix and the interval its precision covers."""

    prefix: str
    low: datetime
    high: datetime

    def matches(self, moment: datetime) -> bool:
        """FHIR's prefix semantics against a point in time."""
        inside = self.low <= moment < self.high
        return {
            "eq": inside,
            "ne": not inside,
            "gt": moment >= self.high,
            "ge": moment >= self.low,
            "lt": moment < self.low,
            "le": moment < self.high,
        }[self.prefix]


def _interval(match: re.Match[str]) -> tuple[datetime, datetime]:
    year = int(match["y"])
    if match["m"] is None:
        return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    month = int(match["m"])
    if match["d"] is None:
        after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
        return datetime(year, month, 1, tzinfo=SHANGHAI), after
    day = datetime(year, month, int(match["d"]), tzinfo=SHANGHAI)
    if match["H"] is None:
        return day, day + timedelta(days=1)
    tz = match["tz"]
    zone = datetime.fromisoformat(f"2000-01-01T00:00{'+00:00' if tz == 'Z' else tz}").tzinfo
    low = datetime(
        year, month, int(match["d"]), int(match["H"]), int(match["M"]), int(match["S"] or 0),
        tzinfo=zone or SHANGHAI,
    )  # fmt: skip
    return low, low + timedelta(seconds=1 if match["S"] is not None else 60)


def parse_date(value: str) -> DateFilter:
    """`ge2025-05-15T08:00:00+08:00`, `lt2025-05-16`, … (no offset means Asia/Shanghai)."""
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    rest = value[2:] if value[:2] in _PREFIXES else value
    match = _DATE.fullmatch(rest)
    if match is None:
        hint = " (percent-encode the + of the offset)" if " " in rest else ""
        raise bad_request(f"invalid date search value {value!r}{hint}")
    try:
        low, high = _interval(match)
    except ValueError as exc:
        raise bad_request(f"invalid date search value {value!r}: {exc}") from exc
    return DateFilter(prefix, low, high)


def date_filters(query: SearchQuery, name: str) -> list[DateFilter]:
    """Every value of a date parameter (all must match; commas are not allowed here)."""
    return [parse_date(value) for values in query.occurrences(name) for value in values]


def fhir_base(request: Request, code: str) -> str:
    """The absolute FHIR base URL of a hospital, as this request reached the simulator."""
    return f"{str(request.base_url).rstrip('/')}/fhir/{code}"


def _entry(base: str, resource: Resource, mode: str) -> Resource:
    url = f"{base}/{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": url, "resource": resource, "search": {"mode": mode}}


def searchset(
    request: Request,
    query: SearchQuery,
    base: str,
    items: Sequence[T],
    render: Callable[[T], Resource],
    include: Callable[[Sequence[T]], list[Resource]] | None = None,
) -> Resource:
    """One page of matches (rendered only for the page) plus included resources, linked."""
    page = items[query.offset : query.offset + query.count]
    entries = [_entry(base, render(item), "match") for item in page]
    if include is not None and page:
        entries += [_entry(base, resource, "include") for resource in include(page)]
    links = [{"relation": "self", "url": str(request.url)}]
    if query.count and query.offset + query.count < len(items):
        after = request.url.include_query_params(
            _offset=query.offset + query.count, _count=query.count
        )
        links.append({"relation": "next", "url": str(after)})
    if query.offset and query.count:
        before = request.url.include_query_params(
            _offset=max(query.offset - query.count, 0), _count=query.count
        )
        links.append({"relation": "previous", "url": str(before)})
    bundle: Resource = {
        "resourceType": "Bundle",
        "id": new_id(),
        "type": "searchset",
        "total": len(items),
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def bundle_response(
    request: Request,
    query: SearchQuery,
    code: str,
    items: Sequence[T],
    render: Callable[[T], Resource],
    include: Callable[[Sequence[T]], list[Resource]] | None = None,
) -> FhirResponse:
    """A searchset of a hospital's server as the HTTP response."""
    return FhirResponse(searchset(request, query, fhir_base(request, code), items, render, include))
